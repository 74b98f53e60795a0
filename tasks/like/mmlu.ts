/**
 * like/mmlu: 4-option multiple choice over an invented fact base. Every
 * question carries its facts (a short passage), because the entities exist
 * nowhere else; the input then follows the MMLU layout used by tasks/mmlu.ts
 * ("question\nOptions:\n(A) …"). Facts are written "The <attribute> of <entity> is <value>."
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { mmluInput } from '../mmlu.js';
import { jitterKnob, letter, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/mmlu');

interface Attr {
  label: string;
  values: readonly string[];
}
interface Domain {
  subject: string;
  kind: string;
  kinds: string;
  name: (rng: Rng) => string;
  attrs: readonly Attr[];
  numeric: { label: string; unit: string; lo: number; hi: number };
}

const SYL = ['bra', 'cor', 'del', 'fen', 'gal', 'hov', 'ix', 'jor', 'kal', 'lum', 'mer', 'nov', 'ost', 'pel', 'quin', 'ras', 'sel', 'tor', 'ul', 'ven', 'wes', 'yar', 'zel', 'thar', 'mip', 'dro'];
function coined(rng: Rng, parts: number, suffix: string): string {
  let w = '';
  for (let i = 0; i < parts; i++) w += rng.pick(SYL);
  w += suffix;
  return w[0]!.toUpperCase() + w.slice(1);
}

const DOMAINS: readonly Domain[] = [
  {
    subject: 'geography',
    kind: 'country',
    kinds: 'countries',
    name: (rng) => coined(rng, 2, rng.pick(['ia', 'land', 'stan', 'ora'])),
    attrs: [
      { label: 'capital', values: ['Belmora', 'Tessaly', 'Korvath', 'Ulandi', 'Presca', 'Marrowick', 'Ostrel', 'Vindara', 'Haleth', 'Quorra'] },
      { label: 'main export', values: ['coffee', 'copper', 'timber', 'wool', 'rice', 'salt', 'tin', 'cotton', 'glass', 'silk'] },
      { label: 'official language', values: ['Velish', 'Tarnic', 'Ombrese', 'Kalthi', 'Serune', 'Drovak', 'Ilmish', 'Pashren'] },
    ],
    numeric: { label: 'population', unit: 'million people', lo: 1, hi: 90 },
  },
  {
    subject: 'chemistry',
    kind: 'element',
    kinds: 'elements',
    name: (rng) => coined(rng, 2, 'ium'),
    attrs: [
      { label: 'color', values: ['silver', 'yellow', 'green', 'blue', 'black', 'red', 'white', 'violet'] },
      { label: 'state at room temperature', values: ['solid', 'liquid', 'gas'] },
      { label: 'most common oxide', values: ['a white powder', 'a red crystal', 'a black glass', 'a green salt', 'a clear liquid', 'a grey ash'] },
    ],
    numeric: { label: 'melting point', unit: 'degrees Celsius', lo: 50, hi: 3000 },
  },
  {
    subject: 'biology',
    kind: 'species',
    kinds: 'species',
    name: (rng) => `${coined(rng, 2, '')} ${rng.pick(['moth', 'frog', 'beetle', 'finch', 'lizard', 'shrew'])}`,
    attrs: [
      { label: 'diet', values: ['seeds', 'insects', 'nectar', 'leaves', 'small fish', 'fungi'] },
      { label: 'habitat', values: ['desert', 'rainforest', 'tundra', 'coral reef', 'wetland', 'grassland', 'cave'] },
      { label: 'breeding season', values: ['spring', 'summer', 'autumn', 'winter'] },
    ],
    numeric: { label: 'average lifespan', unit: 'years', lo: 1, hi: 40 },
  },
  {
    subject: 'astronomy',
    kind: 'planet',
    kinds: 'planets',
    name: (rng) => coined(rng, 2, rng.pick(['on', 'a', 'is', 'ar'])),
    attrs: [
      { label: 'host star', values: ['Aldrin Minor', 'Kessa', 'Thule Prime', 'Oberis', 'Vanth', 'Solenne'] },
      { label: 'atmosphere', values: ['methane', 'nitrogen', 'carbon dioxide', 'hydrogen', 'argon', 'none'] },
      { label: 'surface color', values: ['rust red', 'pale blue', 'ochre', 'grey', 'emerald', 'white'] },
    ],
    numeric: { label: 'number of moons', unit: 'moons', lo: 0, hi: 80 },
  },
];

interface Entity {
  name: string;
  values: Record<string, string>;
  num: number;
}

type Kind = 'lookup' | 'inverse' | 'compare' | 'negation' | 'two_hop';

function fact(label: string, e: string, v: string): string {
  return `The ${label} of ${e} is ${v}.`;
}

export const mmlu: LikeGenerator = {
  name: 'mmlu',
  description: 'Answer a four-option question from a short passage of facts about invented entities.',
  answerFormat: 'letter',
  generate(rng: Rng, difficulty: number): LikeRecord {
    for (;;) {
      const dom = rng.pick(DOMAINS);
      const count = jitterKnob(rng, difficulty, 4, 8, 1);
      const kinds: Kind[] = difficulty < 0.34 ? ['lookup', 'inverse'] : difficulty < 0.67 ? ['lookup', 'inverse', 'compare', 'negation'] : ['compare', 'negation', 'two_hop'];
      const kind = rng.pick(kinds);
      // entities with distinct names and distinct numeric values
      const ents: Entity[] = [];
      const nums = rng.sample(Array.from({ length: dom.numeric.hi - dom.numeric.lo + 1 }, (_, i) => dom.numeric.lo + i), count);
      while (ents.length < count) {
        const name = dom.name(rng);
        if (ents.some((e) => e.name === name)) continue;
        const values: Record<string, string> = {};
        for (const a of dom.attrs) values[a.label] = rng.pick(a.values);
        ents.push({ name, values, num: nums[ents.length]! });
      }
      const attr = rng.pick(dom.attrs);
      const other = rng.pick(dom.attrs.filter((a) => a !== attr));
      let negV = '';
      if (kind === 'negation') {
        // three or more entities share one value; the others differ
        negV = rng.pick(attr.values);
        const alt = attr.values.filter((x) => x !== negV);
        const holders = rng.int(3, ents.length - 1);
        ents.forEach((e, i) => (e.values[attr.label] = i < holders ? negV : rng.pick(alt)));
      }
      const useNum = kind === 'compare';
      // facts: every attribute that the question can touch, for every entity
      const factAttrs = kind === 'two_hop' ? [attr, other] : [attr];
      const facts: string[] = [];
      for (const e of ents) {
        for (const a of factAttrs) facts.push(fact(a.label, e.name, e.values[a.label]!));
        if (useNum || rng.next() < difficulty * 0.5) facts.push(fact(dom.numeric.label, e.name, `${e.num} ${dom.numeric.unit}`));
      }
      const passage = rng.shuffle(facts).join(' ');
      const target = rng.pick(ents);
      const byAttr = (a: Attr, v: string) => ents.filter((e) => e.values[a.label] === v);
      let question: string;
      let answer: string;
      let wrong: string[];
      const concepts = new Set<string>(['read the question stem carefully']);
      if (kind === 'lookup') {
        question = `What is the ${attr.label} of ${target.name}?`;
        answer = target.values[attr.label]!;
        wrong = attr.values.filter((v) => v !== answer);
        concepts.add('recall domain facts');
      } else if (kind === 'inverse') {
        const v = target.values[attr.label]!;
        if (byAttr(attr, v).length !== 1) continue;
        question = `Which ${dom.kind} has ${v} as its ${attr.label}?`;
        answer = target.name;
        wrong = ents.filter((e) => e !== target).map((e) => e.name);
        concepts.add('recall domain facts');
        concepts.add('eliminate wrong options');
      } else if (kind === 'compare') {
        const high = rng.next() < 0.5;
        const four = rng.sample(ents, 4);
        const best = four.reduce((a, b) => (high ? (b.num > a.num ? b : a) : b.num < a.num ? b : a));
        question = `Which of the following ${dom.kinds} has the ${high ? 'highest' : 'lowest'} ${dom.numeric.label}?`;
        answer = best.name;
        wrong = four.filter((e) => e !== best).map((e) => e.name);
        concepts.add('compare close options');
        concepts.add('apply domain principles');
      } else if (kind === 'negation') {
        const v = negV;
        const holders = byAttr(attr, v);
        const nonHolders = ents.filter((e) => e.values[attr.label] !== v);
        const odd = rng.pick(nonHolders);
        question = `Which of the following ${dom.kinds} does NOT have ${v} as its ${attr.label}?`;
        answer = odd.name;
        wrong = rng.sample(holders, 3).map((e) => e.name);
        concepts.add('eliminate wrong options');
        concepts.add('read the question stem carefully');
      } else {
        const v = target.values[other.label]!;
        if (byAttr(other, v).length !== 1) continue;
        question = `What is the ${attr.label} of the ${dom.kind} whose ${other.label} is ${v}?`;
        answer = target.values[attr.label]!;
        wrong = attr.values.filter((x) => x !== answer);
        concepts.add('recall domain facts');
        concepts.add('apply domain principles');
      }
      const distractors = rng.sample(wrong, 3);
      if (distractors.length < 3) continue;
      const at = rng.int(0, 3);
      const options = distractors.slice();
      options.splice(at, 0, answer);
      return {
        input: mmluInput(`${passage} ${question}`, options),
        target: `(${letter(at)})`,
        options,
        meta: {
          difficulty,
          concepts: pickConcepts(CONCEPTS, concepts),
          subject: dom.subject,
          question: kind,
          facts: facts.length,
        },
      };
    }
  },
};
