/**
 * Answer values of the sim targets: how a correct answer is shown, a
 * plausible wrong value of the right type, and an answer put in words that
 * an extractor cannot parse (docs/sim.md, "Output text").
 */
import { hashUnit } from '../core/hash.js';
import type { AnswerFormat, Example, Task } from '../core/types.js';
import type { AnswerStyle } from './features.js';

export function styleLine(style: AnswerStyle | 'bare', value: string): string {
  switch (style) {
    case 'so_the_answer_is':
      return `So the answer is ${value}.`;
    case 'hashes':
      return `#### ${value}`;
    case 'boxed':
      return `The answer is \\boxed{${value}}.`;
    case 'answer_colon':
      return `Answer: ${value}`;
    case 'the_answer_is':
      return `The answer is ${value}.`;
    case 'bare':
      return value;
  }
}

export const STYLE_ORDER: readonly (AnswerStyle | 'bare')[] = [
  'so_the_answer_is',
  'the_answer_is',
  'answer_colon',
  'hashes',
  'boxed',
  'bare',
];

const STYLES_MEMO = new WeakMap<Task, Map<string, readonly (AnswerStyle | 'bare')[]>>();

/** Styles to try, the asked one first, then the one the task's own format instruction implies (computed once per task and asked style). */
export function stylesFor(task: Task, asked: AnswerStyle | undefined): readonly (AnswerStyle | 'bare')[] {
  let byAsked = STYLES_MEMO.get(task);
  if (!byAsked) STYLES_MEMO.set(task, (byAsked = new Map()));
  const key = `${asked ?? ''}\u0000${task.formatInstruction ?? ''}`;
  let styles = byAsked.get(key);
  if (!styles) byAsked.set(key, (styles = Object.freeze(computeStyles(task, asked))));
  return styles;
}

