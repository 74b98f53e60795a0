/**
 * Cross-model transfer (suite option `transfer: true`, docs/benchmarks.md):
 * after the cells of a run, each finished cell's best prompt is scored on the
 * same test examples with every other target of the suite, outside the
 * budget and through the call cache, and written to
 * `cells/<id>/transfer.json`. The report (reports/transfer.ts) pairs each
 * transferred prompt with the destination's own optimized prompt (same
 * optimizer, task and seed) example by example.
 *
 * A per-query rewriter (BPO) keeps no prompt to transfer in result.json; its
 * cells are skipped with that reason. Resumable: a cell whose transfer.json
 * covers every destination is not scored again.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { createEvaluator } from '../core/evaluator.js';
import type { Prompt } from '../core/types.js';
import { cellWorld, type Session } from './session.js';
import type { UsageMeter } from '../llm/index.js';
import { cellDir, readJson, writeAtomic, type CellResult } from './runner.js';
import type { CellSpec, Suite } from './suite.js';
import { cellState } from './rundir.js';

export const TransferFileSchema = z.object({
  source: z.string(),
  targets: z.record(
    z.string(),
    z.object({
      n: z.number().int().nonnegative(),
      correct: z.number().int().nonnegative(),
      accuracy: z.number(),
      outcomes: z.array(z.object({ exampleId: z.string(), correct: z.boolean() })),
    }),
  ),
});
export type TransferFile = z.infer<typeof TransferFileSchema>;

export interface TransferSummary {
  /** Cells whose prompt was scored on at least one new destination. */
  evaluated: string[];
  skipped: Array<{ id: string; reason: string }>;
}

const transferFile = (out: string, id: string) => path.join(cellDir(out, id), 'transfer.json');

/** Read a cell's transfer.json, or undefined when absent or not in the documented format. */
export function readTransfer(out: string, id: string): TransferFile | undefined {
  const f = transferFile(out, id);
  if (!existsSync(f)) return undefined;
  try {
    const r = TransferFileSchema.safeParse(readJson<unknown>(f));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** Score every finished cell's best prompt on the suite's other targets (outside the budget). */
export async function runTransfers(suite: Suite, out: string, cells: readonly CellSpec[], session: Session, usage: UsageMeter): Promise<TransferSummary> {
  const summary: TransferSummary = { evaluated: [], skipped: [] };
  for (const spec of cells) {
    const st = cellState(out, spec.id, spec);
    if (st.status !== 'done') continue; // only a valid result is transferred
    const result = st.result as unknown as CellResult;
    if (result.perQueryRewriter) {
      summary.skipped.push({ id: spec.id, reason: 'per-query rewriter: no single prompt to transfer' });
      continue;
    }
    const prev = readTransfer(out, spec.id);
    const file: TransferFile = prev && prev.source === spec.target ? prev : { source: spec.target, targets: {} };
    const todo = suite.targets.filter((t) => t !== spec.target && !file.targets[t]);
    if (todo.length === 0) continue;
    const task = session.task(spec.task, spec.splitSeed === 'per-seed' ? spec.seed : session.seed);
    const test = spec.testLimit === undefined ? task.splits.test : task.splits.test.slice(0, spec.testLimit);
    for (const dest of todo) {
      const r = await createEvaluator(task, session.model(dest, undefined, usage, cellWorld(session, spec))).evaluate(result.best as Prompt, test);
      file.targets[dest] = { n: r.n, correct: r.correct, accuracy: r.accuracy, outcomes: r.outcomes.map((o) => ({ exampleId: o.exampleId, correct: o.correct })) };
    }
    writeAtomic(transferFile(out, spec.id), JSON.stringify(file) + '\n');
    summary.evaluated.push(spec.id);
  }
  return summary;
}
