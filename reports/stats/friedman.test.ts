import { describe, expect, it } from 'vitest';
import { friedman } from './friedman.js';

// Demšar (2006), "Statistical Comparisons of Classifiers over Multiple Data Sets", JMLR 7:1–30,
// Table 6: AUC of C4.5, C4.5+m, C4.5+cf, C4.5+m+cf on 14 data sets. Demšar's worked example
// (§3.2.4) prints average ranks 3.143, 2.000, 2.893, 1.964, χ²_F = 9.28, F_F = 3.69 and the
// critical value F(3, 39) = 2.85 at α = 0.05, using the formula without tie correction.
// The table prints AUCs to three decimals; in the 'voting' row C4.5+cf and C4.5+m+cf both show
// 0.975, yet Demšar's ranks put C4.5+cf ahead, so the unrounded value was larger. With the table
// as printed the ranks of those two columns come out 2.929 and 1.929; nudging that one cell to
// 0.97501 reproduces the published ranks exactly.
const demsar = [
  [0.763, 0.768, 0.771, 0.798],
  [0.599, 0.591, 0.59, 0.569],
  [0.954, 0.971, 0.968, 0.967],
  [0.628, 0.661, 0.654, 0.657],
  [0.882, 0.888, 0.886, 0.898],
  [0.936, 0.931, 0.916, 0.931],
  [0.661, 0.668, 0.609, 0.685],
  [0.583, 0.583, 0.563, 0.625],
  [0.775, 0.838, 0.866, 0.875],
  [1.0, 1.0, 1.0, 1.0],
  [0.94, 0.962, 0.965, 0.962],
  [0.619, 0.666, 0.614, 0.669],
  [0.972, 0.981, 0.975, 0.975],
  [0.957, 0.978, 0.946, 0.97],
];
const demsarUnrounded = demsar.map((row, i) => (i === 12 ? [0.972, 0.981, 0.97501, 0.975] : row));

// R documentation ?friedman.test, Hollander & Wolfe (1973, p. 140ff.): times for three ways of
// rounding first base (columns: round out, narrow angle, wide angle), 22 players.
// friedman.test(RoundingTimes) prints "Friedman chi-squared = 11.143, df = 2, p-value = 0.003805".
const roundingTimes = [
  [5.4, 5.5, 5.55], [5.85, 5.7, 5.75], [5.2, 5.6, 5.5], [5.55, 5.5, 5.4], [5.9, 5.85, 5.7], [5.45, 5.55, 5.6],
  [5.4, 5.4, 5.35], [5.45, 5.5, 5.35], [5.25, 5.15, 5.0], [5.85, 5.8, 5.7], [5.25, 5.2, 5.1], [5.65, 5.55, 5.45],
  [5.6, 5.35, 5.45], [5.05, 5.0, 4.95], [5.5, 5.5, 5.4], [5.45, 5.55, 5.5], [5.55, 5.55, 5.35], [5.45, 5.5, 5.55],
  [5.5, 5.45, 5.25], [5.65, 5.6, 5.4], [5.7, 5.65, 5.55], [6.3, 6.3, 6.25],
];

describe('friedman', () => {
  it("matches R's friedman.test help example (tie-corrected)", () => {
    const r = friedman(roundingTimes, { higherIsBetter: false });
    expect(r.n).toBe(22);
    expect(r.k).toBe(3);
    expect(r.df).toBe(2);
    expect(r.chi2).toBeCloseTo(11.143, 3);
    expect(r.pValue).toBeCloseTo(0.003805, 6);
    // The statistic does not depend on the rank direction.
    expect(friedman(roundingTimes).chi2).toBeCloseTo(r.chi2, 12);
  });

  it("reproduces Demšar's worked example (ranks, χ²_F = 9.28, F_F = 3.69 > F(3,39) critical 2.85)", () => {
    const r = friedman(demsarUnrounded, { tieCorrection: false });
    const printed = [3.143, 2.0, 2.893, 1.964];
    r.meanRanks.forEach((m, j) => expect(m).toBeCloseTo(printed[j]!, 3));
    expect(r.chi2).toBeCloseTo(9.28, 2);
    expect(r.imanDavenport.df1).toBe(3);
    expect(r.imanDavenport.df2).toBe(39);
    expect(r.imanDavenport.F).toBeCloseTo(3.69, 2);
    // F_F exceeds the 5% critical value 2.85, so p_F < 0.05 (and χ²_F alone is the more conservative test).
    expect(r.imanDavenport.pValue).toBeLessThan(0.05);
    expect(r.pValue).toBeGreaterThan(r.imanDavenport.pValue);
  });

  it('ranks the table as printed with average ranks for the tied voting cells', () => {
    const r = friedman(demsar, { tieCorrection: false });
    const expected = [44 / 14, 28 / 14, 41 / 14, 27 / 14];
    r.meanRanks.forEach((m, j) => expect(m).toBeCloseTo(expected[j]!, 12));
    // Tie correction can only increase the statistic.
    expect(friedman(demsar).chi2).toBeGreaterThan(r.chi2);
  });

  it('handles perfect agreement and all-tied blocks', () => {
    const perfect = friedman([[3, 2, 1], [30, 20, 10], [0.3, 0.2, 0.1]]);
    expect(perfect.meanRanks).toEqual([1, 2, 3]);
    expect(perfect.chi2).toBeCloseTo(6, 12); // = n(k - 1)
    expect(perfect.imanDavenport.F).toBe(Number.POSITIVE_INFINITY);
    expect(perfect.imanDavenport.pValue).toBe(0);
    const flat = friedman([[1, 1, 1], [2, 2, 2]]);
    expect(flat.chi2).toBe(0);
    expect(flat.pValue).toBe(1);
    expect(flat.imanDavenport.pValue).toBe(1);
  });

  it('rejects bad shapes', () => {
    expect(() => friedman([[1, 2, 3]])).toThrow(/at least 2 blocks/);
    expect(() => friedman([[1], [2]])).toThrow(/at least 2 treatments/);
    expect(() => friedman([[1, 2], [1, 2, 3]])).toThrow(/row 1 has 3/);
    expect(() => friedman([[1, Number.NaN], [1, 2]])).toThrow(/non-finite/);
  });
});
