/**
 * Anytime curves on one scale for every optimizer: the test accuracy of the
 * incumbent at fixed shares of the target-call budget (result.json
 * `checkpoints`, recorded by the runner: benchmarks/checkpoints.ts), mean over
 * seeds with a 95% Student-t band over seeds (df = seeds − 1); the kind of the
 * band and its n are in the caption and the CSV.
 */
import jstatModule from 'jstat';
import type { TopLevelSpec } from 'vega-lite';
import type { Cell, CellGroup } from '../load.js';
import { wilsonInterval } from '../stats/index.js';
import type { Table } from '../tables.js';
import { colourScale, mean, sd } from './common.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const jStat = ((jstatModule as any).jStat ?? jstatModule) as { studentt: { inv(p: number, df: number): number } };

export interface CheckpointRecord {
  fraction: number;
  targetCalls: number;
  candidateId: string | null;
  score: number | null;
  n: number;
  correct: number;
}

export function checkpointsOf(c: Cell): CheckpointRecord[] {
  const cp = (c.result as { checkpoints?: unknown }).checkpoints;
  if (!Array.isArray(cp)) return [];
  return cp.filter((x): x is CheckpointRecord => typeof x === 'object' && x !== null && typeof (x as CheckpointRecord).fraction === 'number' && typeof (x as CheckpointRecord).n === 'number');
}

export interface AnytimePoint {
  task: string;
  target: string;
  optimizer: string;
  fraction: number;
  targetCalls: number;
  seeds: number;
  n: number;
  mean: number;
  lo: number;
  hi: number;
  /** "t over seeds"; "wilson (seeds agree)" when every seed has the same accuracy (a t interval would have zero width); "none (1 seed)". */
  interval: string;
}

/** Mean test accuracy of the incumbent per checkpoint share, over the seeds that have it, with a t band. */
export function anytimePoints(groups: readonly CellGroup[], level = 0.95): AnytimePoint[] {
  const out: AnytimePoint[] = [];
  for (const g of groups) {
    const per = g.cells.map(checkpointsOf);
    const fractions = [...new Set(per.flat().map((p) => p.fraction))].sort((a, b) => a - b);
    for (const f of fractions) {
      const pts = per.map((cs) => cs.find((p) => p.fraction === f && p.n > 0)).filter((p): p is CheckpointRecord => p !== undefined);
      if (pts.length === 0) continue;
      const accs = pts.map((p) => p.correct / p.n);
      const m = mean(accs);
      const spread = sd(accs);
      const half = accs.length > 1 ? (jStat.studentt.inv(1 - (1 - level) / 2, accs.length - 1) * spread) / Math.sqrt(accs.length) : Number.NaN;
      const n = Math.max(...pts.map((p) => p.n));
      // Seeds that agree leave only the test-set sampling: the Wilson interval on one seed's n examples.
      const agree = accs.length > 1 && spread < 1e-12;
      const w = agree ? wilsonInterval(Math.round(m * n), n, level) : undefined;
      out.push({
        task: g.task,
        target: g.target,
        optimizer: g.label,
        fraction: f,
        targetCalls: mean(pts.map((p) => p.targetCalls)),
        seeds: pts.length,
        n,
        mean: m,
        lo: w ? w.lo : Number.isFinite(half) ? Math.max(0, m - half) : Number.NaN,
        hi: w ? w.hi : Number.isFinite(half) ? Math.min(1, m + half) : Number.NaN,
        interval: accs.length === 1 ? 'none (1 seed)' : agree ? 'wilson (seeds agree)' : 't over seeds',
      });
    }
  }
  return out;
}

export function anytimeTables(groups: readonly CellGroup[], points: readonly AnytimePoint[]): Table[] {
  const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });
  return [
    {
      id: 'anytime-test',
      title: 'Anytime: incumbent test accuracy at budget checkpoints',
      note: 'Mean over seeds of the test accuracy of the incumbent at each share of the target-call budget; lo/hi = 95% Student-t interval over seeds; when every seed has the same accuracy, the Wilson interval on n test examples instead (a t interval would have zero width); none with one seed. n = test examples per seed.',
      columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('fraction', 'budget share', 'num'), c('targetCalls', 'target calls', 'num'), c('seeds', 'seeds', 'int'), c('n', 'n', 'int'), c('mean', 'acc %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct'), c('interval', 'interval')],
      rows: points.map((p) => ({ ...p, lo: Number.isFinite(p.lo) ? p.lo : null, hi: Number.isFinite(p.hi) ? p.hi : null })),
      csvOnly: true,
    },
    {
      id: 'anytime-checkpoints',
      title: 'Anytime checkpoints per seed',
      note: 'One row per cell and checkpoint (result.json checkpoints): the incumbent, its own score by then, and its test counts.',
      columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seed', 'seed', 'int'), c('fraction', 'budget share', 'num'), c('targetCalls', 'target calls', 'int'), c('candidateId', 'candidate'), c('score', 'own score', 'num'), c('n', 'n', 'int'), c('correct', 'correct', 'int')],
      rows: groups.flatMap((g) => g.cells.flatMap((cell) => checkpointsOf(cell).map((p) => ({ task: g.task, target: g.target, optimizer: g.label, seed: cell.spec.seed, ...p })))),
      csvOnly: true,
    },
  ];
}

/** One block's anytime plot: lines + points = mean, band = t interval over seeds. */
export function anytimeTestSpec(points: readonly AnytimePoint[], title: string, allLabels: readonly string[]): TopLevelSpec {
  const values = points.map((p) => ({ optimizer: p.optimizer, x: p.fraction, mean: p.mean, lo: Number.isFinite(p.lo) ? p.lo : p.mean, hi: Number.isFinite(p.hi) ? p.hi : p.mean, seeds: p.seeds, n: p.n }));
  const colour = colourScale(allLabels);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: 'sans-serif', legend: { symbolOpacity: 1, symbolStrokeWidth: 3 } },
    title,
    width: 440,
    height: 280,
    data: { values },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'share of the target-call budget', scale: { domain: [0, 1] }, axis: { format: '%' } },
      color: { field: 'optimizer', type: 'nominal', scale: colour, title: 'optimizer' },
    },
    layer: [
      { mark: { type: 'area', opacity: 0.12 }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
      { mark: { type: 'line', strokeWidth: 2, point: { filled: true, size: 30 } }, encoding: { y: { field: 'mean', type: 'quantitative', title: 'incumbent test accuracy', scale: { domain: [0, 1] } } } },
    ],
  } as TopLevelSpec;
}
