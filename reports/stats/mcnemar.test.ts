import { describe, expect, it } from 'vitest';
import { mcnemar } from './mcnemar.js';

/** Paired right/wrong vectors with the given 2×2 counts. */
function pairs(bothRight: number, b: number, c: number, bothWrong: number): [boolean[], boolean[]] {
  const x: boolean[] = [];
  const y: boolean[] = [];
  const push = (k: number, u: boolean, v: boolean) => {
    for (let i = 0; i < k; i++) {
      x.push(u);
      y.push(v);
    }
  };
  push(bothRight, true, true);
  push(b, true, false);
  push(c, false, true);
  push(bothWrong, false, false);
  return [x, y];
}

describe('mcnemar', () => {
  // Reference: R documentation ?mcnemar.test, example from Agresti (1990, p. 350), presidential
  // approval ratings, Performance <- matrix(c(794, 86, 150, 570), nrow = 2); mcnemar.test(Performance)
  // prints "McNemar's chi-squared = 16.818, df = 1, p-value = 4.115e-05".
  it("matches R's mcnemar.test help example (chi-square with continuity correction)", () => {
    const [x, y] = pairs(794, 150, 86, 570);
    const r = mcnemar(x, y, { method: 'chisq' });
    expect(r.b).toBe(150);
    expect(r.c).toBe(86);
    expect(r.n).toBe(1600);
    expect(r.statistic).toBeCloseTo(16.818, 3);
    expect(r.pValue).toBeCloseTo(4.115e-5, 8);
    expect(r.method).toBe('chi-square with continuity correction');
  });

  // Reference: Fagerland, Lydersen & Laake (2013), "The McNemar test for binary matched-pairs data:
  // mid-p and asymptotic are better than exact conditional", BMC Med Res Methodol 13:91, worked
  // example (airway hyper-responsiveness before/after, b = 1, c = 7): exact conditional p = 0.070,
  // asymptotic McNemar test (no continuity correction) p = 0.034.
  it('matches the Fagerland et al. (2013) worked example', () => {
    const [x, y] = pairs(1, 1, 7, 12);
    const exact = mcnemar(x, y);
    expect(exact.method).toBe('exact binomial');
    expect(exact.pValue).toBeCloseTo(0.0703125, 10); // = 2·(1 + 8)/2^8
    expect(exact.pValue).toBeCloseTo(0.07, 2);
    const asym = mcnemar(x, y, { method: 'chisq', correct: false });
    expect(asym.statistic).toBeCloseTo(4.5, 12);
    expect(asym.pValue).toBeCloseTo(0.034, 3);
  });

  it('is symmetric in the two prompts and gives p = 1 without discordant pairs', () => {
    const [x, y] = pairs(10, 3, 12, 5);
    expect(mcnemar(x, y).pValue).toBeCloseTo(mcnemar(y, x).pValue, 14);
    expect(mcnemar(y, x).b).toBe(12);
    const [u, v] = pairs(10, 0, 0, 4);
    expect(mcnemar(u, v).pValue).toBe(1);
    expect(mcnemar(u, v, { method: 'chisq' }).pValue).toBe(1);
  });

  it('rejects unequal lengths', () => {
    expect(() => mcnemar([true, false], [true])).toThrow(/equal lengths/);
  });
});
