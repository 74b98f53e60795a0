/**
 * like/object_counting: "I have a flute, two pianos, and a lamp. How many
 * musical instruments do I have?" with distractor items of other categories.
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { NUMBER_WORDS, jitterKnob, knob, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/object_counting');

/** [singular, plural] */
type Item = readonly [string, string];

/** The category lexicon: the question noun and its items. */
export const CATEGORIES: Readonly<Record<string, { noun: string; items: readonly Item[] }>> = {
  instrument: {
    noun: 'musical instruments',
    items: [
      ['flute', 'flutes'], ['piano', 'pianos'], ['trombone', 'trombones'], ['violin', 'violins'],
      ['accordion', 'accordions'], ['clarinet', 'clarinets'], ['drum', 'drums'], ['trumpet', 'trumpets'],
      ['cello', 'cellos'], ['harp', 'harps'], ['oboe', 'oboes'], ['banjo', 'banjos'], ['tuba', 'tubas'],
      ['saxophone', 'saxophones'], ['ukulele', 'ukuleles'], ['xylophone', 'xylophones'],
    ],
  },
  fruit: {
    noun: 'fruits',
    items: [
      ['apple', 'apples'], ['banana', 'bananas'], ['strawberry', 'strawberries'], ['peach', 'peaches'],
      ['orange', 'oranges'], ['plum', 'plums'], ['raspberry', 'raspberries'], ['grape', 'grapes'],
      ['nectarine', 'nectarines'], ['blackberry', 'blackberries'], ['mango', 'mangoes'], ['pear', 'pears'],
      ['apricot', 'apricots'], ['kiwi', 'kiwis'], ['lemon', 'lemons'], ['cherry', 'cherries'],
    ],
  },
  vegetable: {
    noun: 'vegetables',
    items: [
      ['carrot', 'carrots'], ['potato', 'potatoes'], ['onion', 'onions'], ['yam', 'yams'],
      ['head of broccoli', 'heads of broccoli'], ['stalk of celery', 'stalks of celery'],
      ['cabbage', 'cabbages'], ['bulb of garlic', 'bulbs of garlic'], ['lettuce head', 'lettuce heads'], ['turnip', 'turnips'],
      ['zucchini', 'zucchinis'], ['beet', 'beets'], ['eggplant', 'eggplants'], ['radish', 'radishes'],
    ],
  },
  animal: {
    noun: 'animals',
    items: [
      ['cat', 'cats'], ['dog', 'dogs'], ['rabbit', 'rabbits'], ['goat', 'goats'], ['pig', 'pigs'],
      ['cow', 'cows'], ['chicken', 'chickens'], ['snail', 'snails'], ['donkey', 'donkeys'],
      ['frog', 'frogs'], ['duck', 'ducks'], ['snake', 'snakes'], ['bear', 'bears'], ['owl', 'owls'],
      ['fish', 'fish'], ['mouse', 'mice'],
    ],
  },
  object: {
    noun: 'objects',
    items: [
      ['chair', 'chairs'], ['table', 'tables'], ['lamp', 'lamps'], ['stove', 'stoves'], ['fridge', 'fridges'],
      ['microwave', 'microwaves'], ['bed', 'beds'], ['couch', 'couches'], ['oven', 'ovens'], ['toaster', 'toasters'],
      ['car', 'cars'], ['microwave oven', 'microwave ovens'],
    ],
  },
};

const VOWEL_START = /^[aeiou]/;

/** "a flute", "an oboe", "three pianos". */
function phrase(n: number, item: Item): string {
  if (n === 1) return `${VOWEL_START.test(item[0]) ? 'an' : 'a'} ${item[0]}`;
  return `${NUMBER_WORDS[n]} ${item[1]}`;
}

export const objectCounting: LikeGenerator = {
  name: 'object_counting',
  description: 'Count the items of one category in a list that also holds items of other categories.',
  answerFormat: 'integer',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const keys = Object.keys(CATEGORIES);
    const cat = rng.pick(keys);
    const { noun, items } = CATEGORIES[cat]!;
    const targetKinds = jitterKnob(rng, difficulty, 2, 9, 1);
    const maxQty = knob(difficulty, 1, 5);
    // "objects" is a catch-all word, so object questions list only objects
    const distractorKinds = cat === 'object' ? 0 : jitterKnob(rng, difficulty, 0, 5, 1);
    const entries: { n: number; item: Item; counted: boolean }[] = [];
    for (const item of rng.sample(items, targetKinds)) {
      entries.push({ n: rng.next() < 0.5 ? 1 : rng.int(1, maxQty), item, counted: true });
    }
    const pool = keys.filter((k) => k !== cat && k !== 'object').flatMap((k) => CATEGORIES[k]!.items);
    const others = [...pool, ...CATEGORIES.object!.items];
    for (const item of rng.sample(others, distractorKinds)) {
      entries.push({ n: rng.next() < 0.5 ? 1 : rng.int(1, maxQty), item, counted: false });
    }
    const list = rng.shuffle(entries);
    const phrases = list.map((e) => phrase(e.n, e.item));
    const joined = phrases.length === 1 ? phrases[0]! : `${phrases.slice(0, -1).join(', ')}${phrases.length > 2 ? ',' : ''} and ${phrases[phrases.length - 1]}`;
    const total = list.filter((e) => e.counted).reduce((a, e) => a + e.n, 0);
    const concepts = new Set<string>(['add counts across mentions']);
    if (list.some((e) => e.counted && e.n > 1)) concepts.add('count multiples of one item');
    if (distractorKinds > 0) {
      concepts.add('ignore non-matching items');
      concepts.add('recognise category membership');
    }
    return {
      input: `I have ${joined}. How many ${noun} do I have?`,
      target: String(total),
      meta: {
        difficulty,
        concepts: pickConcepts(CONCEPTS, concepts),
        category: cat,
        items: list.length,
        distractors: distractorKinds,
      },
    };
  },
};
