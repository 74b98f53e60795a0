import { describe, expect, it } from 'vitest';
import { cohensKappa } from './cohensKappa.js';

/** Labels (a, b) expanded from a square table of counts over categories c0, c1, … */
function labels(table: number[][]): [string[], string[]] {
  const a: string[] = [];
  const b: string[] = [];
  table.forEach((r, i) => r.forEach((n, j) => {
    for (let t = 0; t < n; t++) {
      a.push(`c${i}`);
      b.push(`c${j}`);
    }
  }));
  return [a, b];
}

describe('cohensKappa', () => {
  it('matches SAS PROC FREQ on its 3 × 3 example (κ 0.4842, ASE 0.1380, 0.2137–0.7547, ASE under H0 0.1484)', () => {
    const k = cohensKappa(...labels([[0, 4, 1], [0, 8, 0], [0, 1, 5]]));
    expect(k.kappa).toBeCloseTo(0.4842, 4);
    expect(k.se).toBeCloseTo(0.138, 4);
    expect(k.lo).toBeCloseTo(0.2137, 4);
    expect(k.hi).toBeCloseTo(0.7547, 4);
    expect(k.se0).toBeCloseTo(0.1484, 4);
    expect(k.p).toBeCloseTo(0.0011, 4); // SAS: two-sided Pr > |Z| = 0.0011 (Z = 3.2626)
  });

  it("matches Uebersax's SAS example with an empty row (κ 0.3333, ASE 0.0814, 0.1738–0.4929) and the textbook 2 × 2 (κ 0.4)", () => {
    const k = cohensKappa(...labels([[0, 0, 0], [5, 16, 3], [8, 12, 28]]));
    expect(k.kappa).toBeCloseTo(0.3333, 4);
    expect(k.se).toBeCloseTo(0.0814, 4);
    expect(k.lo).toBeCloseTo(0.1738, 4);
    expect(k.hi).toBeCloseTo(0.4929, 4);
    // 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: p_o 0.7, p_e 0.5
    const w = cohensKappa(...labels([[20, 5], [10, 15]]));
    expect(w).toMatchObject({ po: 0.7, n: 50 });
    expect(w.pe).toBeCloseTo(0.5, 12);
    expect(w.kappa).toBeCloseTo(0.4, 12);
  });

  it('perfect agreement gives 1; independent raters give κ near 0 with an interval containing it', () => {
    expect(cohensKappa(['x', 'y', 'x'], ['x', 'y', 'x']).kappa).toBeCloseTo(1, 12);
    const k = cohensKappa(...labels([[10, 10], [10, 10]]));
    expect(k.kappa).toBeCloseTo(0, 12);
    expect(k.lo).toBeLessThan(0);
    expect(k.hi).toBeGreaterThan(0);
    expect(() => cohensKappa(['x'], [])).toThrow(/labels/);
  });
});
