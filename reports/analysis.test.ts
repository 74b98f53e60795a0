import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { accuracyRow, analyze, compareGroups } from './analysis.js';
import { writeFixtureRun } from './fixture.js';
import { loadRunDir, type Cell, type CellGroup } from './load.js';

// Known numbers of the fixture (reports/fixture.ts), worked by hand:
//   like/navigate: empty 0.4, 0.5 | opro 0.8, 0.9 | protegi 0.6, 0.6
//   like/gsm:      empty 0.2, 0.2 | opro 0.3, 0.3 | protegi 0.7, 0.6
// Both seeds score the same 10 test examples e0..e9 (a fixed split): n = 10 distinct examples, 2 seeds.
// Ranks: nav opro 1, protegi 2, empty 3; gsm protegi 1, opro 2, empty 3 → empty 3, opro 1.5, protegi 1.5.
function fixture() {
  const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-report-')));
  return analyze(loadRunDir(dir), { bootstrapB: 2000, gridPoints: 4 });
}

describe('analyze', () => {
  const a = fixture();
  const acc = (o: string, t: string) => a.accuracy.find((r) => r.optimizer === o && r.task === t)!;
  const cmp = (o: string, t: string) => a.comparisons.find((r) => r.optimizer === o && r.task === t)!;

  it('means over seeds; n = distinct test examples (seeds share one test set), observations = n × seeds', () => {
    expect(acc('opro', 'like/navigate').mean).toBeCloseTo(0.85, 12);
    expect(acc('empty', 'like/navigate').mean).toBeCloseTo(0.45, 12);
    expect(acc('protegi', 'like/gsm').mean).toBeCloseTo(0.65, 12);
    expect(acc('opro', 'like/navigate').n).toBe(10);
    expect(acc('opro', 'like/navigate').observations).toBe(20);
    expect(acc('opro', 'like/navigate').seeds).toEqual([0, 1]);
    expect(acc('opro', 'like/navigate').splitSeed).toBe('fixed');
    expect(a.accuracy).toHaveLength(6);
  });

  it('intervals say what variance they cover and never have zero width', () => {
    const r = acc('opro', 'like/navigate');
    expect(r.interval).toBe('two-level Wilson (effective n, Satterthwaite/Banerjee df)');
    expect(r.covers).toBe('test examples + seeds');
    expect(r.lo).toBeLessThan(0.85);
    expect(r.hi).toBeGreaterThan(0.85);
    // Seeds 0 and 1 of opro on like/gsm are identical example by example: only the 10
    // distinct examples vary; the interval is close to Wilson(3, 10) = [10.8, 60.3] (t on 9 df, n_eff = 9).
    const same = acc('opro', 'like/gsm');
    expect(same.covers).toBe('test examples (seeds identical)');
    expect(same.nEff).toBeCloseTo(9, 10);
    expect(same.lo).toBeGreaterThan(0.05);
    expect(same.lo).toBeLessThan(0.108);
    expect(same.hi).toBeGreaterThan(0.603);
    expect(same.hi).toBeLessThan(0.7);
    for (const x of a.accuracy) expect(x.hi - x.lo).toBeGreaterThan(0);
    for (const x of a.comparisons) expect(x.hi - x.lo).toBeGreaterThan(0);
  });

  it('comparisons count each distinct example once: b, c seed-averaged, n = 10, 2 seeds', () => {
    // opro/nav: d = +1 on e4..e7 in seed 0 and e5..e8 in seed 1 → per-example means e4 ½, e5–e7 1, e8 ½.
    expect([cmp('opro', 'like/navigate').b, cmp('opro', 'like/navigate').c]).toEqual([4, 0]);
    expect([cmp('protegi', 'like/navigate').b, cmp('protegi', 'like/navigate').c]).toEqual([2.5, 1]);
    expect([cmp('protegi', 'like/gsm').b, cmp('protegi', 'like/gsm').c]).toEqual([4.5, 0]);
    // opro and empty on like/gsm repeat the same outcomes in both seeds: exact McNemar on b = 1, c = 0.
    const same = cmp('opro', 'like/gsm');
    expect([same.b, same.c, same.test, same.p, same.covers]).toEqual([1, 0, 'exact McNemar on distinct examples', 1, 'test examples (seeds identical)']);
    expect(cmp('opro', 'like/navigate').test).toBe('two-level t (Satterthwaite/Banerjee df)');
    expect(a.comparisons.every((c) => c.baseline === 'empty' && c.n === 10 && c.seeds.length === 2)).toBe(true);
    // Holm over the 4 p-values; nothing survives with 10 examples and 2 seeds.
    const ps = a.comparisons.map((c) => c.p);
    const sorted = [...ps].sort((x, y) => x - y);
    expect(Math.min(...a.comparisons.map((c) => c.pHolm))).toBeCloseTo(Math.max(4 * sorted[0]!, 3 * sorted[1]!), 12);
    expect(a.comparisonNotes.some((n) => /per-comparison/.test(n))).toBe(true);
  });

  it('difference intervals bracket the paired difference', () => {
    const c = cmp('opro', 'like/navigate');
    expect(c.diff).toBeCloseTo(0.4, 12);
    expect(c.lo).toBeGreaterThan(0);
    expect(c.lo).toBeLessThan(0.4);
    expect(c.hi).toBeGreaterThan(0.4);
    expect(cmp('protegi', 'like/navigate').lo).toBeLessThan(0);
  });

  it('Friedman at N = 2 blocks: exact permutation p, no post-hoc when it does not reject', () => {
    expect(a.ranks.optimizers).toEqual(['empty', 'opro', 'protegi']);
    expect(a.ranks.friedman!.meanRanks).toEqual([3, 1.5, 1.5]);
    expect(a.ranks.friedman!.n).toBe(2);
    // Block 2's 6 rank permutations against block 1 = (3, 1, 2): Σ R² ≥ 54 for 3 of them.
    expect(a.ranks.permutation).toMatchObject({ method: 'exact', permutations: 6 });
    expect(a.ranks.omnibus!.p).toBeCloseTo(0.5, 12);
    expect(a.ranks.omnibus!.rejects).toBe(false);
    expect(a.ranks.nemenyi).toBeUndefined();
    expect(a.ranks.note).toMatch(/no post-hoc/);
  });

  it('anytime curves: best-so-far averaged over seeds on a common grid', () => {
    const s = a.anytime.find((x) => x.optimizer === 'opro' && x.task === 'like/navigate')!;
    // grid 0, 10, 20, 30 (x max 30); seed 0: 0.3@10, 0.5@20, (0.4@30); seed 1: 0.2@10, 0.6@30
    expect(s.points.map((p) => p.targetCalls)).toEqual([10, 20, 30]);
    expect(s.points.map((p) => p.mean)).toEqual([0.25, 0.35, 0.55].map((x) => expect.closeTo(x, 12)));
    expect(s.points[2]!.min).toBe(0.5);
  });

  it('reflection quality per optimizer × optimizer model', () => {
    expect(a.reflection).toHaveLength(1);
    const r = a.reflection[0]!;
    expect([r.optimizer, r.optimizerModel, r.n, r.hits, r.cells]).toEqual(['protegi', 'sim-opt-small', 8, 4, 4]);
    expect(r.precision).toBeCloseTo(0.5, 12);
    expect(r.recall).toBeCloseTo(0.25, 12);
    expect(r.fixRate).toBeCloseTo(0.5, 12);
    expect(r.nFix).toBe(4);
    expect(r.hitLo).toBeLessThan(0.5);
    expect(r.hitHi).toBeGreaterThan(0.5);
    // Every run has 1 hit of 2: no between-run variance to estimate, so the effective n is the 4 runs, not 8 reflections.
    expect(r.hitNEff).toBe(4);
  });

  it('budget use and stoppedBy counts; Infinity limits read back', () => {
    const b = a.budget.find((x) => x.optimizer === 'opro' && x.task === 'like/gsm')!;
    expect(b.spent.targetCalls).toBe(30);
    expect(b.limits.targetCalls).toBe(40);
    expect(b.limits.tokens).toBe(Infinity);
    expect(b.stoppedBy).toEqual({ budget: 1, done: 1 });
  });

  it('lists missing and failed cells instead of dropping them', () => {
    expect(a.cellsDone).toBe(12);
    expect(a.missing.map((m) => [m.id, m.status])).toEqual([
      ['opro__like-gsm__sim-8b__s2', 'failed'],
      ['protegi__like-gsm__sim-8b__s2', 'missing'],
    ]);
    expect(a.missing[0]!.reason).toBe('provider returned 500 three times');
    expect(a.sim).toBe(true);
  });

  it('notes an absent baseline instead of failing', () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-report-')));
    const b = analyze(loadRunDir(dir), { baseline: 'few-shot', bootstrapB: 200 });
    expect(b.comparisons).toHaveLength(0);
    expect(b.comparisonNotes[0]).toMatch(/few-shot/);
  });
});

