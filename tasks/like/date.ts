/**
 * like/date: date arithmetic as 6-way multiple choice in the BBH
 * date_understanding style ("Today is 03/12/2021. What is the date 10 days ago
 * in MM/DD/YYYY?\nOptions:\n(A) …"). Calendar maths uses day numbers
 * (proleptic Gregorian), not the JS Date object.
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { NUMBER_WORDS, knob, letter, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/date');
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const NAMES = ['Jane', 'John', 'Priya', 'Tomas', 'Amara', 'Lena', 'Kofi', 'Mei', 'Omar', 'Sofia'];

interface Ymd {
  y: number;
  m: number;
  d: number;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const monthLength = (y: number, m: number) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;

/** Day number (days since 0000-03-01) of a civil date. */
function toDays({ y, m, d }: Ymd): number {
  const yy = m <= 2 ? y - 1 : y;
  const mp = (m + 9) % 12; // March = 0
  return 365 * yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) + Math.floor((153 * mp + 2) / 5) + d - 1;
}

function fromDays(n: number): Ymd {
  // walk years and months from an estimate; simple and exact
  let y = Math.floor(n / 365.2425);
  while (toDays({ y: y + 1, m: 1, d: 1 }) <= n) y++;
  while (toDays({ y, m: 1, d: 1 }) > n) y--;
  let m = 1;
  while (m < 12 && toDays({ y, m: m + 1, d: 1 }) <= n) m++;
  return { y, m, d: n - toDays({ y, m, d: 1 }) + 1 };
}

const addDays = (a: Ymd, k: number) => fromDays(toDays(a) + k);
function addMonths(a: Ymd, k: number): Ymd {
  const idx = a.y * 12 + (a.m - 1) + k;
  return { y: Math.floor(idx / 12), m: (idx % 12) + 1, d: a.d };
}
const valid = (a: Ymd) => a.m >= 1 && a.m <= 12 && a.d >= 1 && a.d <= monthLength(a.y, a.m) && a.y >= 1000 && a.y <= 9999;
const pad = (n: number) => String(n).padStart(2, '0');
export const fmtUS = (a: Ymd) => `${pad(a.m)}/${pad(a.d)}/${a.y}`;
const same = (a: Ymd, b: Ymd) => a.y === b.y && a.m === b.m && a.d === b.d;
const ordinal = (n: number) => `${n}${n % 10 === 1 && n % 100 !== 11 ? 'st' : n % 10 === 2 && n % 100 !== 12 ? 'nd' : n % 10 === 3 && n % 100 !== 13 ? 'rd' : 'th'}`;

interface Offset {
  phrase: string;
  days?: number;
  months?: number;
  relative: boolean;
}

function pickOffset(rng: Rng, difficulty: number, today: Ymd): Offset {
  const maxDays = knob(difficulty, 3, 60);
  const choices: (() => Offset)[] = [
    () => ({ phrase: 'today', days: 0, relative: true }),
    () => ({ phrase: 'tomorrow', days: 1, relative: true }),
    () => ({ phrase: 'yesterday', days: -1, relative: true }),
    () => {
      const n = rng.int(2, Math.max(2, maxDays));
      return rng.next() < 0.5 ? { phrase: `${n} days ago`, days: -n, relative: false } : { phrase: `${n} days later`, days: n, relative: false };
    },
    () => (rng.next() < 0.5 ? { phrase: 'one week ago', days: -7, relative: true } : { phrase: 'one week from today', days: 7, relative: true }),
    () => ({ phrase: '24 hours later', days: 1, relative: true }),
  ];
  if (difficulty > 0.3) {
    choices.push(() => {
      const n = rng.int(2, Math.max(2, Math.round(maxDays / 7)));
      return rng.next() < 0.5 ? { phrase: `${NUMBER_WORDS[Math.min(n, 12)]} weeks ago`, days: -7 * Math.min(n, 12), relative: true } : { phrase: `${NUMBER_WORDS[Math.min(n, 12)]} weeks from today`, days: 7 * Math.min(n, 12), relative: true };
    });
    if (today.d <= 28) {
      choices.push(() => (rng.next() < 0.5 ? { phrase: 'a month ago', months: -1, relative: true } : { phrase: 'one year ago', months: -12, relative: true }));
    }
  }
  // easy offsets (today, tomorrow, yesterday, 24 hours) fade out as difficulty grows
  const easy = 1.2 - difficulty;
  const weights = choices.map((_, i) => (i <= 2 || i === 5 ? easy : i === 3 ? 1 : i === 4 ? 0.5 + difficulty : 2 * difficulty));
  return choices[rng.weighted(weights)]!();
}

interface Reference {
  sentence: string;
  kind: string;
}

