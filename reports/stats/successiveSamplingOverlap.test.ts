import { describe, expect, it } from 'vitest';
import { successiveSamplingOverlap } from './successiveSamplingOverlap.js';

const choose = (n: number, k: number) => {
  let r = 1;
  for (let j = 1; j <= k; j++) r = (r * (n - j + 1)) / j;
  return r;
};

describe('successiveSamplingOverlap', () => {
  it('matches hand-computed inclusion probabilities (weights 0.5, 0.3, 0.2; k = 2)', () => {
    // P(0 ∈ S) = 0.5 + 0.3·0.5/0.7 + 0.2·0.5/0.8 = 0.839286
    const a = successiveSamplingOverlap([0.5, 0.3, 0.2], [true, false, false], 2);
    expect(a.method).toBe('exact');
    expect(a.expected).toBeCloseTo(0.8392857142857143, 12);
    expect(a.pAny).toBeCloseTo(0.8392857142857143, 12);
    // T = {0, 1}: E|S ∩ T| = P(0 ∈ S) + P(1 ∈ S) = 0.839286 + 0.675; every 2-set meets T
    const b = successiveSamplingOverlap([0.5, 0.3, 0.2], [true, true, false], 2);
    expect(b.expected).toBeCloseTo(0.8392857142857143 + 0.675, 12);
    expect(b.pAny).toBeCloseTo(1, 12);
  });

  it('k = 1 is the weight share of the targets; k ≥ items draws them all; k = 0 draws nothing', () => {
    const w = [4, 3, 2, 1];
    const t = [false, true, false, true];
    expect(successiveSamplingOverlap(w, t, 1).expected).toBeCloseTo(0.4, 12);
    expect(successiveSamplingOverlap(w, t, 1).pAny).toBeCloseTo(0.4, 12);
    expect(successiveSamplingOverlap(w, t, 9)).toMatchObject({ expected: 2, pAny: 1, k: 4 });
    expect(successiveSamplingOverlap([1, 0, 1], [false, true, false], 3)).toMatchObject({ expected: 0, pAny: 0, k: 2 }); // a zero weight is never drawn
    expect(successiveSamplingOverlap(w, t, 0)).toMatchObject({ expected: 0, pAny: 0, k: 0 });
  });

  it('equal weights give simple random sampling: hypergeometric mean and P(no target), exact and by Monte Carlo', () => {
    // 10 items, 4 targets, k = 3: E = 3·4/10, P(any) = 1 − C(6,3)/C(10,3)
    const e = successiveSamplingOverlap(Array(10).fill(1), Array.from({ length: 10 }, (_, i) => i < 4), 3);
    expect(e.method).toBe('exact');
    expect(e.expected).toBeCloseTo(1.2, 12);
    expect(e.pAny).toBeCloseTo(1 - choose(6, 3) / choose(10, 3), 12);
    // 40 items, 10 targets, k = 5: C(40,5) = 658 008 sets, so Monte Carlo with a stated standard error
    const m = successiveSamplingOverlap(Array(40).fill(1), Array.from({ length: 40 }, (_, i) => i < 10), 5, { mcDraws: 20_000, seed: 1 });
    expect(m.method).toBe('monte carlo');
    expect(m.se).toBeGreaterThan(0);
    expect(Math.abs(m.expected - 1.25)).toBeLessThan(4 * m.se);
    expect(Math.abs(m.pAny - (1 - choose(30, 5) / choose(40, 5)))).toBeLessThan(0.015);
  });

  it('rejects bad input', () => {
    expect(() => successiveSamplingOverlap([1], [true, false], 1)).toThrow(/weights/);
    expect(() => successiveSamplingOverlap([1], [true], -1)).toThrow(/k must/);
    expect(() => successiveSamplingOverlap([-1], [true], 1)).toThrow(/≥ 0/);
  });
});
