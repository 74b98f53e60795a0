import { describe, expect, it } from 'vitest';
import { averageRanks } from './averageRanks.js';

describe('averageRanks', () => {
  // Reference: R documentation ?rank, examples: x2 <- c(3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5); rank(x2)
  // prints 4.5 1.5 6.0 1.5 8.0 11.0 3.0 10.0 8.0 4.5 8.0
  it("matches R's rank() on the help-page example", () => {
    expect(averageRanks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])).toEqual([4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8]);
    // rank(c(3, 1, 4, 15, 92)) prints 2 1 3 4 5
    expect(averageRanks([3, 1, 4, 15, 92])).toEqual([2, 1, 3, 4, 5]);
  });

  it('keeps the rank sum n(n+1)/2 and handles empty input', () => {
    const r = averageRanks([2, 2, 2, 2, 7, -1]);
    expect(r).toEqual([3.5, 3.5, 3.5, 3.5, 6, 1]);
    expect(r.reduce((a, b) => a + b, 0)).toBe(21);
    expect(averageRanks([])).toEqual([]);
  });

  it('rejects NaN', () => {
    expect(() => averageRanks([1, Number.NaN])).toThrow(/NaN/);
  });
  it('ties values that differ only in the last bits (means of the same counts summed in another order)', () => {
    expect(0.325).not.toBe(0.32499999999999996);
    expect(averageRanks([-0.325, -0.32499999999999996, -0.2])).toEqual([1.5, 1.5, 3]);
    expect(averageRanks([1e-13, 0, 1])).toEqual([1.5, 1.5, 3]);
    expect(averageRanks([0.3, 0.3000001])).toEqual([1, 2]);
  });
});
