import type { Trajectory } from '../optimizers/types.js';

export interface AnytimePoint {
  /** Target-model calls spent when this score became known. */
  targetCalls: number;
  /** Optimizer-model calls spent by then. */
  optimizerCalls: number;
  /** Best candidate score seen so far. */
  best: number;
  candidateId: string;
}

/**
 * Best-so-far curve of one optimization run: each scored candidate, in the
 * order it was scored (by spend), raises the incumbent or not. The x axis is
 * the budget actually spent, so runs of different optimizers are comparable
 * under an equal budget.
 */
export function anytimeCurve(trajectory: Trajectory): AnytimePoint[] {
  const scored = trajectory.candidates
    .filter((c) => c.score !== undefined && c.spentAtScore !== undefined)
    .map((c, order) => ({ c, order }))
    .sort(
      (a, b) =>
        a.c.spentAtScore!.targetCalls - b.c.spentAtScore!.targetCalls ||
        a.c.spentAtScore!.optimizerCalls - b.c.spentAtScore!.optimizerCalls ||
        a.order - b.order,
    );
  const out: AnytimePoint[] = [];
  let best = -Infinity;
  let bestId = '';
  for (const { c } of scored) {
    if (c.score! > best) [best, bestId] = [c.score!, c.id];
    out.push({ targetCalls: c.spentAtScore!.targetCalls, optimizerCalls: c.spentAtScore!.optimizerCalls, best, candidateId: bestId });
  }
  return out;
}
