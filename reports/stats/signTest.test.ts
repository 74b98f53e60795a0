import { describe, expect, it } from 'vitest';
import { signTest } from './signTest.js';

describe('signTest', () => {
  // Data: Hamilton depression scale, R documentation ?wilcox.test (Hollander & Wolfe 1973, p. 29f.).
  // x - y has 7 positive and 2 negative differences; the exact sign-test p-value is
  // 2·(C(9,0) + C(9,1) + C(9,2))/2^9 = 92/512 = 0.1796875 (binom.test(7, 9) in R prints p-value = 0.1797).
  const x = [1.83, 0.5, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.3];
  const y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29];

  it('gives the exact binomial p-value on the depression data', () => {
    const r = signTest(x, y);
    expect(r).toMatchObject({ positive: 7, negative: 2, ties: 0, n: 9 });
    expect(r.pValue).toBeCloseTo(92 / 512, 12);
  });

  it('drops ties and is symmetric', () => {
    const r = signTest([1, 2, 3, 4, 5, 6], [0, 0, 0, 4, 5, 7]);
    expect(r).toMatchObject({ positive: 3, negative: 1, ties: 2, n: 4 });
    expect(r.pValue).toBeCloseTo(2 * (1 + 4) / 16, 12);
    expect(signTest(y, x).pValue).toBeCloseTo(signTest(x, y).pValue, 14);
    expect(signTest([1, 1], [1, 1]).pValue).toBe(1);
  });

  it('rejects unequal lengths and NaN', () => {
    expect(() => signTest([1, 2], [1])).toThrow(/equal lengths/);
    expect(() => signTest([Number.NaN], [1])).toThrow(/NaN/);
  });
});
