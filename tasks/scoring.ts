/**
 * Answer scoring rules. 'strict' is popbench's extractor and scorer
 * (tasks/extract.ts, the default). 'paper' is OPRO's rule, ported from
 * google-deepmind/opro: `metrics.get_normalized_prediction`
 * (opro/evaluation/metrics.py:188-342) turns the whole output into a
 * prediction, and `_get_accuracy` (opro/evaluation/eval_utils.py:381-490)
 * counts it correct when it equals the gold answer, the gold option's text,
 * contains the gold option's text and no other option's, is the matching
 * Boolean, or — for tasks not scored as numbers — contains the gold string
 * (`treat_include_as_correct = not prediction_treat_as_number`,
 * eval_utils.py:822). Not ported: the GPT-only `\boxed{}` shortcut
 * (eval_utils.py:791) and the second prompting round (off in OPRO's runs,
 * optimize_instructions.py:690-695).
 */
import { UserError } from '../core/errors.js';
import type { Scoring, Task } from '../core/types.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const BRACKETED = new Set([...LETTERS].map((l) => `(${l})`));
// metrics.py:76 and eval_utils.py:36
const BOOLEAN_SYMBOLS = [
  ['false', 'true'],
  ['no', 'yes'],
  ['invalid', 'valid'],
];
// metrics.py:32-61
const WORD_TO_NUM: Array<[string, number]> = [
  ['zero', 0], ['one', 1], ['two', 2], ['three', 3], ['four', 4], ['five', 5], ['six', 6], ['seven', 7], ['eight', 8],
  ['nine', 9], ['ten', 10], ['eleven', 11], ['twelve', 12], ['thirteen', 13], ['fourteen', 14], ['fifteen', 15],
  ['sixteen', 16], ['seventeen', 17], ['eighteen', 18], ['nineteen', 19], ['twenty', 20], ['thirty', 30],
  ['forty', 40], ['fifty', 50], ['sixty', 60], ['seventy', 70], ['eighty', 80], ['ninety', 90],
];
// metrics.py:66-74 (English delimiters; the multilingual ones never occur in these tasks)
const BEHIND_PRIMARY = ['answer is ', 'answer: ', 'answer is: '];
const BEHIND_SECONDARY = ['is: ', 'are: '];
const AHEAD = [' is the correct answer', ' is the right answer', ' is the final answer', ' is the answer'];
const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

const removePunctuation = (s: string) => s.replace(PUNCTUATION, '');
const isFloat = (s: string) => s.trim() !== '' && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s.trim());
const isAlpha = (s: string) => s.length > 0 && /^\p{L}+$/u.test(s);

function bracketedChoice(prediction: string): string {
  const p = prediction.toLowerCase();
  const count = [...BRACKETED].filter((b) => p.includes(b)).length;
  if (count === 1) return /\(.*?\)/.exec(p)![0];
  return p;
}

