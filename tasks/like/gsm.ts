/**
 * like/gsm: multi-step arithmetic word problems in the GSM8K style, with a
 * GSM8K-style worked solution ("… = <<a*b=c>>c …\n#### c"). Each example keeps
 * its template id and parameters in `meta` so answers can be recomputed.
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/gsm');

const PEOPLE: readonly [string, 'she' | 'he'][] = [
  ['Maya', 'she'], ['Liam', 'he'], ['Aisha', 'she'], ['Diego', 'he'], ['Noor', 'she'], ['Kenji', 'he'],
  ['Elena', 'she'], ['Tariq', 'he'], ['Zoe', 'she'], ['Bruno', 'he'], ['Ines', 'she'], ['Marcus', 'he'],
  ['Freya', 'she'], ['Kwame', 'he'], ['Lucia', 'she'], ['Pavel', 'he'],
];

export type GsmTemplate = 'produce' | 'shopping' | 'reading' | 'flour' | 'wages' | 'collection' | 'travel';
export const GSM_TEMPLATES: readonly GsmTemplate[] = ['produce', 'shopping', 'reading', 'flour', 'wages', 'collection', 'travel'];

class Work {
  lines: string[] = [];
  steps = 0;
  last = 0;
  /** Record one calculation `expr` (using + - * /) with its value. */
  calc(prefix: string, expr: string, value: number, suffix = ''): number {
    this.steps++;
    this.last = value;
    this.lines.push(`${prefix}${expr.replace(/([*/+-])/g, ' $1 ')} = <<${expr}=${value}>>${value}${suffix}`);
    return value;
  }
}

interface Built {
  question: string;
  params: Record<string, number | string>;
  concepts: string[];
}

const cap = (s: string) => s[0]!.toUpperCase() + s.slice(1);
const his = (p: 'she' | 'he') => (p === 'she' ? 'her' : 'his');
const chance = (rng: Rng, difficulty: number) => rng.next() < difficulty;

function scale(rng: Rng, difficulty: number, lo: number, hi: number): number {
  return rng.int(lo, Math.max(lo, Math.round(lo + (hi - lo) * (0.3 + 0.7 * difficulty))));
}

