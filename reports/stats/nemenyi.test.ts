import { describe, expect, it } from 'vitest';
import { jStat } from './jstatLib.js';
import { nemenyi } from './nemenyi.js';

describe('nemenyi', () => {
  // Reference: Demšar (2006), JMLR 7, §3.2.4 worked example: k = 4 classifiers, N = 14 data sets,
  // mean ranks C4.5 3.143, C4.5+m 2.000, C4.5+cf 2.893, C4.5+m+cf 1.964.
  // "CD = 2.569·√(4·5/(6·14)) = 1.25": no pair differs at α = 0.05 (best−worst is 1.179).
  // At α = 0.10, CD = 2.291·√(20/84) = 1.12: C4.5 is worse than C4.5+m and C4.5+m+cf,
  // and C4.5+cf cannot be told apart from either group.
  const ranks = [3.143, 2.0, 2.893, 1.964];

  it("reproduces Demšar's CD = 1.25 at α = 0.05 with no significant pair", () => {
    const r = nemenyi(ranks, 14);
    expect(r.q).toBe(2.569);
    expect(r.cd).toBeCloseTo(1.25, 2);
    expect(r.pairs.filter((p) => p.significant)).toEqual([]);
    expect(r.pairs).toHaveLength(6);
  });

  it("reproduces Demšar's CD = 1.12 at α = 0.10 and the two significant pairs", () => {
    const r = nemenyi(ranks, 14, 0.1);
    expect(r.cd).toBeCloseTo(1.12, 2);
    const sig = r.pairs.filter((p) => p.significant).map((p) => [p.i, p.j]);
    expect(sig).toEqual([
      [0, 1],
      [0, 3],
    ]);
  });

  it('has table values equal to the Studentized range quantile / √2 (jStat.tukey, large df)', () => {
    for (const alpha of [0.05, 0.1] as const) {
      for (let k = 2; k <= 10; k++) {
        const q = nemenyi(Array.from({ length: k }, () => 1), 5, alpha).q;
        const fromTukey = jStat.tukey.inv(1 - alpha, k, 1e6) / Math.SQRT2;
        expect(Math.abs(q - fromTukey)).toBeLessThan(1.5e-3);
      }
    }
  });

  it('beyond the table uses the Studentized range quantile: matches the longer published q_0.05 table (k = 11..20)', () => {
    // q_0.05 for k = 11..20 as tabulated for the Nemenyi CD diagram (e.g. Orange's compute_CD table).
    const published = [3.219, 3.268, 3.313, 3.354, 3.391, 3.426, 3.458, 3.489, 3.517, 3.544];
    published.forEach((q, i) => {
      const r = nemenyi(Array.from({ length: 11 + i }, () => 1), 9);
      expect(r.qSource).toBe('studentized-range');
      expect(Math.abs(r.q - q)).toBeLessThan(1.5e-3);
    });
    expect(nemenyi([1, 2, 3], 9).qSource).toBe('demsar-table');
    const a01 = nemenyi([1, 2, 3], 9, 0.01);
    expect(a01.q).toBeGreaterThan(nemenyi([1, 2, 3], 9, 0.05).q);
  });

  it('rejects too few treatments, bad alpha and impossible ranks', () => {
    expect(() => nemenyi([1], 5)).toThrow(/2 to 100/);
    expect(() => nemenyi([1, 2], 5, 1.5)).toThrow(/alpha/);
    expect(() => nemenyi([0.5, 2], 5)).toThrow(/mean ranks/);
    expect(() => nemenyi([1, 2], 0)).toThrow(/positive integer/);
  });
});
