/**
 * Pairwise win rate by a judge model (suite option `pairwise:`,
 * docs/benchmarks.md) — what BPO (Cheng et al. 2023, §4) measures: the target
 * answers the user's original prompt (the `baseline` entry's cell, e.g.
 * `empty`) and the method's version of it (e.g. the BPO-rewritten prompt), and
 * a judge model says which answer is better.
 *
 * After the cells of a run, for every finished cell of another entry, the
 * baseline cell with the same task, target and seed is found, and each test
 * example both scored is judged from the two recorded outputs (samples.jsonl):
 * no new target call, only judge calls, outside the budget and through the
 * call cache. The judge prompt is the one BPO's evaluation sends
 * (thu-coai/BPO src/evaluation/gpt4_score.py:120, FastChat's MT-Bench
 * "pair-v2": system prompt + `[User Question]` template) at temperature 0
 * (gpt4_score.py:26), the question being the original prompt
 * (gpt4_score.py:86-91). Position bias:
 * - `order: random` (the reference's): one judgement per prompt, the method's
 *   answer shown as Assistant A or B by a coin flip (gpt4_score.py:78-85;
 *   here a hash of cell id and example id, so reruns are identical);
 * - `order: both`: both orders, combined by MT-Bench's conservative rule
 *   (Zheng et al. 2023, "Judging LLM-as-a-Judge", §3.3): a win only when the
 *   two verdicts agree, a tie when they disagree; one unparsed verdict leaves
 *   the other.
 * Verdicts are read as cal_gpt4_score.py:13-28 reads them: `[[A]]`, `[[B]]`,
 * `[[C]]` (tie) in the reply's last paragraph (split on a blank line).
 *
 * Writes `cells/<id>/pairwise.json`; resumable (a cell whose file has the same
 * judge, baseline cell and order is not judged again).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { hashUnit } from '../core/hash.js';
import type { LLM } from '../core/types.js';
import type { UsageMeter } from '../llm/index.js';
import { cellDir, readJson, writeAtomic } from './runner.js';
import { cellState } from './rundir.js';
import type { Session } from './session.js';
import { PAIRWISE_ORDERS, type CellSpec, type Suite } from './suite.js';

export { PAIRWISE_ORDERS };

/** BPO's judge system prompt, verbatim (thu-coai/BPO src/evaluation/gpt4_score.py:120, `system_prompt` of FastChat's "pair-v2"). */
export const PAIRWISE_SYSTEM =
  'Please act as an impartial judge and evaluate the quality of the responses provided by two AI assistants to the user question displayed below. You should choose the assistant that follows the user\'s instructions and answers the user\'s question better. Your evaluation should consider factors such as the helpfulness, relevance, accuracy, depth, creativity, and level of detail of their responses. Begin your evaluation by comparing the two responses and provide a short explanation. Avoid any position biases and ensure that the order in which the responses were presented does not influence your decision. Do not allow the length of the responses to influence your evaluation. Do not favor certain names of the assistants. Be as objective as possible. After providing your explanation, output your final verdict by strictly following this format: "[[A]]" if assistant A is better, "[[B]]" if assistant B is better, and "[[C]]" for a tie.';

/** BPO's judge user template, verbatim (gpt4_score.py:120, `prompt_template`). */
export const PAIRWISE_TEMPLATE =
  "[User Question]\n{question}\n\n[The Start of Assistant A's Answer]\n{answer_a}\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\n{answer_b}\n[The End of Assistant B's Answer]";

export type Verdict = 'A' | 'B' | 'C';
export type Outcome = 'win' | 'tie' | 'loss';
export type PairwiseOrder = (typeof PAIRWISE_ORDERS)[number];

/** The judge request's user message (gpt4_score.py:97: `.replace` of the three slots, in this order). */
export function pairwiseUserPrompt(question: string, answerA: string, answerB: string): string {
  return PAIRWISE_TEMPLATE.replace('{question}', question).replace('{answer_a}', answerA).replace('{answer_b}', answerB);
}

/**
 * The verdict of a judge reply, as cal_gpt4_score.py:13-28 reads it: the last
 * paragraph (text after the last blank line) is searched for `[[A]]`, then
 * `[[B]]`, then `[[C]]`; null when it holds none. Trailing whitespace is
 * dropped first (the reference would read an empty last paragraph).
 */
export function parseVerdict(reply: string): Verdict | null {
  const paras = reply.trimEnd().split('\n\n');
  const last = paras[paras.length - 1] ?? '';
  if (last.includes('[[A]]')) return 'A';
  if (last.includes('[[B]]')) return 'B';
  if (last.includes('[[C]]')) return 'C';
  return null;
}

/** A verdict from the method's side: `methodFirst` = the method's answer was Assistant A. */
export function outcomeOf(verdict: Verdict | null, methodFirst: boolean): Outcome | null {
  if (verdict === null) return null;
  if (verdict === 'C') return 'tie';
  return (verdict === 'A') === methodFirst ? 'win' : 'loss';
}

/**
 * One prompt's outcome from its judgements (each already from the method's
 * side): one judgement gives itself; two (both orders) give their common
 * outcome when they agree and a tie when they disagree (MT-Bench's
 * conservative rule, Zheng et al. 2023 §3.3); unparsed judgements are left out;
 * null when none is left.
 */
export function combineOutcomes(outcomes: readonly (Outcome | null)[]): Outcome | null {
  const ok = outcomes.filter((o): o is Outcome => o !== null);
  if (ok.length === 0) return null;
  return ok.every((o) => o === ok[0]) ? ok[0]! : 'tie';
}

