import { describe, expect, it } from 'vitest';
import { rowMde } from './paired.js';

describe('rowMde', () => {
  it('a row tested on distinct examples: Connor (1987), (z.975 + z.8)·√(d/n)', () => {
    // d = 8/80 = 0.1, n = 80: (1.959964 + 0.841621)·√(0.1/80) = 0.099051
    expect(rowMde({ n: 80, b: 6, c: 2, test: 'exact McNemar on distinct examples', se: 0.05, df: 1 }, 80, 0.05)).toBeCloseTo(0.099051, 5);
  });

  it('a two-level t row with few seeds: the t test MDE (t.975,df + t.8,df)·se when it is larger', () => {
    // R: (qt(0.975, 1) + qt(0.8, 1)) * 0.05 = (12.706205 + 1.376382) * 0.05 = 0.704129
    expect(rowMde({ n: 80, b: 6, c: 2, test: 'two-level t (Satterthwaite/Banerjee df)', se: 0.05, df: 1 }, 80, 0.05)).toBeCloseTo(0.704129, 5);
    // many df and a small se: Connor's is the larger, and it stays
    expect(rowMde({ n: 80, b: 6, c: 2, test: 'two-level t (Satterthwaite/Banerjee df)', se: 0.001, df: 200 }, 80, 0.05)).toBeCloseTo(0.099051, 5);
  });
});
