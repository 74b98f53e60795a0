/**
 * Anytime checkpoints: the incumbent prompt of an optimization run at fixed
 * shares of its target-call budget, scored on the held-out test set after the
 * search (outside the budget, through the session's cache, counted in the
 * cell's usage), so every optimizer's anytime curve is on one scale — test
 * accuracy — whatever score the optimizer itself used (subsample means,
 * bandit estimates, dev accuracy).
 *
 * The incumbent at x target calls is the candidate with the highest score
 * among those scored by then (ties: the first scored), read from the
 * trajectory; before any score, the first candidate proposed by then (the
 * starting prompt). The grid is k evenly spaced shares of the cell's
 * target-call limit (of the target calls actually spent when there is none).
 */
import type { Example, EvalResult, LLM } from '../core/types.js';
import type { Task } from '../core/types.js';
import { resultScorer } from '../optimizers/common.js';
import type { Candidate, OptimizeResult } from '../optimizers/types.js';

export interface Checkpoint {
  /** Share of the target-call budget, in (0, 1]. */
  fraction: number;
  /** Target calls at this checkpoint. */
  targetCalls: number;
  /** The incumbent's candidate id (null: no candidate yet). */
  candidateId: string | null;
  /** Its score by the optimizer's own measure, when it had one by then. */
  score: number | null;
  /** Test examples scored and correct (0 / 0 without an incumbent). */
  n: number;
  correct: number;
}

/** The incumbent of a trajectory at x target calls (pure). */
export function incumbentAt(candidates: readonly Candidate[], x: number): Candidate | undefined {
  let best: Candidate | undefined;
  let bestAt = Infinity;
  for (const c of candidates) {
    const at = c.spentAtScore?.targetCalls;
    if (c.score === undefined || at === undefined || at > x) continue;
    if (!best || c.score > best.score! || (c.score === best.score && at < bestAt)) [best, bestAt] = [c, at];
  }
  if (best) return best;
  return candidates.find((c) => c.spentAtProposal.targetCalls <= x);
}

/** The checkpoint grid: k shares of the limit (or of the spend, without a finite limit). */
export function checkpointGrid(k: number, limit: number | undefined, spent: number): Array<{ fraction: number; targetCalls: number }> {
  const total = limit !== undefined && Number.isFinite(limit) && limit > 0 ? limit : spent;
  return Array.from({ length: k }, (_, i) => ({ fraction: (i + 1) / k, targetCalls: Math.round(((i + 1) * total) / k) }));
}

/**
 * Scores the incumbent at each checkpoint on `test` (each distinct candidate
 * once). `target` and `rewriterModel` must be unbudgeted stacks.
 */
export async function scoreCheckpoints(o: {
  k: number;
  task: Task;
  result: OptimizeResult;
  test: readonly Example[];
  limit: number | undefined;
  spent: number;
  target: LLM;
  rewriterModel: LLM;
}): Promise<Checkpoint[]> {
  if (o.k <= 0) return [];
  const scored = new Map<string, Promise<EvalResult>>();
  const out: Checkpoint[] = [];
  for (const g of checkpointGrid(o.k, o.limit, o.spent)) {
    const inc = incumbentAt(o.result.trajectory.candidates, g.targetCalls);
    if (!inc) {
      out.push({ ...g, candidateId: null, score: null, n: 0, correct: 0 });
      continue;
    }
    if (!scored.has(inc.id)) scored.set(inc.id, resultScorer(o.task, { ...o.result, best: inc.prompt }, o.target, o.rewriterModel).evaluate(o.test));
    const r = await scored.get(inc.id)!;
    const own = inc.score !== undefined && inc.spentAtScore !== undefined && inc.spentAtScore.targetCalls <= g.targetCalls ? inc.score : null;
    out.push({ ...g, candidateId: inc.id, score: own, n: r.n, correct: r.correct });
  }
  return out;
}