/** OPRO `get_normalized_prediction` (metrics.py:188-342) with num_decimals = 0 (eval_utils calls, opt_utils.py:538). */
export function oproNormalizedPrediction(prediction: string, o: { treatAsNumber: boolean; treatAsBool: boolean }): string {
  let p = prediction.toLowerCase().trim();
  const behind = BEHIND_PRIMARY.some((d) => prediction.includes(d)) ? BEHIND_PRIMARY : BEHIND_SECONDARY;
  const delimsBehind = ['step-by-step answer: ', '#### ', ...behind];
  for (const q of ['question:', 'q:']) p = p.split(q)[0]!;
  let indicated = false;
  for (const d of delimsBehind)
    if (p.includes(d)) {
      const parts = p.split(d);
      p = parts[parts.length - 1]!;
      indicated = true;
    }
  for (const d of AHEAD)
    if (p.includes(d)) {
      p = p.split(d)[0]!;
      indicated = true;
    }
  p = p.trim();
  p = p.split('this is the solution:')[0]!;
  while (p.endsWith('.')) p = p.slice(0, -1);
  while (p.endsWith("'")) p = p.slice(0, -1);
  p = bracketedChoice(p);

  const asText = (s: string) => s.split('.')[0]!;
  const asNumber = (s0: string) => {
    let s = s0.split('=').pop()!;
    for (const c of ['$', ',', '%', '€', '£']) s = s.split(c).join('');
    s = s.split(':')[0]!.trim();
    for (const [w, n] of WORD_TO_NUM) if (s.includes(w)) s = s.split(w).join(String(n));
    const parts = indicated ? s.split(' ') : s.split(' ').reverse();
    s = parts[0]!;
    for (const part of parts)
      if (!isAlpha(part)) {
        s = part;
        break;
      }
    while (s && /\p{L}$/u.test(s)) s = s.slice(0, -1);
    if (s.endsWith('-')) s = s.slice(0, -1);
    if (isFloat(s)) {
      // Python round(x, 0) is half-to-even; '{:.0f}' prints it without decimals.
      const x = Number(s);
      const f = Math.floor(x);
      const r = x - f > 0.5 || (x - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
      return String(r === 0 ? 0 : r);
    }
    const m = /(\d+)(?!.*\d)/s.exec(s);
    return m ? m[0] : s;
  };

  if (!o.treatAsBool) {
    p = o.treatAsNumber ? asNumber(p) : asText(p);
  } else {
    const notNum = asText(p);
    const num = asNumber(p);
    if (!BOOLEAN_SYMBOLS.some((pair) => pair.includes(notNum))) {
      if (num === '0' || num === '1') p = String(num === '1');
      if (notNum === '0' || notNum === '1') p = String(notNum === '1');
    } else p = notNum;
    p = removePunctuation(p).trim();
  }
  return p;
}

/** OPRO `_get_answer_text` (eval_utils.py:305-335): the text of option `symbol` in `input`. */
function answerText(input: string, symbol: string): string {
  const re = new RegExp([...LETTERS].map((l) => `\\(${l.toUpperCase()}\\)`).join('|') + '|A:');
  const list = input
    .split(re)
    .map((s) => s.trim().toLowerCase())
    .slice(1)
    .map((s) => s.split('\n')[0]!);
  const sym = symbol.toLowerCase();
  const letter = BRACKETED.has(sym) ? sym[1]! : sym;
  return list[letter.charCodeAt(0) - 97] ?? '';
}

/** OPRO `_get_accuracy` (eval_utils.py:381-490). `input` is the prompt for multiple-choice tasks, else "". */
export function oproAccuracy(trueAnswer: string, predAnswer: string, input: string, treatIncludeAsCorrect: boolean): boolean {
  let t = trueAnswer.toLowerCase();
  let p = predAnswer.toLowerCase();
  const included = p.includes(t);
  let trueText = '';
  let others: string[] = [];
  if (input) {
    if (t.length === 1 && LETTERS.includes(t)) t = `(${t})`;
    if (p.length === 1 && LETTERS.includes(p)) p = `(${p})`;
    if (!BRACKETED.has(t)) return false;
    trueText = answerText(input, t).toLowerCase();
    const present = new Set(input.match(/\([A-Z]\)/g) ?? []);
    const symbols: string[] = [];
    for (const l of LETTERS.toUpperCase()) {
      if (present.has(`(${l})`)) symbols.push(`(${l})`);
      else break;
    }
    others = symbols.filter((s) => s.toLowerCase() !== t).map((s) => answerText(input, s));
  }
  if (BRACKETED.has(t)) t = t[1]!;
  if (BRACKETED.has(p)) p = p[1]!;
  const exact = p === t || removePunctuation(p).trim() === removePunctuation(t).trim();
  const choiceExact = !!input && (p === trueText || removePunctuation(p).trim() === trueText);
  const noneIn = (list: string[], target: string) => list.every((x) => !target.includes(x));
  const targetInNone = (target: string, list: string[]) => list.every((x) => !x.includes(target));
  const choiceIncluded =
    !!input &&
    p.includes(trueText) &&
    (targetInNone(trueText, others) ? noneIn(others, p.split(trueText).join('')) : noneIn(others, p));
  let boolMatch = false;
  const idx = BOOLEAN_SYMBOLS.findIndex((pair) => pair.includes(t));
  if (idx >= 0) {
    const asBool = String(BOOLEAN_SYMBOLS[idx]!.indexOf(t) === 1);
    if (p === '0' || p === '1') p = String(p === '1');
    boolMatch = p === asBool || p.trim() === asBool;
  }
  const ok = exact || choiceExact || choiceIncluded || boolMatch;
  return treatIncludeAsCorrect ? ok || included : ok;
}

/** OPRO's BBH task groups (optimize_instructions.py:544-576). */
const NUMERICAL_BBH = new Set(['object_counting', 'multistep_arithmetic_two']);
const BOOLEAN_BBH = new Set(['boolean_expressions', 'causal_judgement', 'formal_fallacies', 'navigate', 'sports_understanding', 'web_of_lies']);

/** How OPRO treats a task's predictions (optimize_instructions.py:585-605). */
export function oproTreatment(task: Pick<Task, 'id' | 'family' | 'answerFormat'>): { number: boolean; bool: boolean; multipleChoice: boolean } {
  if (task.family === 'gsm8k') return { number: true, bool: false, multipleChoice: false };
  if (task.family === 'mmlu') return { number: false, bool: false, multipleChoice: true };
  if (task.family === 'bbh') {
    const name = task.id.slice('bbh/'.length);
    return { number: NUMERICAL_BBH.has(name), bool: BOOLEAN_BBH.has(name), multipleChoice: task.answerFormat === 'letter' };
  }
  throw new UserError(`scoring paper: OPRO defines no scoring for task ${task.id} (gsm8k, bbh and mmlu only)`);
}

/**
 * The task with answers scored by `scoring`: unchanged for 'strict'; for
 * 'paper', OPRO's rule (module doc). The shown input stands in for OPRO's
 * raw prompt in multiple-choice matching (the options are in the input).
 */
export function withScoring<T extends Task>(task: T, scoring: Scoring): T {
  if (scoring === 'strict') return task;
  const t = oproTreatment(task);
  return {
    ...task,
    extract(output: string): string | null {
      // OPRO strips the normalized prediction once more (eval_utils.py:766-767, 815-818).
      const norm = oproNormalizedPrediction(output, { treatAsNumber: t.number, treatAsBool: t.bool });
      return norm.replace(/^:+|:+$/g, '').trim().split('\n')[0]!.split('Q:')[0]!;
    },
    score(pred, example) {
      if (pred === null) return false;
      return oproAccuracy(example.target, pred, t.multipleChoice ? example.input : '', !t.number);
    },
  };
}
