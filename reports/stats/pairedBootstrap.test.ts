import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { pairedBootstrap } from './pairedBootstrap.js';

/** n paired 0/1 scores where A is right with probability pa and B with probability pb (seeded). */
function scores(n: number, pa: number, pb: number, seed: number): [number[], number[]] {
  const rng = new Rng(seed);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) {
    a.push(rng.next() < pa ? 1 : 0);
    b.push(rng.next() < pb ? 1 : 0);
  }
  return [a, b];
}

describe('pairedBootstrap', () => {
  it('is deterministic for a seed and reports n, B, seed and the interval type', () => {
    const [a, b] = scores(200, 0.7, 0.6, 1);
    const r1 = pairedBootstrap(a, b, { B: 2000, seed: 5 });
    const r2 = pairedBootstrap(a, b, { B: 2000, seed: 5 });
    expect(r2).toEqual(r1);
    expect(pairedBootstrap(a, b, { B: 2000, seed: 6 }).lo).not.toBe(r1.lo);
    expect(r1).toMatchObject({ n: 200, B: 2000, seed: 5, level: 0.95, interval: 'paired percentile bootstrap' });
  });

  it('has an interval that covers the observed difference', () => {
    for (const seed of [1, 2, 3]) {
      const [a, b] = scores(150, 0.65, 0.55, seed);
      const r = pairedBootstrap(a, b, { B: 3000, seed });
      expect(r.diff).toBeCloseTo(a.reduce((s, v) => s + v, 0) / 150 - b.reduce((s, v) => s + v, 0) / 150, 12);
      expect(r.lo).toBeLessThanOrEqual(r.diff);
      expect(r.hi).toBeGreaterThanOrEqual(r.diff);
    }
  });

  it('gives p = 1 for identical prompts and p near 1 for a near-zero difference', () => {
    const [a] = scores(100, 0.6, 0.6, 9);
    expect(pairedBootstrap(a, a, { B: 1000 })).toMatchObject({ diff: 0, lo: 0, hi: 0, pValue: 1 });
    // 50 examples only A gets right, 51 only B gets right, 99 both right: d̄ = -1/200.
    const x = [...Array(50).fill(1), ...Array(51).fill(0), ...Array(99).fill(1)];
    const y = [...Array(50).fill(0), ...Array(51).fill(1), ...Array(99).fill(1)];
    const r = pairedBootstrap(x, y, { B: 5000, seed: 2 });
    expect(r.diff).toBeCloseTo(-0.005, 12);
    expect(r.pValue).toBeGreaterThan(0.8);
  });

  it('gives the smallest Monte Carlo permutation p for a strong difference and keeps the sign', () => {
    const [a, b] = scores(300, 0.9, 0.5, 4);
    const r = pairedBootstrap(a, b, { B: 4000, seed: 1 });
    expect(r.diff).toBeGreaterThan(0.3);
    expect(r.pValue).toBeCloseTo(1 / 4001, 12);
    const rev = pairedBootstrap(b, a, { B: 4000, seed: 1 });
    expect(rev.diff).toBeCloseTo(-r.diff, 12);
    expect(rev.pValue).toBeCloseTo(1 / 4001, 12);
  });

  it('takes p from the exact sign-flip test at small n (a bootstrap p would be far too small)', () => {
    // One pair: no test can reject. Eight pairs all favouring A: exact p = 2/2^8.
    expect(pairedBootstrap([1], [0], { B: 2000 }).pValue).toBe(1);
    expect(pairedBootstrap(Array(8).fill(1), Array(8).fill(0), { B: 2000 }).pValue).toBeCloseTo(2 / 256, 15);
  });

  it('agrees with the normal-theory interval d̄ ± 1.96·s/√n for many examples', () => {
    const rng = new Rng(21);
    const a = Array.from({ length: 800 }, () => 0.5 + 0.1 * rng.normal());
    const b = a.map((v) => v - 0.02 + 0.08 * rng.normal());
    const d = a.map((v, i) => v - b[i]!);
    const m = d.reduce((s, v) => s + v, 0) / d.length;
    const s = Math.sqrt(d.reduce((acc, v) => acc + (v - m) ** 2, 0) / (d.length - 1));
    const half = (1.96 * s) / Math.sqrt(d.length);
    const r = pairedBootstrap(a, b, { B: 10_000, seed: 3 });
    expect(Math.abs(r.lo - (m - half)) / half).toBeLessThan(0.06);
    expect(Math.abs(r.hi - (m + half)) / half).toBeLessThan(0.06);
  });

  it('rejects unequal lengths, empty input and a bad level', () => {
    expect(() => pairedBootstrap([1, 0], [1])).toThrow(/equal lengths/);
    expect(() => pairedBootstrap([], [])).toThrow(/at least one/);
    expect(() => pairedBootstrap([1], [0], { level: 0 })).toThrow(/level/);
  });
});
