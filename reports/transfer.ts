/**
 * Cross-model transfer matrix (suite option `transfer: true`;
 * benchmarks/transfer.ts writes cells/<id>/transfer.json). For each optimizer
 * × task × source target × destination target: the test accuracy on the
 * destination of the prompt optimized for the source, and its paired
 * difference from the destination's own optimized prompt (same optimizer,
 * task and seed), example by example.
 *
 * Unit of analysis: the distinct test example. With seeds s = 1..S sharing the
 * examples, d_i = mean over seeds of (transfer_is − own_is); Δ = mean_i d_i, and
 * its 95% interval is the percentile bootstrap of the mean of the d_i over
 * examples (Efron & Tibshirani 1993, ch. 13), B = 2000, seed 0: it covers
 * test-example sampling with the seeds averaged within each example (seed
 * variance is not in it; with one seed the two coincide). n = distinct paired
 * examples. The diagonal (source = destination) is the own prompt: Δ = 0.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Cell, RunDir } from './load.js';
import type { Plot } from './plots.js';
import { bootstrapMeanCI } from './stats/bootstrapMeanCI.js';
import type { Table } from './tables.js';

const TransferFileSchema = z.object({
  source: z.string(),
  targets: z.record(z.string(), z.object({ n: z.number(), correct: z.number(), accuracy: z.number(), outcomes: z.array(z.object({ exampleId: z.string(), correct: z.boolean() })) })),
});
type TransferFile = z.infer<typeof TransferFileSchema>;

export interface TransferRow {
  optimizer: string;
  task: string;
  source: string;
  dest: string;
  seeds: number[];
  /** Distinct test examples paired with the destination's own prompt. */
  n: number;
  /** Mean over seeds of the transferred prompt's accuracy on the destination. */
  accuracy: number;
  /** Mean over seeds of the destination's own optimized prompt's accuracy (same examples). */
  own: number;
  diff: number;
  lo: number;
  hi: number;
}

export interface TransferAnalysis {
  rows: TransferRow[];
  /** Cells with transfer.json that could not be read, or destinations without an own cell. */
  notes: string[];
}

function readTransferFile(runDir: string, id: string, notes: string[]): TransferFile | undefined {
  const f = path.join(runDir, 'cells', id, 'transfer.json');
  if (!existsSync(f)) return undefined;
  try {
    const r = TransferFileSchema.safeParse(JSON.parse(readFileSync(f, 'utf8')));
    if (r.success) return r.data;
  } catch {
    // reported below
  }
  notes.push(`${f}: not in the transfer.json format; left out.`);
  return undefined;
}

/** Build the transfer rows from a loaded run (empty when no cell has transfer.json). */
export function transferAnalysis(run: RunDir, B = 2000): TransferAnalysis {
  const notes: string[] = [];
  const key = (c: Pick<Cell, 'label'> & { spec: { task: string; target: string; seed: number } }) => JSON.stringify([c.label, c.spec.task, c.spec.target, c.spec.seed]);
  const byKey = new Map(run.cells.map((c) => [key(c), c]));
  // (optimizer, task, source, dest) → per seed: example → [transfer, own]
  const groups = new Map<string, { optimizer: string; task: string; source: string; dest: string; seeds: Map<number, Map<string, [number, number]>> }>();
  for (const c of run.cells) {
    const file = readTransferFile(run.dir, c.id, notes);
    if (!file) continue;
    for (const [dest, res] of Object.entries(file.targets)) {
      const own = byKey.get(JSON.stringify([c.label, c.spec.task, dest, c.spec.seed]));
      if (!own) {
        notes.push(`${c.label} on ${c.spec.task}, seed ${c.spec.seed}: no finished cell on ${dest} to compare the transferred prompt with.`);
        continue;
      }
      const ownById = new Map(own.test.map((s) => [s.exampleId, s.correct ? 1 : 0]));
      const pairs = new Map<string, [number, number]>();
      for (const o of res.outcomes) {
        const y = ownById.get(o.exampleId);
        if (y !== undefined) pairs.set(o.exampleId, [o.correct ? 1 : 0, y]);
      }
      const gk = JSON.stringify([c.label, c.spec.task, c.spec.target, dest]);
      if (!groups.has(gk)) groups.set(gk, { optimizer: c.label, task: c.spec.task, source: c.spec.target, dest, seeds: new Map() });
      groups.get(gk)!.seeds.set(c.spec.seed, pairs);
    }
  }
  const rows: TransferRow[] = [];
  for (const g of groups.values()) {
    const perExample = new Map<string, { d: number; t: number; o: number; k: number }>();
    for (const pairs of g.seeds.values())
      for (const [id, [t, o]] of pairs) {
        const e = perExample.get(id) ?? { d: 0, t: 0, o: 0, k: 0 };
        e.d += t - o;
        e.t += t;
        e.o += o;
        e.k++;
        perExample.set(id, e);
      }
    const ex = [...perExample.values()];
    if (ex.length === 0) continue;
    const d = ex.map((e) => e.d / e.k);
    const ci = bootstrapMeanCI(d, { B, seed: 0 });
    rows.push({
      optimizer: g.optimizer,
      task: g.task,
      source: g.source,
      dest: g.dest,
      seeds: [...g.seeds.keys()].sort((a, b) => a - b),
      n: ex.length,
      accuracy: ex.reduce((a, e) => a + e.t / e.k, 0) / ex.length,
      own: ex.reduce((a, e) => a + e.o / e.k, 0) / ex.length,
      diff: ci.mean,
      lo: ci.lo,
      hi: ci.hi,
    });
  }
  rows.sort((a, b) => a.task.localeCompare(b.task) || a.optimizer.localeCompare(b.optimizer) || a.source.localeCompare(b.source) || a.dest.localeCompare(b.dest));
  return { rows, notes };
}

