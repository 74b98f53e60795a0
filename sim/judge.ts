/**
 * The sim judge (docs/sim.md, "The judge"): how a sim optimizer model answers
 * the error-cause judge's two requests (reports/judge.ts). It has its own
 * reader of reflection texts (keyword cues, not the ground-truth
 * `parseCauses`) and its own documented noise (`JUDGE_PARAMS`), so the
 * report's judge-vs-ground-truth agreement measures something.
 */
import type { Rng } from '../core/rng.js';
import { CAUSE_KINDS, type CauseKind } from './causes.js';
import { JUDGE_PARAMS, type JudgeParams, type OptimizerParams } from './params.js';
import { conclude } from './policy.js';
import { readRequest, type Shown } from './reader.js';
import type { SimWorld } from './world.js';

/**
 * The judge's reading cues, tried on each sentence (split at `.`, `!`, `?`,
 * `;` and line breaks). A MISSING_CONCEPT cue captures the concept (up to the
 * next comma or the sentence end), which is then cut from the sentence before
 * the other cues are tried; a sentence may name several kinds.
 */
export const JUDGE_CUES: ReadonlyArray<{ kind: CauseKind; re: RegExp }> = [
  { kind: 'MISSING_CONCEPT', re: /\b(?:the concept of|remind(?:s|ed)? the model (?:of|about)|did not apply|forgot to apply|should apply)\s+(?:the (?:concept|idea|rule) of\s+)?"?([^",]+?)"?\s*(?:,|$)/i },
  { kind: 'INSTRUCTION_IGNORED', re: /\b(?:did not|didn't|does not|failed to) follow\b|\bignor(?:ed|es|ing) the (?:instruction|prompt)|\bmisunderst(?:ood|ands)\b|\bmisread\b/i },
  { kind: 'DISTRACTION', re: /\bdistract|\birrelevant\b/i },
  { kind: 'KNOWLEDGE_GAP', re: /\bknowledge\b|\bfacts?\b|\brecall(?:ed|s)?\b|\bremember/i },
  { kind: 'REASONING_SLIP', re: /\breasoning\b|\bslip\b|\bcalculation|\barithmetic\b|\bintermediate (?:step|result)/i },
  { kind: 'FORMAT', re: /\bformat(?:ted)?\b|\brequired form\b/i },
];

/** Causes the judge's cues find in a text, in order, without duplicates (no noise). */
export function judgeReadCauses(text: string): string[] {
  const out: string[] = [];
  const add = (c: string) => {
    if (!out.some((x) => x.toLowerCase() === c.toLowerCase())) out.push(c);
  };
  for (const raw of text.split(/[.!?;\n]+/)) {
    let sentence = raw.trim();
    if (!sentence) continue;
    const found: Array<{ at: number; cause: string }> = [];
    const mc = JUDGE_CUES[0]!.re.exec(sentence);
    if (mc) {
      const concept = mc[1]!.trim();
      if (concept) found.push({ at: mc.index, cause: `MISSING_CONCEPT:${concept}` });
      sentence = sentence.slice(0, mc.index) + ' '.repeat(mc[0].length) + sentence.slice(mc.index + mc[0].length);
    }
    for (const { kind, re } of JUDGE_CUES.slice(1)) {
      const m = re.exec(sentence);
      if (m) found.push({ at: m.index, cause: kind });
    }
    found.sort((a, b) => a.at - b.at);
    for (const f of found) add(f.cause);
  }
  return out;
}

const OTHER_KINDS = (kind: string) => CAUSE_KINDS.filter((k) => k !== kind && k !== 'MISSING_CONCEPT');

/**
 * The judge's reading of a reflection: the cues' causes, each kept with p
 * `keep` (else missed), a kept cause read as another kind with p `confuse`
 * (uniform over the other kinds except MISSING_CONCEPT, whose concept the
 * judge could not invent), then with p `spurious` one more cause of a
 * uniform kind other than MISSING_CONCEPT that the text does not name.
 */
export function judgeReading(text: string, j: JudgeParams, rng: Rng): string[] {
  const out: string[] = [];
  for (const c of judgeReadCauses(text)) {
    if (rng.next() >= j.keep) continue;
    const kind = c.split(':')[0]!;
    const read = rng.next() < j.confuse ? rng.pick(OTHER_KINDS(kind)) : c;
    if (!out.includes(read)) out.push(read);
  }
  if (rng.next() < j.spurious) {
    const extra = OTHER_KINDS('').filter((k) => !out.includes(k));
    if (extra.length) out.push(rng.pick(extra));
  }
  return out;
}

/** The text between the first `open` and the last `close` tag, minus one newline at each end. */
function tagged(text: string, open: string, close: string): string | undefined {
  const a = text.indexOf(open);
  const b = text.lastIndexOf(close);
  if (a < 0 || b < a + open.length) return undefined;
  return text.slice(a + open.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

/** The judge parameters of a sim optimizer model. */
export function judgeParams(model: string): JudgeParams {
  const j = JUDGE_PARAMS[model];
  if (!j) throw new Error(`not a sim optimizer model: ${model}`);
  return j;
}

/**
 * A judge request answered as JSON `{"causes": [...]}`: for a
 * `<reflection>`, `judgeReading` of it; for a `<model_output>`, one cause from
 * that output alone by the policy's evidence rule with the judge's own
 * recognition rate (the tell's cause with p recognise × clarity, else a draw
 * from the optimizer model's prior).
 */
export function judgeAnswer(text: string, j: JudgeParams, p: OptimizerParams, rng: Rng, world?: SimWorld): string {
  const reflection = tagged(text, '<reflection>', '</reflection>');
  if (reflection !== undefined) return JSON.stringify({ causes: judgeReading(reflection, j, rng) });
  const output = tagged(text, '<model_output>', '</model_output>');
  if (output !== undefined) {
    const shown: Shown = { ...readRequest(output, world).shown, failures: 1, namedCauses: [] };
    return JSON.stringify({ causes: [conclude(shown, { ...p, recognise: j.recognise }, rng, world).causes[0]!] });
  }
  return JSON.stringify({ causes: [] });
}