function reference(rng: Rng, difficulty: number, today: Ymd): Reference | null {
  const opts: (() => Reference | null)[] = [
    () => ({ sentence: `Today is ${fmtUS(today)}.`, kind: 'today' }),
    () => ({ sentence: `It is ${today.m}/${today.d}/${today.y} today.`, kind: 'today_short' }),
    () => ({ sentence: `Today is ${MONTHS[today.m - 1]} ${today.d}, ${today.y}.`, kind: 'today_words' }),
    () => ({ sentence: `Yesterday was ${fmtUS(addDays(today, -1))}.`, kind: 'yesterday' }),
    () => ({ sentence: `Tomorrow is ${fmtUS(addDays(today, 1))}.`, kind: 'tomorrow' }),
  ];
  if (difficulty > 0.4) {
    opts.push(
      () => ({
        sentence: `In the UK, people usually put the day before the month when formatting the date. Therefore, today is ${pad(today.d)}/${pad(today.m)}/${today.y} to them.`,
        kind: 'uk',
      }),
      () => {
        if (today.m === 2 && today.d === 29) return null;
        const age = rng.int(2, 60);
        const name = rng.pick(NAMES);
        return {
          sentence: `${name} was born on ${MONTHS[today.m - 1]} ${today.d}, ${today.y - age}. Today is ${name}'s ${ordinal(age)} birthday.`,
          kind: 'birthday',
        };
      },
      () =>
        today.d === monthLength(today.y, today.m)
          ? { sentence: `Today is the last day of ${MONTHS[today.m - 1]} ${today.y}.`, kind: 'last_day' }
          : null,
    );
  }
  // the plain "Today is MM/DD/YYYY." fades out as difficulty grows
  return opts[rng.weighted(opts.map((_, i) => (i === 0 ? 1.5 - difficulty : i < 5 ? 1 : 2 * difficulty)))]!();
}

function distractors(rng: Rng, answer: Ymd, today: Ymd, off: Offset): Ymd[] {
  const c: Ymd[] = [
    addDays(answer, 1),
    addDays(answer, -1),
    addMonths(answer, 1),
    addMonths(answer, -1),
    { ...answer, y: answer.y + 1 },
    { ...answer, y: answer.y - 1 },
    { y: answer.y, m: answer.d, d: answer.m },
    today,
    off.days !== undefined ? addDays(today, -off.days) : addMonths(today, -(off.months ?? 0)),
    { ...answer, y: answer.y + rng.int(20, 70) },
    addDays(answer, rng.int(2, 40) * (rng.next() < 0.5 ? 1 : -1)),
    addDays(answer, 7),
    addDays(answer, -7),
  ];
  const out: Ymd[] = [];
  for (const x of rng.shuffle(c)) {
    if (!valid(x) || same(x, answer) || out.some((o) => same(o, x))) continue;
    out.push(x);
    if (out.length === 5) break;
  }
  return out;
}

export const date: LikeGenerator = {
  name: 'date',
  description: 'Work out a date from a reference date and a relative offset; choose it among six options.',
  answerFormat: 'letter',
  generate(rng: Rng, difficulty: number): LikeRecord {
    for (;;) {
      const y = rng.int(1900, 2030);
      const m = rng.int(1, 12);
      // hard examples sit near month ends more often, so offsets cross months and years
      const nearEnd = rng.next() < 0.15 + 0.6 * difficulty;
      const len = monthLength(y, m);
      const today: Ymd = { y, m, d: nearEnd ? rng.int(Math.max(1, len - 3), len) : rng.int(1, len) };
      const ref = reference(rng, difficulty, today);
      if (!ref) continue;
      const off = pickOffset(rng, difficulty, today);
      const answer = off.days !== undefined ? addDays(today, off.days) : addMonths(today, off.months!);
      if (!valid(answer)) continue;
      const wrong = distractors(rng, answer, today, off);
      if (wrong.length < 5) continue;
      const at = rng.int(0, 5);
      const opts = wrong.slice();
      opts.splice(at, 0, answer);
      const options = opts.map(fmtUS);
      const question = off.phrase === 'today' ? 'What is the date today in MM/DD/YYYY?' : `What is the date ${off.phrase} in MM/DD/YYYY?`;
      const input = `${ref.sentence} ${question}\nOptions:\n${options.map((o, i) => `(${letter(i)}) ${o}`).join('\n')}`;
      const concepts = new Set<string>();
      if (off.days !== 0 || ref.kind === 'yesterday' || ref.kind === 'tomorrow') concepts.add('add and subtract days');
      if (answer.m !== today.m || answer.y !== today.y || ref.kind === 'last_day' || (ref.kind === 'yesterday' && today.d === 1) || (ref.kind === 'tomorrow' && today.d === len)) {
        concepts.add('month lengths and leap years');
      }
      if (ref.kind !== 'today') concepts.add('MM/DD/YYYY formatting');
      if (off.relative || ref.kind === 'yesterday' || ref.kind === 'tomorrow' || ref.kind === 'birthday') concepts.add('relative dates (yesterday, one week ago)');
      return {
        input,
        target: `(${letter(at)})`,
        options,
        meta: {
          difficulty,
          concepts: pickConcepts(CONCEPTS, concepts),
          reference: ref.kind,
          offset: off.phrase,
          offsetDays: off.days !== undefined ? Math.abs(off.days) : 30 * Math.abs(off.months!),
        },
      };
    }
  },
};