/** In-memory cells: outcomes[s][i] = example i right under seed index s. */
function group(label: string, outcomes: boolean[][], opts: { splitSeed?: 'per-seed'; task?: string } = {}): CellGroup {
  const task = opts.task ?? 'like/navigate';
  const cells: Cell[] = outcomes.map((row, s) => ({
    id: `${label}-${s}`,
    spec: { id: `${label}-${s}`, optimizer: label, task, target: 'sim-8b', seed: s, ...(opts.splitSeed ? { splitSeed: opts.splitSeed } : {}) },
    label,
    result: { id: `${label}-${s}`, stoppedBy: 'done', spent: { targetCalls: 0, optimizerCalls: 0, tokens: 0 }, test: { n: row.length, correct: row.filter(Boolean).length, accuracy: row.filter(Boolean).length / row.length } },
    trajectory: { candidates: [], reflections: [], steps: [] } as unknown as Cell['trajectory'],
    test: row.map((correct, i) => ({ split: 'test' as const, exampleId: `test-${i}`, correct })),
    dev: [],
  }));
  return { label, task, target: 'sim-8b', cells };
}

describe('unit of analysis', () => {
  // bpo vs empty on like/navigate, sim-1b: both deterministic, so the three seeds repeat
  // b = 11, c = 2 on 300 shared examples. Pooling pairs over seeds gave b = 33, c = 6,
  // p = 1.4e-5; the examples are 300, so the exact McNemar p is 2·P(X ≤ 2 | 13, ½) = 184/8192.
  const row = (b: number, c: number, n: number): [boolean[], boolean[]] => {
    const x: boolean[] = [];
    const y: boolean[] = [];
    for (let i = 0; i < n; i++) {
      x.push(i < b || (i >= b + c && i % 2 === 0));
      y.push((i >= b && i < b + c) || (i >= b + c && i % 2 === 0));
    }
    return [x, y];
  };
  it('three seeds of deterministic duplicates count each example once (b = 11, c = 2, p = 0.0225)', () => {
    const [x, y] = row(11, 2, 300);
    const r = compareGroups(group('bpo', [x, x, x]), group('empty', [y, y, y]))!;
    expect([r.n, r.seeds.length, r.b, r.c]).toEqual([300, 3, 11, 2]);
    expect(r.test).toBe('exact McNemar on distinct examples');
    expect(r.p).toBeCloseTo(184 / 8192, 12);
    expect(r.covers).toBe('test examples (seeds identical)');
    const acc = accuracyRow(group('bpo', [x, x, x]));
    expect([acc.n, acc.observations]).toEqual([300, 900]);
  });

  it('per-seed splits of like/ tasks are nested: n sums over seeds, examples with the same id are not paired across seeds', () => {
    const [x, y] = row(11, 2, 100);
    const r = compareGroups(group('bpo', [x, x, x], { splitSeed: 'per-seed' }), group('empty', [y, y, y], { splitSeed: 'per-seed' }))!;
    expect([r.n, r.seeds.length, r.splitSeed]).toEqual([300, 3, 'per-seed']);
    expect(r.test).toBe('two-level t (Satterthwaite/Banerjee df)');
    const acc = accuracyRow(group('bpo', [x, x, x], { splitSeed: 'per-seed' }));
    expect([acc.n, acc.observations, acc.splitSeed]).toEqual([300, 300, 'per-seed']);
  });

  it('per-seed splits of a dataset task whose test set does not depend on the seed stay crossed', () => {
    const [x, y] = row(11, 2, 100);
    const r = compareGroups(group('bpo', [x, x, x], { splitSeed: 'per-seed', task: 'gsm8k' }), group('empty', [y, y, y], { splitSeed: 'per-seed', task: 'gsm8k' }))!;
    expect([r.n, r.b, r.c, r.test]).toEqual([100, 11, 2, 'exact McNemar on distinct examples']);
  });
});
