/**
 * Dev-to-test gap per optimizer × task × target: mean over seeds of
 * (dev accuracy − test accuracy) of the returned prompt. The dev set is the
 * selection set (the optimizer picked its prompt on it, or on train), so a
 * positive gap is the expected optimism of selection, not a bug; a large gap
 * says the dev score overstates what the prompt does on new examples.
 *
 * Interval: two-level percentile bootstrap (Davison & Hinkley 1997, §3.8):
 * seeds resampled with replacement, and, independently, the distinct dev and
 * test example ids (an example shared by several seeds is one unit and is
 * drawn once for all of them). Covers seed variance and the sampling of both
 * example sets.
 */
import { Rng } from '../../core/rng.js';
import type { CellGroup } from '../load.js';
import type { Table } from '../tables.js';
import { mean } from './common.js';

export interface GapRow {
  optimizer: string;
  task: string;
  target: string;
  seeds: number[];
  nDev: number;
  nTest: number;
  dev: number;
  test: number;
  gap: number;
  lo: number;
  hi: number;
}

function outcomes(list: ReadonlyArray<{ exampleId: string; correct: boolean }>, index: Map<string, number>, size: number): Int8Array {
  const v = new Int8Array(size).fill(-1);
  for (const s of list) v[index.get(s.exampleId)!] = s.correct ? 1 : 0;
  return v;
}

function unionIndex(lists: ReadonlyArray<ReadonlyArray<{ exampleId: string }>>): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of lists) for (const s of l) if (!m.has(s.exampleId)) m.set(s.exampleId, m.size);
  return m;
}

const weightedAcc = (v: Int8Array, w: Int32Array) => {
  let n = 0;
  let k = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (x < 0) continue;
    n += w[i]!;
    k += x * w[i]!;
  }
  return n ? k / n : Number.NaN;
};

/** mulberry32: a small fast generator for the resampling loop, seeded from the report's Rng. */
function fastUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function draw(u: () => number, size: number): Int32Array {
  const w = new Int32Array(size);
  for (let i = 0; i < size; i++) w[Math.floor(u() * size)]!++;
  return w;
}

export function gapRow(g: CellGroup, B = 2000, level = 0.95): GapRow | undefined {
  const cells = g.cells.filter((c) => c.dev.length > 0 && c.test.length > 0);
  if (!cells.length) return undefined;
  const devIx = unionIndex(cells.map((c) => c.dev));
  const testIx = unionIndex(cells.map((c) => c.test));
  const dev = cells.map((c) => outcomes(c.dev, devIx, devIx.size));
  const test = cells.map((c) => outcomes(c.test, testIx, testIx.size));
  const ones = (n: number) => new Int32Array(n).fill(1);
  const perSeed = cells.map((_, s) => ({ d: weightedAcc(dev[s]!, ones(devIx.size)), t: weightedAcc(test[s]!, ones(testIx.size)) }));
  const gap = mean(perSeed.map((p) => p.d - p.t));
  const u = fastUniform(new Rng(0).derive(`gap:${g.label}:${g.task}:${g.target}`).int(0, 0x7fffffff));
  const reps: number[] = [];
  for (let b = 0; b < B; b++) {
    const wd = draw(u, devIx.size);
    const wt = draw(u, testIx.size);
    let sum = 0;
    let cnt = 0;
    for (let j = 0; j < cells.length; j++) {
      const s = cells.length > 1 ? Math.floor(u() * cells.length) : 0;
      const x = weightedAcc(dev[s]!, wd) - weightedAcc(test[s]!, wt);
      if (Number.isFinite(x)) {
        sum += x;
        cnt++;
      }
    }
    if (cnt) reps.push(sum / cnt);
  }
  reps.sort((x, y) => x - y);
  const q = (p: number) => reps[Math.min(reps.length - 1, Math.max(0, Math.floor(p * reps.length)))]!;
  return {
    optimizer: g.label,
    task: g.task,
    target: g.target,
    seeds: cells.map((c) => c.spec.seed),
    nDev: devIx.size,
    nTest: testIx.size,
    dev: mean(perSeed.map((p) => p.d)),
    test: mean(perSeed.map((p) => p.t)),
    gap,
    lo: q((1 - level) / 2),
    hi: q(1 - (1 - level) / 2),
  };
}

export function gapTable(groups: readonly CellGroup[], B = 2000): Table {
  const rows = groups.map((g) => gapRow(g, B)).filter((r): r is GapRow => r !== undefined);
  const skipped = groups.length - rows.length;
  const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });
  return {
    id: 'dev-test-gap',
    title: 'Dev-to-test gap (dev is the selection set)',
    note: `gap = mean over seeds of (dev accuracy − test accuracy) of the returned prompt, in points. Dev is the set the prompt was selected on, so a positive gap is the optimism of selection; test is held out. n dev / n test = distinct example ids (an example shared by several seeds counts once). 95% interval: two-level percentile bootstrap (2 000 resamples; seeds and, independently, distinct dev and test examples resampled with replacement). With one seed it covers example sampling only.${skipped ? ` ${skipped} group(s) without dev samples left out.` : ''}`,
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seeds', 'seeds'), c('nDev', 'n dev', 'int'), c('nTest', 'n test', 'int'), c('dev', 'dev %', 'pct'), c('test', 'test %', 'pct'), c('gap', 'gap %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct')],
    rows: rows.map((r) => ({ task: r.task, target: r.target, optimizer: r.optimizer, seeds: r.seeds.join(' '), nDev: r.nDev, nTest: r.nTest, dev: r.dev, test: r.test, gap: r.gap, lo: r.lo, hi: r.hi })),
  };
}
