import { describe, expect, it } from 'vitest';
import { wilcoxonSignedRank } from './wilcoxonSignedRank.js';

describe('wilcoxonSignedRank', () => {
  // Reference: R documentation ?wilcox.test, Hollander & Wolfe (1973, p. 29f.), Hamilton depression
  // scale factor for 9 patients: wilcox.test(x, y, paired = TRUE, alternative = "greater")
  // prints "V = 40, p-value = 0.01953" (exact: 10/512).
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

  it("matches R's wilcox.test help example (exact, one-sided and two-sided)", () => {
    const g = wilcoxonSignedRank(x, y, { alternative: 'greater' });
    expect(g.V).toBe(40);
    expect(g.n).toBe(9);
    expect(g.method).toBe('exact');
    expect(g.pValue).toBeCloseTo(0.01953, 5);
    const two = wilcoxonSignedRank(x, y);
    expect(two.pValue).toBeCloseTo(2 * 0.01953125, 10);
    expect(wilcoxonSignedRank(x, y, { alternative: 'less' }).pValue).toBeCloseTo(1 - 7 / 512, 10); // P(V <= 40) = 1 - P(V <= 4)
  });

  // Reference: SciPy documentation for scipy.stats.wilcoxon, Fisher's (1935) example of Darwin's
  // cross- vs self-fertilised Zea mays height differences (eighths of an inch):
  // wilcoxon(d) -> pvalue 0.041259765625 (exact); wilcoxon(d, alternative='greater') -> statistic 96,
  // pvalue 0.0206298828125; wilcoxon(d, method='approx') (no continuity correction) -> 0.04088813291185591.
  const darwin = [6, 8, 14, 16, 23, 24, 28, 29, 41, -48, 49, 56, 60, -67, 75];
  const zeros = darwin.map(() => 0);

  it('matches the documented SciPy example on Darwin/Fisher data', () => {
    const two = wilcoxonSignedRank(darwin, zeros);
    expect(two.V).toBe(96);
    expect(two.pValue).toBeCloseTo(0.041259765625, 12);
    expect(wilcoxonSignedRank(darwin, zeros, { alternative: 'greater' }).pValue).toBeCloseTo(0.0206298828125, 12);
    const approx = wilcoxonSignedRank(darwin, zeros, { exact: false, correct: false });
    expect(approx.method).toBe('normal approximation');
    expect(approx.pValue).toBeCloseTo(0.04088813291185591, 10);
  });

  // Demšar (2006, JMLR 7, Table 6): AUC of C4.5 and C4.5+m on 14 data sets. The differences have two
  // zeros and one tie (|0.005|), so R's wilcox.test(m, c45, paired = TRUE) drops the zeros and uses the
  // tie- and continuity-corrected normal approximation: n = 12, V = 71.5,
  // σ² = 12·13·25/24 − (2³ − 2)/48, z = (71.5 − 39 − 0.5)/σ = 2.511, p = 0.01203
  // (cross-checked with scipy.stats.wilcoxon(zero_method='wilcox', correction=True, method='approx')).
  it('uses the tie- and continuity-corrected normal approximation with zeros dropped', () => {
    const c45 = [0.763, 0.599, 0.954, 0.628, 0.882, 0.936, 0.661, 0.583, 0.775, 1.0, 0.94, 0.619, 0.972, 0.957];
    const m = [0.768, 0.591, 0.971, 0.661, 0.888, 0.931, 0.668, 0.583, 0.838, 1.0, 0.962, 0.666, 0.981, 0.978];
    const r = wilcoxonSignedRank(m, c45);
    expect(r).toMatchObject({ V: 71.5, n: 12, zeros: 2, method: 'normal approximation with continuity correction' });
    expect(r.pValue).toBeCloseTo(0.012030358470209076, 10);
    expect(() => wilcoxonSignedRank(m, c45, { exact: true })).toThrow(/ties or zeros/);
  });

  it('swapping x and y gives V -> n(n+1)/2 - V and the same two-sided p', () => {
    const a = wilcoxonSignedRank(x, y);
    const b = wilcoxonSignedRank(y, x);
    expect(a.V + b.V).toBe(45);
    expect(b.pValue).toBeCloseTo(a.pValue, 12);
  });

  it('switches to the normal approximation above n = 25', () => {
    const u = Array.from({ length: 30 }, (_, i) => i + 1 + (i % 3 === 0 ? -0.25 : 0.5));
    const v = Array.from({ length: 30 }, () => 0);
    expect(wilcoxonSignedRank(u, v).method).toBe('normal approximation with continuity correction');
    expect(wilcoxonSignedRank(u, v, { exact: true }).method).toBe('exact');
  });

  it('returns p = 1 when all differences are zero and rejects bad input', () => {
    expect(wilcoxonSignedRank([1, 2], [1, 2])).toMatchObject({ n: 0, zeros: 2, pValue: 1 });
    expect(() => wilcoxonSignedRank([1, 2], [1])).toThrow(/equal lengths/);
    expect(() => wilcoxonSignedRank([Number.NaN], [1])).toThrow(/non-finite/);
  });
});
