import { describe, expect, it } from 'vitest';
import { binomialTest } from './binomialTest.js';

describe('binomialTest', () => {
  // Reference: R documentation ?binom.test, example "Conover (1971), p. 97f.":
  // binom.test(c(682, 243), p = 3/4) prints "number of successes = 682, number of trials = 925, p-value = 0.3825".
  it("matches R's binom.test help example (682 of 925, p = 3/4)", () => {
    expect(binomialTest(682, 925, 0.75)).toBeCloseTo(0.3825, 4);
  });

  it('equals the closed form 2·P(X <= min(k, n-k)) at p = 1/2', () => {
    expect(binomialTest(0, 6)).toBeCloseTo(2 / 64, 12);
    expect(binomialTest(1, 9)).toBeCloseTo((2 * (1 + 9)) / 512, 12);
    expect(binomialTest(9, 10)).toBeCloseTo((2 * (1 + 10)) / 1024, 12);
    expect(binomialTest(5, 10)).toBe(1);
  });

  it('stays accurate for large n and tiny tails', () => {
    // 2·P(X <= 0) with n = 1000 is 2^-999, far below jStat.binomial.cdf's 1e-10 rounding.
    expect(binomialTest(0, 1000) / Math.pow(2, -999)).toBeCloseTo(1, 6);
    expect(binomialTest(1000, 2000)).toBe(1);
  });

  it('rejects impossible counts', () => {
    expect(() => binomialTest(5, 4)).toThrow(/0 <= k <= n/);
    expect(() => binomialTest(1.5, 4)).toThrow(/integer/);
    expect(() => binomialTest(1, 4, 1.2)).toThrow(/p must be/);
  });
});
