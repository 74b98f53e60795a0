import { describe, expect, it } from 'vitest';
import { wilsonInterval } from './wilson.js';

describe('wilsonInterval', () => {
  // Reference values: Newcombe (1998), Statistics in Medicine 17:857–872, Table I, method 3 (Wilson score, no CC).
  const cases: Array<[number, number, number, number]> = [
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0.0, 0.1611],
    [1, 29, 0.0061, 0.1718],
  ];
  for (const [k, n, lo, hi] of cases) {
    it(`matches Newcombe 1998 for ${k}/${n}`, () => {
      const ci = wilsonInterval(k, n);
      expect(ci.lo).toBeCloseTo(lo, 4);
      expect(ci.hi).toBeCloseTo(hi, 4);
    });
  }

  it('is symmetric under k -> n-k and widens with the level', () => {
    const a = wilsonInterval(3, 17);
    const b = wilsonInterval(14, 17);
    expect(a.lo).toBeCloseTo(1 - b.hi, 12);
    const wide = wilsonInterval(3, 17, 0.99);
    expect(wide.lo).toBeLessThan(a.lo);
    expect(wide.hi).toBeGreaterThan(a.hi);
  });

  it('rejects impossible counts and is uninformative at n = 0', () => {
    expect(() => wilsonInterval(5, 4)).toThrow(/k <= n/);
    expect(wilsonInterval(0, 0)).toEqual({ lo: 0, hi: 1, level: 0.95 });
  });
});