function computeStyles(task: Task, asked: AnswerStyle | undefined): (AnswerStyle | 'bare')[] {
  const out: (AnswerStyle | 'bare')[] = [];
  if (asked) out.push(asked);
  const fi = task.formatInstruction ?? '';
  if (/so the answer is/i.test(fi)) out.push('so_the_answer_is');
  else if (/####/.test(fi)) out.push('hashes');
  else if (/answer:/i.test(fi)) out.push('answer_colon');
  for (const s of STYLE_ORDER) if (!out.includes(s)) out.push(s);
  return out;
}

const LETTERS = 'ABCDEFGHIJKLMNOPQR';

export function optionCount(example: Example): number {
  if (example.options?.length) return example.options.length;
  let max = 0;
  for (const m of example.input.matchAll(/\(([A-R])\)/g)) max = Math.max(max, LETTERS.indexOf(m[1]!) + 1);
  return max >= 2 ? max : 4;
}

/** Ways to show the correct answer (tried in order until the task's scorer accepts one). */
export function correctValues(task: Task, example: Example): string[] {
  const t = example.target.trim();
  const out = [t];
  if (task.answerFormat === 'letter') {
    const m = /^\(?([A-R])\)?$/.exec(t);
    if (m) out.push(`(${m[1]})`, m[1]!);
  }
  if (task.answerFormat === 'integer') out.push(t.replace(/,/g, ''));
  return [...new Set(out)];
}

const flip = (v: string, a: string, b: string): string => {
  const low = v.toLowerCase();
  const to = low === a ? b : a;
  if (v === v.toUpperCase() && v.length > 1) return to.toUpperCase();
  if (v[0] === v[0]?.toUpperCase()) return to[0]!.toUpperCase() + to.slice(1);
  return to;
};

/** A plausible wrong value of the right type; `k` picks among alternatives. */
export function wrongValue(format: AnswerFormat, example: Example, r: number, k: number): string {
  const t = example.target.trim();
  switch (format) {
    case 'letter': {
      const n = optionCount(example);
      const m = /^\(?([A-R])\)?$/.exec(t);
      const gi = m ? LETTERS.indexOf(m[1]!) : -1;
      let i = Math.floor(r * (n - 1) + k) % Math.max(1, n - 1);
      if (gi >= 0 && i >= gi) i++;
      const letter = LETTERS[Math.min(i, LETTERS.length - 1)]!;
      return m && !t.startsWith('(') ? letter : `(${letter})`;
    }
    case 'true_false':
      return flip(t, 'true', 'false');
    case 'yes_no':
      return flip(t, 'yes', 'no');
    case 'valid_invalid':
      return flip(t, 'valid', 'invalid');
    case 'integer': {
      const g = Number.parseInt(t.replace(/,/g, ''), 10);
      if (!Number.isFinite(g)) return String(k + 1);
      const steps = [1, 2, 3, 5, 10, Math.max(4, Math.round(Math.abs(g) * 0.1))];
      const d = steps[(Math.floor(r * steps.length) + k) % steps.length]!;
      const sign = hashUnit([t, r, k, 'sign']) < 0.5 ? -1 : 1;
      const v = g + sign * d;
      return String(v === g ? g + 1 : v);
    }
    case 'dyck': {
      const toks = t.split(/\s+/).filter(Boolean);
      if (toks.length > 1 && k % 2 === 0) return toks.slice(0, -1).join(' ');
      return [...toks, [')', ']', '}', '>'][k % 4]!].join(' ');
    }
    case 'words': {
      const ws = t.split(/\s+/).filter(Boolean);
      if (ws.length >= 2) {
        const i = (Math.floor(r * (ws.length - 1)) + k) % (ws.length - 1);
        const out = ws.slice();
        [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
        if (out.join(' ') !== ws.join(' ')) return out.join(' ');
        return ws.slice(1).join(' ');
      }
      return `${t} extra`;
    }
    case 'text':
    default:
      return k === 0 ? `not ${t}` : `${t} ${'x'.repeat(k)}`;
  }
}

const SMALL = 'zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen'.split(' ');
const TENS = 'twenty thirty forty fifty sixty seventy eighty ninety'.split(' ');

export function numberToWords(n: number): string {
  if (!Number.isFinite(n)) return 'some amount';
  if (n < 0) return `minus ${numberToWords(-n)}`;
  n = Math.floor(n);
  if (n < 20) return SMALL[n]!;
  if (n < 100) return TENS[Math.floor(n / 10) - 2]! + (n % 10 ? `-${SMALL[n % 10]}` : '');
  if (n < 1000) return `${SMALL[Math.floor(n / 100)]} hundred${n % 100 ? ` and ${numberToWords(n % 100)}` : ''}`;
  for (const [size, name] of [
    [1e9, 'billion'],
    [1e6, 'million'],
    [1e3, 'thousand'],
  ] as const) {
    if (n >= size) return `${numberToWords(Math.floor(n / size))} ${name}${n % size ? ` ${numberToWords(n % size)}` : ''}`;
  }
  return 'a large amount';
}

const ORDINAL = 'first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth'.split(' ');

/** The answer put in words (no digits, option letters or label words), for a FORMAT failure. */
export function verbalValue(format: AnswerFormat, value: string): string {
  switch (format) {
    case 'letter': {
      const m = /\(?([A-R])\)?/.exec(value);
      return m ? `the ${ORDINAL[LETTERS.indexOf(m[1]!)]} option` : 'one of the options';
    }
    case 'true_false':
      return /true/i.test(value) ? 'that the expression holds' : 'that the expression does not hold';
    case 'yes_no':
      return /yes/i.test(value) ? 'that it does' : 'that it does not';
    case 'valid_invalid':
      return /^valid/i.test(value) ? 'that the argument holds up' : 'that the argument falls apart';
    case 'integer':
      return numberToWords(Number.parseInt(value.replace(/,/g, ''), 10));
    case 'dyck':
      return 'to close whatever is still open';
    case 'words':
      return 'the list in dictionary order';
    case 'text':
    default:
      return 'something along those lines';
  }
}

/** A value written in another answer format (what a mismatched format instruction asked for). */
export function valueInFormat(format: AnswerFormat, r: number): string {
  switch (format) {
    case 'letter':
      return `(${LETTERS[Math.floor(r * 4)]})`;
    case 'true_false':
      return r < 0.5 ? 'True' : 'False';
    case 'yes_no':
      return r < 0.5 ? 'Yes' : 'No';
    case 'valid_invalid':
      return r < 0.5 ? 'valid' : 'invalid';
    case 'integer':
      return String(1 + Math.floor(r * 20));
    case 'dyck':
      return ') ]';
    case 'words':
      return 'alpha beta';
    default:
      return 'unknown';
  }
}
