/**
 * like/instruct: short user requests in the style of the instruction-following
 * sets BPO is evaluated on (Cheng et al. 2023, §4: Dolly Eval, Self-Instruct,
 * Vicuna Eval, BPO-test). Three request types after Dolly's
 * (databricks-dolly-15k) categories that have a checkable answer:
 * information extraction from a message, closed QA over a short passage, and
 * classification of a list. Names, places and facts are invented from
 * syllables and fixed lists, so no example can have been seen before;
 * difficulty adds distracting details (more people, dates and places that are
 * not asked for). The gold is the short phrase a helpful answer must give; the
 * pairwise win-rate suite (benchmarks/suites/bpo-winrate.yaml) judges answers
 * against each other, the accuracy of the gold is a by-product.
 *
 * Provenance: written for popbench from the category descriptions of
 * databricks-dolly-15k (CC BY-SA 3.0); no text of any dataset is used.
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { jitterKnob, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/instruct');

const ONSETS = ['b', 'br', 'd', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ia', 'ou'];
const CODAS = ['', 'n', 'r', 's', 'l', 'm', 'th'];

function name(rng: Rng): string {
  let w = '';
  const n = rng.int(2, 3);
  for (let i = 0; i < n; i++) w += rng.pick(ONSETS) + rng.pick(VOWELS) + (i === n - 1 ? rng.pick(CODAS) : '');
  return w.charAt(0).toUpperCase() + w.slice(1);
}

function distinct(rng: Rng, draw: (r: Rng) => string, k: number): string[] {
  const out: string[] = [];
  for (let guard = 0; out.length < k && guard < 200; guard++) {
    const v = draw(rng);
    if (!out.includes(v)) out.push(v);
  }
  return out;
}

const CITIES = ['Lisbon', 'Oslo', 'Porto', 'Lyon', 'Quito', 'Perth', 'Turin', 'Bergen', 'Graz', 'Cork', 'Malmo', 'Split', 'Ghent', 'Riga', 'Bilbao'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const ITEMS = ['projector', 'name badges', 'extension cord', 'whiteboard markers', 'printed agenda', 'laptop charger', 'guest list', 'first-aid kit'];
const ROOMS = ['the library', 'room 4', 'the east hall', 'the roof terrace', 'the basement studio', 'the garden room'];

const CATEGORIES: Record<string, readonly string[]> = {
  fruit: ['apple', 'mango', 'pear', 'plum', 'cherry', 'apricot'],
  vegetable: ['carrot', 'leek', 'spinach', 'celery', 'turnip', 'radish'],
  'musical instrument': ['violin', 'oboe', 'cello', 'banjo', 'flute', 'harp'],
  tool: ['hammer', 'chisel', 'wrench', 'trowel', 'pliers', 'saw'],
  fish: ['salmon', 'trout', 'cod', 'herring', 'mackerel', 'perch'],
  bird: ['sparrow', 'heron', 'robin', 'finch', 'owl', 'crane'],
};

/** Information extraction: one field of a message full of similar details. */
function extraction(rng: Rng, difficulty: number): LikeRecord {
  const people = distinct(rng, name, jitterKnob(rng, difficulty, 2, 5));
  const cities = rng.sample(CITIES, Math.max(2, people.length));
  const days = rng.sample(DAYS, 3);
  const room = rng.pick(ROOMS);
  const host = people[0]!;
  const fields = [
    { ask: 'In which city does the workshop now take place?', gold: cities[0]! },
    { ask: 'On which day is the workshop?', gold: days[0]! },
    { ask: 'Who is hosting the workshop?', gold: host },
  ] as const;
  const field = rng.pick(fields);
  const lines = [`Hi all, a quick update on the workshop: it moves from ${cities[1]} to ${cities[0]} and takes place on ${days[0]} in ${room}, hosted by ${host}.`];
  const extra = jitterKnob(rng, difficulty, 0, 4);
  for (let i = 0; i < extra; i++) {
    const p = people[1 + (i % Math.max(1, people.length - 1))] ?? host;
    lines.push(
      rng.pick([
        `${p} flies back from ${cities[(i + 1) % cities.length]} on ${days[1]}.`,
        `The planning call with ${p} stays on ${days[2]}.`,
        `${p} asked whether ${cities[(i + 2) % cities.length]} is still an option for next year.`,
        `Please send your slides to ${p} before ${days[1]}.`,
      ]),
    );
  }
  const concepts = new Set(['answer exactly what is asked', 'use only the given text']);
  if (extra > 0) concepts.add('ignore details that were not asked for');
  return {
    input: `Read the message below and answer the question. ${field.ask}\n\nMessage: ${lines.join(' ')}`,
    target: field.gold,
    meta: { difficulty, concepts: pickConcepts(CONCEPTS, concepts), category: 'information_extraction', distractors: extra },
  };
}