const NOTE =
  'Each cell\'s best prompt scored on the suite\'s other targets (suite option transfer: true; outside the budget). acc % = the transferred prompt on the destination; own % = the destination\'s own optimized prompt (same optimizer, task, seed) on the same examples; Δ = transferred − own in points, paired by example: seeds averaged within each distinct example, 95% percentile bootstrap over examples (B = 2000, seed 0), which covers test-example sampling, not seed variance. n = distinct paired test examples.';

export function transferTable(a: TransferAnalysis): Table {
  return {
    id: 'transfer',
    title: 'Cross-model transfer',
    note: NOTE + (a.notes.length ? ' ' + a.notes.join(' ') : ''),
    columns: [
      { key: 'task', header: 'task', kind: 'text' },
      { key: 'optimizer', header: 'optimizer', kind: 'text' },
      { key: 'source', header: 'optimized for', kind: 'text' },
      { key: 'dest', header: 'scored on', kind: 'text' },
      { key: 'seeds', header: 'seeds', kind: 'text' },
      { key: 'n', header: 'n', kind: 'int' },
      { key: 'accuracy', header: 'acc %', kind: 'pct' },
      { key: 'own', header: 'own %', kind: 'pct' },
      { key: 'diff', header: 'Δ pts', kind: 'pct' },
      { key: 'lo', header: 'lo', kind: 'pct' },
      { key: 'hi', header: 'hi', kind: 'pct' },
    ],
    rows: a.rows.map((r) => ({ task: r.task, optimizer: r.optimizer, source: r.source, dest: r.dest, seeds: r.seeds.join(' '), n: r.n, accuracy: r.accuracy, own: r.own, diff: r.diff, lo: r.lo, hi: r.hi })),
  };
}

/** One heatmap per task: rows = optimized for, columns = scored on, one panel per optimizer; the diagonal is the own prompt. */
export function transferPlots(a: TransferAnalysis): Plot[] {
  const plots: Plot[] = [];
  for (const task of [...new Set(a.rows.map((r) => r.task))]) {
    const rows = a.rows.filter((r) => r.task === task);
    const values = rows.map((r) => ({
      optimizer: r.optimizer,
      source: r.source,
      dest: r.dest,
      accuracy: r.accuracy,
      label: `${(100 * r.accuracy).toFixed(1)} (${r.diff >= 0 ? '+' : ''}${(100 * r.diff).toFixed(1)} [${(100 * r.lo).toFixed(1)}, ${(100 * r.hi).toFixed(1)}])`,
    }));
    // The diagonal: each destination's own prompt, once per optimizer.
    const diag = new Map<string, { optimizer: string; source: string; dest: string; accuracy: number; label: string }>();
    for (const r of rows) diag.set(JSON.stringify([r.optimizer, r.dest]), { optimizer: r.optimizer, source: r.dest, dest: r.dest, accuracy: r.own, label: `${(100 * r.own).toFixed(1)} (own)` });
    values.push(...diag.values());
    // Targets in order of size when the names say it (sim-1b, sim-8b, sim-70b), else by name.
    const size = (t: string) => Number(/(\d+(?:\.\d+)?)b\b/i.exec(t.replace(/[-_:/]/g, ' '))?.[1] ?? NaN);
    const order = [...new Set(values.flatMap((v) => [v.source, v.dest]))].sort((a, b) => (size(a) || Infinity) - (size(b) || Infinity) || a.localeCompare(b));
    const slug = `transfer-${task}`.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/-$/, '');
    plots.push({
      id: slug,
      title: `Cross-model transfer: ${task}`,
      caption:
        'Test accuracy (%) of the prompt optimized for the row\'s target when scored on the column\'s target, one panel per optimizer; in parentheses Δ vs the column target\'s own optimized prompt with its 95% interval (paired by example, seeds averaged, bootstrap over examples; n in the transfer table). The diagonal is each target\'s own prompt.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        background: 'white',
        config: { font: 'sans-serif' },
        title: `Cross-model transfer: ${task}`,
        data: { values },
        facet: { row: { field: 'optimizer', type: 'nominal', title: null } },
        spec: {
          width: { step: 150 },
          height: { step: 34 },
          encoding: {
            x: { field: 'dest', type: 'nominal', title: 'scored on', axis: { labelAngle: 0 }, sort: order },
            y: { field: 'source', type: 'nominal', title: 'optimized for', sort: order },
          },
          layer: [
            { mark: 'rect', encoding: { color: { field: 'accuracy', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1], scheme: 'blues' } } } },
            {
              mark: { type: 'text', fontSize: 10 },
              encoding: {
                text: { field: 'label', type: 'nominal' },
                color: { condition: { test: 'datum.accuracy > 0.6', value: 'white' }, value: 'black' },
              },
            },
          ],
        },
      } as Plot['spec'],
    });
  }
  return plots;
}
