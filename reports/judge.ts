/**
 * An LLM judge for reflection quality where no ground truth exists (real
 * targets): (a) it labels the likely cause of each shown failure from
 * (question, model output, gold), and (b) it maps each reflection text to the
 * cause taxonomy (sim/causes.ts). Reflection quality is then the agreement of
 * (b) with (a): a *judged* estimate, never ground truth (docs/reports.md,
 * "Judged reflection quality").
 */
import type { LLM } from '../core/types.js';
import type { ReflectionRecord, ShownFailure } from '../optimizers/types.js';
import { CAUSE_KINDS, type CauseKind } from '../sim/causes.js';
import type { CauseParser } from './reflection.js';

/** The cause taxonomy as the judge reads it: one line per cause kind. */
export function judgeTaxonomy(concepts: readonly string[] = []): string {
  const named = concepts.length ? ` Concepts this task needs: ${concepts.map((c) => `"${c}"`).join(', ')}.` : '';
  return [
    '- INSTRUCTION_IGNORED: the model did not do what the prompt asked (it skipped the requested steps, form or procedure).',
    '- DISTRACTION: irrelevant text in the prompt or question led the model astray.',
    `- MISSING_CONCEPT:<concept>: the model did not apply an idea or rule the question needs; write the concept after the colon.${named}`,
    '- KNOWLEDGE_GAP: the model lacked or misremembered a fact needed for the answer.',
    '- REASONING_SLIP: the model had what it needed but made an error while combining it (a wrong step or calculation).',
    '- FORMAT: the answer may be right but is not written in the form the task requires, so it cannot be read or scores as wrong.',
  ].join('\n');
}

/** The six cause kinds with their definitions (no task concepts). */
export const JUDGE_TAXONOMY = judgeTaxonomy();

const HEAD = 'You are an error-cause judge for a prompt-optimization benchmark.';
const ANSWER = 'Reply with one JSON object and nothing else, e.g. {"causes": ["FORMAT", "MISSING_CONCEPT:unit conversion"]}.';

/** Meta-prompt (a): the likely cause of one failure. */
export function failurePrompt(failure: ShownFailure, concepts: readonly string[]): string {
  return [
    HEAD,
    'A language model answered the question below wrongly. Decide which one cause from this taxonomy most likely explains the mistake:',
    judgeTaxonomy(concepts),
    '',
    `<question>\n${failure.input}\n</question>`,
    `<model_output>\n${failure.output}\n</model_output>`,
    `<correct_answer>\n${failure.gold}\n</correct_answer>`,
    '',
    `${ANSWER} Give exactly one cause in the list.`,
  ].join('\n');
}

/** Meta-prompt (b): the causes a reflection text names. */
export function reflectionPrompt(text: string, concepts: readonly string[]): string {
  return [
    HEAD,
    'An optimizer wrote the reflection below about why a prompt made a language model answer wrongly. List every cause from this taxonomy that the reflection names, in the order it names them (an empty list if it names none). Do not add causes it does not state.',
    judgeTaxonomy(concepts),
    '',
    `<reflection>\n${text}\n</reflection>`,
    '',
    ANSWER,
  ].join('\n');
}

/** The first JSON object in a reply (balanced braces, strings respected), or undefined. */
export function firstJsonObject(reply: string): unknown {
  for (let start = reply.indexOf('{'); start >= 0; start = reply.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < reply.length; i++) {
      const ch = reply[i]!;
      if (inString) {
        if (ch === '\\') i++;
        else if (ch === '"') inString = false;
      } else if (ch === '"') inString = true;
      else if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) {
        try {
          return JSON.parse(reply.slice(start, i + 1));
        } catch {
          break;
        }
      }
    }
  }
  return undefined;
}

/** A judge label as a cause code, or null when it is not in the taxonomy. */
export function normalizeCause(label: unknown): string | null {
  if (typeof label !== 'string') return null;
  const colon = label.indexOf(':');
  const kind = (colon >= 0 ? label.slice(0, colon) : label).trim().toUpperCase().replace(/[\s-]+/g, '_');
  if (!(CAUSE_KINDS as readonly string[]).includes(kind)) return null;
  if ((kind as CauseKind) !== 'MISSING_CONCEPT') return colon >= 0 && label.slice(colon + 1).trim() ? null : kind;
  const concept = colon >= 0 ? label.slice(colon + 1).trim() : '';
  return concept ? `MISSING_CONCEPT:${concept}` : null;
}

/**
 * Causes in a judge reply: the `causes` array (or a single `cause` string) of
 * the first JSON object. `ok` is false when there is no such object; labels
 * outside the taxonomy are dropped (duplicates too).
 */
export function parseJudgeReply(reply: string): { ok: boolean; causes: string[] } {
  const obj = firstJsonObject(reply);
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) return { ok: false, causes: [] };
  const o = obj as Record<string, unknown>;
  const raw = Array.isArray(o['causes']) ? (o['causes'] as unknown[]) : typeof o['cause'] === 'string' ? [o['cause']] : undefined;
  if (!raw) return { ok: false, causes: [] };
  const causes: string[] = [];
  for (const r of raw) {
    const c = normalizeCause(r);
    if (c && !causes.includes(c)) causes.push(c);
  }
  return { ok: true, causes };
}

interface Tally {
  unparsed: number;
}

async function ask(judge: LLM, prompt: string): Promise<string> {
  const res = await judge.complete({ messages: [{ role: 'user', content: prompt }], temperature: 0, role: 'judge' });
  return res.choices[0]?.text ?? '';
}