/** Closed QA: a fact from a short invented biography. */
function closedQa(rng: Rng, difficulty: number): LikeRecord {
  const [person, mentor, rival] = distinct(rng, name, 3) as [string, string, string];
  const [born, studied, works] = rng.sample(CITIES, 3) as [string, string, string];
  const item = rng.pick(ITEMS);
  const facts = [
    { q: `Where did ${person} study?`, a: studied },
    { q: `Who taught ${person}?`, a: mentor },
    { q: `In which city was ${person} born?`, a: born },
  ] as const;
  const fact = rng.pick(facts);
  const sentences = [`${person} was born in ${born} and studied in ${studied} under ${mentor}.`, `Today ${person} works in ${works}.`];
  const extra = jitterKnob(rng, difficulty, 0, 3);
  const pool = [
    `${rival}, who also studied in ${studied}, was born in ${works}.`,
    `${mentor} later moved to ${born}.`,
    `${person} is known for always carrying a ${item}.`,
    `${rival} once worked with ${mentor} in ${works}.`,
  ];
  sentences.push(...rng.sample(pool, extra));
  const concepts = new Set(['answer exactly what is asked', 'use only the given text']);
  if (extra > 0) concepts.add('ignore details that were not asked for');
  return {
    input: `${fact.q} Answer from the passage.\n\nPassage: ${sentences.join(' ')}`,
    target: fact.a,
    meta: { difficulty, concepts: pickConcepts(CONCEPTS, concepts), category: 'closed_qa', distractors: extra },
  };
}

/** Classification: the one member of a category in a list. */
function classification(rng: Rng, difficulty: number): LikeRecord {
  const cats = Object.keys(CATEGORIES);
  const cat = rng.pick(cats);
  const gold = rng.pick(CATEGORIES[cat]!);
  const others = cats.filter((c) => c !== cat);
  const k = jitterKnob(rng, difficulty, 2, 6);
  const list = rng.shuffle([gold, ...Array.from({ length: k }, (_, i) => rng.pick(CATEGORIES[others[i % others.length]!]!))].filter((x, i, a) => a.indexOf(x) === i));
  const concepts = new Set(['answer exactly what is asked', 'sort items into the right category']);
  if (k > 3) concepts.add('ignore details that were not asked for');
  return {
    input: `Which of these is a ${cat}: ${list.join(', ')}? Name the one that is.`,
    target: gold,
    meta: { difficulty, concepts: pickConcepts(CONCEPTS, concepts), category: 'classification', options: list.length },
  };
}

export const instruct: LikeGenerator = {
  name: 'instruct',
  description: 'Answer a short user request (extract a detail from a message, answer from a passage, or pick the item of a category).',
  answerFormat: 'text',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const kind = rng.int(0, 2);
    return kind === 0 ? extraction(rng, difficulty) : kind === 1 ? closedQa(rng, difficulty) : classification(rng, difficulty);
  },
};