const BUILDERS: Record<GsmTemplate, (rng: Rng, d: number, w: Work) => Built> = {
  produce(rng, d, w) {
    const [name, p] = rng.pick(PEOPLE);
    const kind = rng.pick([
      { src: 'hens lay', unit: 'eggs', each: 'egg', use1: 'for breakfast', use2: 'to bake muffins' },
      { src: 'cows give', unit: 'liters of milk', each: 'liter', use1: 'for the family', use2: 'to make cheese' },
      { src: 'trees drop', unit: 'apples', each: 'apple', use1: 'for snacks', use2: 'to make pies' },
    ]);
    const b = rng.int(2, 6);
    const c = rng.int(2, 6);
    const a = b + c + scale(rng, d, 4, 40);
    const price = rng.int(1, 2 + Math.round(4 * d));
    const week = chance(rng, d);
    const period = week ? 'a week' : 'a day';
    const left = w.calc(`${cap(p)} has `, `${a}-${b}-${c}`, a - b - c, ` ${kind.unit} to sell each day.`);
    let total = w.calc(`${cap(p)} makes `, `${left}*${price}`, left * price, ' dollars a day.');
    if (week) total = w.calc(`In a week ${p} makes `, `${total}*7`, total * 7, ' dollars.');
    return {
      question: `${name}'s ${kind.src} ${a} ${kind.unit} per day. ${cap(p)} uses ${b} ${kind.use1} and ${c} ${kind.use2} every day. ${cap(p)} sells the rest at the market for $${price} per ${kind.each}. How much money, in dollars, does ${p} make in ${period}?`,
      params: { a, b, c, price, days: week ? 7 : 1 },
      concepts: ['multi-step arithmetic', 'money and prices', 'track quantities across steps', ...(week ? ['unit conversion', 'rates and time'] : [])],
    };
  },
  shopping(rng, d, w) {
    const [name, p] = rng.pick(PEOPLE);
    const [i1, i2] = rng.sample(['notebook', 'pen', 'sandwich', 'candle', 'mug', 'towel', 'plant', 'ticket'], 2) as [string, string];
    const n1 = rng.int(2, 3 + Math.round(5 * d));
    const n2 = rng.int(1, 2 + Math.round(4 * d));
    const p1 = rng.int(2, 6 + Math.round(14 * d));
    const p2 = rng.int(2, 6 + Math.round(14 * d));
    let total = n1 * p1 + n2 * p2;
    const discount = chance(rng, d) ? rng.pick([10, 20, 25, 50]) : 0;
    if (discount && (total * discount) % 100 !== 0) return BUILDERS.shopping(rng, d, w);
    const bill = [20, 50, 100, 200, 500, 1000].find((x) => x > total)!;
    const c1 = w.calc(`The ${i1}s cost `, `${n1}*${p1}`, n1 * p1, ' dollars.');
    const c2 = w.calc(`The ${i2}s cost `, `${n2}*${p2}`, n2 * p2, ' dollars.');
    total = w.calc('Together they cost ', `${c1}+${c2}`, c1 + c2, ' dollars.');
    if (discount) {
      const off = w.calc('The discount is ', `${total}*${discount}/100`, (total * discount) / 100, ' dollars.');
      total = w.calc(`So ${p} pays `, `${total}-${off}`, total - off, ' dollars.');
    }
    w.calc(`${cap(p)} gets back `, `${bill}-${total}`, bill - total, ' dollars.');
    const disc = discount ? ` The shop gives ${discount}% off the whole purchase.` : '';
    return {
      question: `${name} buys ${n1} ${i1}s for $${p1} each and ${n2} ${i2}${n2 === 1 ? '' : 's'} for $${p2} each.${disc} ${cap(p)} pays with a $${bill} bill. How much change, in dollars, does ${p} get?`,
      params: { n1, p1, n2, p2, discount, bill },
      concepts: ['multi-step arithmetic', 'money and prices', 'identify the quantity asked for', ...(discount ? ['percentages'] : []), ...(discount ? ['track quantities across steps'] : [])],
    };
  },
  reading(rng, d, w) {
    const [name, p] = rng.pick(PEOPLE);
    const every = rng.pick([5, 10, 12, 15, 20, 30]);
    const pages = rng.int(2, 4 + Math.round(8 * d));
    const hours = rng.int(1, 2 + Math.round(3 * d));
    const days = chance(rng, d) ? rng.int(2, 7) : 1;
    const per = w.calc(`An hour has 60 minutes, so ${p} reads `, `60/${every}`, 60 / every, ` batches of pages per hour.`);
    const perHour = w.calc('That is ', `${per}*${pages}`, per * pages, ' pages per hour.');
    let total = w.calc(`Each day ${p} reads `, `${perHour}*${hours}`, perHour * hours, ' pages.');
    if (days > 1) total = w.calc(`In ${days} days ${p} reads `, `${total}*${days}`, total * days, ' pages.');
    const span = days > 1 ? ` for ${days} days` : '';
    return {
      question: `${name} reads ${pages} pages every ${every} minutes. ${cap(p)} reads for ${hours} hour${hours === 1 ? '' : 's'} each day${span}. How many pages does ${p} read${days > 1 ? ' in total' : ' in one day'}?`,
      params: { pages, every, hours, days },
      concepts: ['multi-step arithmetic', 'unit conversion', 'rates and time', ...(days > 1 ? ['track quantities across steps'] : [])],
    };
  },
  flour(rng, d, w) {
    const [name, p] = rng.pick(PEOPLE);
    const kg = rng.int(2, 3 + Math.round(7 * d));
    const per = rng.pick([150, 200, 250, 300, 400, 450, 500]);
    const maxLoaves = Math.floor((kg * 1000) / per);
    const loaves = rng.int(1, Math.max(1, maxLoaves - 1));
    const half = chance(rng, d) && ((kg * 1000 - loaves * per) % 2 === 0);
    const grams = w.calc('The bag holds ', `${kg}*1000`, kg * 1000, ' grams.');
    const used = w.calc(`${cap(p)} uses `, `${loaves}*${per}`, loaves * per, ' grams for bread.');
    let left = w.calc('That leaves ', `${grams}-${used}`, grams - used, ' grams.');
    if (half) {
      const cookies = w.calc(`${cap(p)} uses `, `${left}/2`, left / 2, ' grams for cookies.');
      left = w.calc('That leaves ', `${left}-${cookies}`, left - cookies, ' grams.');
    }
    const extra = half ? ` Then ${p} uses half of the remaining flour for cookies.` : '';
    return {
      question: `A bag of flour weighs ${kg} kilograms. ${name} uses ${per} grams of flour for each loaf of bread and bakes ${loaves} loa${loaves === 1 ? 'f' : 'ves'}.${extra} How many grams of flour are left in the bag?`,
      params: { kg, per, loaves, half: half ? 1 : 0 },
      concepts: ['multi-step arithmetic', 'unit conversion', 'identify the quantity asked for', ...(half ? ['fractions and ratios', 'track quantities across steps'] : [])],
    };
  },
  wages(rng, d, w) {
    const [name, p] = rng.pick(PEOPLE);
    const wage = rng.int(8, 12 + Math.round(28 * d));
    const hours = rng.int(3, 8);
    const days = rng.int(2, 6);
    const pct = rng.pick([10, 20, 25, 30, 40, 50]);
    const weeks = chance(rng, d) ? rng.int(2, 8) : 1;
    if ((wage * hours * days * pct) % 100 !== 0) return BUILDERS.wages(rng, d, w);
    const daily = w.calc(`${cap(p)} earns `, `${wage}*${hours}`, wage * hours, ' dollars a day.');
    const weekly = w.calc(`${cap(p)} earns `, `${daily}*${days}`, daily * days, ' dollars a week.');
    let saved = w.calc(`${cap(p)} saves `, `${weekly}*${pct}/100`, (weekly * pct) / 100, ' dollars a week.');
    if (weeks > 1) saved = w.calc(`In ${weeks} weeks ${p} saves `, `${saved}*${weeks}`, saved * weeks, ' dollars.');
    return {
      question: `${name} earns $${wage} per hour. ${cap(p)} works ${hours} hours a day, ${days} days a week, and saves ${pct}% of ${his(p)} weekly pay. How much money, in dollars, does ${p} save in ${weeks > 1 ? `${weeks} weeks` : 'one week'}?`,
      params: { wage, hours, days, pct, weeks },
      concepts: ['multi-step arithmetic', 'percentages', 'money and prices', ...(weeks > 1 ? ['track quantities across steps'] : [])],
    };
  },
  collection(rng, d, w) {
    const [[a], [b], [c]] = rng.sample(PEOPLE, 3) as [[string, string], [string, string], [string, string]];
    const thing = rng.pick(['marbles', 'stickers', 'stamps', 'seashells', 'trading cards']);
    const x = rng.int(3, 10 + Math.round(30 * d));
    const k = rng.int(2, 4);
    const third = chance(rng, d);
    const fewer = rng.int(1, k * x - 1);
    const bb = w.calc(`${b} has `, `${x}*${k}`, x * k, ` ${thing}.`);
    let total: number;
    if (third) {
      const cc = w.calc(`${c} has `, `${bb}-${fewer}`, bb - fewer, ` ${thing}.`);
      total = w.calc('Together they have ', `${x}+${bb}+${cc}`, x + bb + cc, ` ${thing}.`);
    } else total = w.calc('Together they have ', `${x}+${bb}`, x + bb, ` ${thing}.`);
    const times = k === 2 ? 'twice' : k === 3 ? 'three times' : 'four times';
    const who = third ? `${a}, ${b} and ${c}` : `${a} and ${b}`;
    const third3 = third ? ` ${c} has ${fewer} fewer ${thing} than ${b}.` : '';
    return {
      question: `${a} has ${x} ${thing}. ${b} has ${times} as many ${thing} as ${a}.${third3} How many ${thing} do ${who} have altogether?`,
      params: { x, k, fewer: third ? fewer : 0, third: third ? 1 : 0 },
      concepts: ['multi-step arithmetic', 'fractions and ratios', ...(third ? ['track quantities across steps'] : [])],
    };
  },
  travel(rng, d, w) {
    const vehicle = rng.pick(['train', 'bus', 'ferry', 'truck']);
    const v1 = rng.int(3, 6 + Math.round(6 * d)) * 10;
    const h1 = rng.int(1, 2 + Math.round(3 * d));
    const mins = rng.pick([15, 20, 30, 45]);
    const speed2 = rng.int(5, 20) * (60 / gcd(60, mins)); // speed2 * mins / 60 is an integer
    const second = chance(rng, d);
    const d1 = w.calc(`First the ${vehicle} goes `, `${v1}*${h1}`, v1 * h1, ' miles.');
    let total = d1;
    if (second) {
      const part = w.calc(`${mins} minutes is a fraction of an hour, so next it goes `, `${speed2}*${mins}/60`, (speed2 * mins) / 60, ' miles.');
      total = w.calc('In total it goes ', `${d1}+${part}`, d1 + part, ' miles.');
    }
    const rest = second ? `, then at ${speed2} miles per hour for ${mins} minutes` : '';
    return {
      question: `A ${vehicle} travels at ${v1} miles per hour for ${h1} hour${h1 === 1 ? '' : 's'}${rest}. How many miles does the ${vehicle} travel in total?`,
      params: { v1, h1, speed2: second ? speed2 : 0, mins: second ? mins : 0 },
      concepts: second ? ['multi-step arithmetic', 'unit conversion', 'rates and time', 'track quantities across steps'] : ['rates and time'],
    };
  },
};

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

export const gsm: LikeGenerator = {
  name: 'gsm',
  description: 'Solve multi-step arithmetic word problems with whole-number answers.',
  answerFormat: 'integer',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const template = rng.pick(GSM_TEMPLATES);
    const w = new Work();
    const built = BUILDERS[template](rng, difficulty, w);
    const answer = w.last;
    return {
      input: built.question,
      target: String(answer),
      rationale: `${w.lines.join('\n')}\n#### ${answer}`,
      meta: {
        difficulty,
        concepts: pickConcepts(CONCEPTS, built.concepts),
        template,
        params: built.params,
        steps: w.steps,
      },
    };
  },
};