/** The judge's cause for one failure (null when the reply names none or cannot be parsed). */
export async function judgeFailureCause(judge: LLM, failure: ShownFailure, concepts: readonly string[], tally?: Tally): Promise<string | null> {
  const r = parseJudgeReply(await ask(judge, failurePrompt(failure, concepts)));
  if (!r.ok && tally) tally.unparsed++;
  return r.causes[0] ?? null;
}

/** The causes a reflection text names, as the judge reads it ([] when none or unparseable). */
export async function judgeReflectionCauses(judge: LLM, text: string, concepts: readonly string[], tally?: Tally): Promise<string[]> {
  const r = parseJudgeReply(await ask(judge, reflectionPrompt(text, concepts)));
  if (!r.ok && tally) tally.unparsed++;
  return r.causes;
}

/** A shown failure after judging: `causeSource` says where `trueCause` came from. */
export interface JudgedShownFailure extends ShownFailure {
  /** 'judge' = `trueCause` is the judge's label (no ground truth); 'sim' = the sim's ground truth. */
  causeSource?: 'judge' | 'sim';
  /** The judge's own label, also when a ground-truth cause exists (null: the judge named none). */
  judgedCause?: string | null;
}

export interface JudgedReflections {
  /** Copies of the records; failures without a true cause get the judge's label (causeSource 'judge'). */
  records: ReflectionRecord[];
  /** Sync lookup of the judged causes of each reflection text (texts not judged → []). */
  parser: CauseParser;
  /** Judge replies that had no parseable JSON answer. */
  unparsed: number;
  /** Judge calls made (each distinct text once). */
  calls: number;
}

/** Reuse answers across calls of `judgeReflections` (e.g. all cells of one report). */
export interface JudgeMemo {
  reflections: Map<string, Promise<string[]>>;
  failures: Map<string, Promise<string | null>>;
}

export function newJudgeMemo(): JudgeMemo {
  return { reflections: new Map(), failures: new Map() };
}

// The concepts are part of the meta-prompt, so they are part of the key.
const failureKey = (f: ShownFailure, concepts: readonly string[]) => JSON.stringify([concepts, f.input, f.output, f.gold]);

/**
 * Judge every reflection text and (with `labelFailures`) every shown failure,
 * each distinct text once. Failures with a ground-truth cause keep it
 * (causeSource 'sim') and also carry the judge's label in `judgedCause`.
 */
export async function judgeReflections(
  records: readonly ReflectionRecord[],
  judge: LLM,
  concepts: readonly string[],
  opts: { labelFailures: boolean; memo?: JudgeMemo },
): Promise<JudgedReflections> {
  const memo = opts.memo ?? newJudgeMemo();
  const tally: Tally = { unparsed: 0 };
  let calls = 0;
  const reflectionOf = (text: string) => {
    const k = JSON.stringify([concepts, text]);
    let p = memo.reflections.get(k);
    if (!p) {
      calls++;
      p = judgeReflectionCauses(judge, text, concepts, tally);
      memo.reflections.set(k, p);
    }
    return p;
  };
  const failureOf = (f: ShownFailure) => {
    const k = failureKey(f, concepts);
    let p = memo.failures.get(k);
    if (!p) {
      calls++;
      p = judgeFailureCause(judge, f, concepts, tally);
      memo.failures.set(k, p);
    }
    return p;
  };
  // Sequential: a real judge sees one request at a time, and the call count stays exact.
  const named = new Map<string, string[]>();
  const out: ReflectionRecord[] = [];
  for (const r of records) {
    named.set(r.text, await reflectionOf(r.text));
    const shown: JudgedShownFailure[] = [];
    for (const f of r.shown) {
      if (!opts.labelFailures) {
        shown.push({ ...f });
        continue;
      }
      const judged = await failureOf(f);
      if (f.trueCause) shown.push({ ...f, causeSource: 'sim', judgedCause: judged });
      else shown.push({ ...f, ...(judged ? { trueCause: judged } : {}), causeSource: 'judge', judgedCause: judged });
    }
    out.push({ ...r, shown });
  }
  return { records: out, parser: (text) => named.get(text) ?? [], unparsed: tally.unparsed, calls };
}

/** Copies whose failures carry the judge's label as `trueCause` (the fully judged view; unlabelled failures drop theirs). */
export function judgeLabelled(records: readonly ReflectionRecord[]): ReflectionRecord[] {
  return records.map((r) => ({
    ...r,
    shown: r.shown.map((f) => {
      const j = (f as JudgedShownFailure).judgedCause;
      const { trueCause: _drop, ...rest } = f;
      return j ? { ...rest, trueCause: j } : rest;
    }),
  }));
}

/** The judge's answers for every cell of a run with reflections (input to the report's judged tables). */
export interface JudgedRun {
  /** The judge model's name. */
  model: string;
  /** Per cell id: its reflections, judged. */
  cells: Map<string, JudgedReflections>;
  unparsed: number;
  calls: number;
}

/**
 * Judge the reflections of every cell (each distinct reflection and failure
 * once over the whole run). Failures are labelled in every cell: where the
 * sim's true cause exists the label measures the judge against it.
 */
export async function judgeRun(
  cells: ReadonlyArray<{ id: string; spec: { task: string }; trajectory: { reflections: ReflectionRecord[] } }>,
  judge: LLM,
  conceptsOf: (taskId: string) => readonly string[] = () => [],
): Promise<JudgedRun> {
  const memo = newJudgeMemo();
  const out: JudgedRun = { model: judge.model, cells: new Map(), unparsed: 0, calls: 0 };
  for (const c of cells) {
    const refl = c.trajectory.reflections ?? [];
    if (refl.length === 0) continue;
    const j = await judgeReflections(refl, judge, conceptsOf(c.spec.task), { labelFailures: true, memo });
    out.cells.set(c.id, j);
    out.unparsed += j.unparsed;
    out.calls += j.calls;
  }
  return out;
}