/** Which order(s) a prompt is judged in: `random` by a coin keyed by (cell, example), as gpt4_score.py:78 flips `random.randint(0, 1)`. */
export function judgeOrders(order: PairwiseOrder, cellId: string, exampleId: string): boolean[] {
  if (order === 'both') return [true, false];
  return [hashUnit([cellId, exampleId, 'pairwise-order']) < 0.5];
}

export interface Judgement {
  /** true: the method's answer was shown as Assistant A. */
  methodFirst: boolean;
  verdict: Verdict | null;
  reply: string;
}

/** Ask the judge once (temperature 0, gpt4_score.py:26). */
export async function askJudge(judge: LLM, question: string, methodAnswer: string, baselineAnswer: string, methodFirst: boolean): Promise<Judgement> {
  const [a, b] = methodFirst ? [methodAnswer, baselineAnswer] : [baselineAnswer, methodAnswer];
  const res = await judge.complete({
    messages: [
      { role: 'system', content: PAIRWISE_SYSTEM },
      { role: 'user', content: pairwiseUserPrompt(question, a, b) },
    ],
    temperature: 0,
    maxTokens: 1024,
    role: 'judge',
  });
  const reply = res.choices[0]?.text ?? '';
  return { methodFirst, verdict: parseVerdict(reply), reply };
}

export const PairwiseFileSchema = z.object({
  judge: z.string(),
  baseline: z.string(),
  baselineCell: z.string(),
  order: z.enum(PAIRWISE_ORDERS),
  prompts: z.array(
    z.object({
      exampleId: z.string(),
      outcome: z.enum(['win', 'tie', 'loss']).nullable(),
      judgements: z.array(z.object({ methodFirst: z.boolean(), verdict: z.enum(['A', 'B', 'C']).nullable(), reply: z.string() })),
    }),
  ),
});
export type PairwiseFile = z.infer<typeof PairwiseFileSchema>;

export interface PairwiseSummary {
  judged: string[];
  skipped: Array<{ id: string; reason: string }>;
}

const pairwiseFile = (out: string, id: string) => path.join(cellDir(out, id), 'pairwise.json');

/** A cell's pairwise.json, or undefined when absent or not in the documented format. */
export function readPairwise(out: string, id: string): PairwiseFile | undefined {
  const f = pairwiseFile(out, id);
  if (!existsSync(f)) return undefined;
  try {
    const r = PairwiseFileSchema.safeParse(readJson<unknown>(f));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Test outputs of a cell by example id (samples.jsonl). */
function testOutputs(out: string, id: string): Map<string, string> {
  const m = new Map<string, string>();
  const f = path.join(cellDir(out, id), 'samples.jsonl');
  if (!existsSync(f)) return m;
  for (const line of readFileSync(f, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const s = JSON.parse(line) as { split?: string; exampleId?: string; output?: string };
    if (s.split === 'test' && typeof s.exampleId === 'string' && typeof s.output === 'string') m.set(s.exampleId, s.output);
  }
  return m;
}

/** The entry label a cell belongs to (the suite entry's `label`, else the optimizer name). */
export const entryLabel = (spec: Pick<CellSpec, 'label' | 'optimizer'>) => spec.label ?? spec.optimizer;

/**
 * Judge every finished cell against its baseline cell (same task, target and
 * seed) on the test prompts both scored; `suite.pairwise` must be set.
 */
export async function runPairwise(suite: Suite, out: string, cells: readonly CellSpec[], session: Session, usage: UsageMeter): Promise<PairwiseSummary> {
  const cfg = suite.pairwise;
  if (!cfg) return { judged: [], skipped: [] };
  const summary: PairwiseSummary = { judged: [], skipped: [] };
  const judge = session.model(cfg.judge, undefined, usage);
  const key = (s: CellSpec) => JSON.stringify([s.task, s.target, s.seed]);
  const baselines = new Map(cells.filter((s) => entryLabel(s) === cfg.baseline).map((s) => [key(s), s]));
  for (const spec of cells) {
    if (entryLabel(spec) === cfg.baseline) continue;
    if (cellState(out, spec.id, spec).status !== 'done') continue;
    const base = baselines.get(key(spec));
    if (!base || cellState(out, base.id, base).status !== 'done') {
      summary.skipped.push({ id: spec.id, reason: `no finished ${cfg.baseline} cell on ${spec.task}, ${spec.target}, seed ${spec.seed}` });
      continue;
    }
    const prev = readPairwise(out, spec.id);
    if (prev && prev.judge === cfg.judge && prev.baselineCell === base.id && prev.order === cfg.order) continue;
    const mine = testOutputs(out, spec.id);
    const theirs = testOutputs(out, base.id);
    const task = session.task(spec.task, spec.splitSeed === 'per-seed' ? spec.seed : session.seed);
    const file: PairwiseFile = { judge: cfg.judge, baseline: cfg.baseline, baselineCell: base.id, order: cfg.order, prompts: [] };
    // Requests go out together (the endpoint's limiter sets the pace); each is answered the same at any concurrency.
    const judged = await Promise.all(
      task.splits.test.map(async (ex) => {
        const a = mine.get(ex.id);
        const b = theirs.get(ex.id);
        if (a === undefined || b === undefined) return undefined;
        const judgements = await Promise.all(judgeOrders(cfg.order, spec.id, ex.id).map((first) => askJudge(judge, ex.input, a, b, first)));
        return { exampleId: ex.id, outcome: combineOutcomes(judgements.map((j) => outcomeOf(j.verdict, j.methodFirst))), judgements };
      }),
    );
    for (const p of judged) if (p) file.prompts.push(p);
    writeAtomic(pairwiseFile(out, spec.id), JSON.stringify(file) + '\n');
    summary.judged.push(spec.id);
  }
  return summary;
}
