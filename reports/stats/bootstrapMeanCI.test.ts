import { describe, expect, it } from 'vitest';
import { bootstrapMeanCI } from './bootstrapMeanCI.js';

describe('bootstrapMeanCI', () => {
  // Reference: Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 2, mouse survival data
  // (treatment group, n = 7): mean 86.86; the ideal (B → ∞) bootstrap standard error of the mean is
  // 23.36 = √(Σ(xᵢ − x̄)²)/n (the plug-in estimate; the usual formula s/√n gives 25.24).
  const mouse = [94, 197, 16, 38, 99, 141, 23];

  it('reproduces the ideal bootstrap standard error 23.36 of the mouse-data mean', () => {
    const r = bootstrapMeanCI(mouse, { B: 20_000, seed: 7 });
    expect(r.mean).toBeCloseTo(86.86, 2);
    // Monte Carlo error of an SE from 20 000 replicates is about 0.5 %.
    expect(Math.abs(r.se / 23.36 - 1)).toBeLessThan(0.02);
    expect(r.lo).toBeLessThan(r.mean);
    expect(r.hi).toBeGreaterThan(r.mean);
    expect(r).toMatchObject({ n: 7, B: 20_000, seed: 7, level: 0.95, interval: 'percentile bootstrap' });
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const a = bootstrapMeanCI(mouse, { B: 2000, seed: 3 });
    const b = bootstrapMeanCI(mouse, { B: 2000, seed: 3 });
    const c = bootstrapMeanCI(mouse, { B: 2000, seed: 4 });
    expect(b).toEqual(a);
    expect([c.lo, c.hi]).not.toEqual([a.lo, a.hi]);
  });

  it('agrees with the normal-theory interval for a large 0/1 sample', () => {
    // 600 examples, 420 correct: p̂ = 0.7, plug-in SE √(p̂(1 − p̂)/n) = 0.018708.
    const acc = Array.from({ length: 600 }, (_, i) => (i % 10 < 7 ? 1 : 0));
    const r = bootstrapMeanCI(acc, { B: 10_000, seed: 11 });
    const se = Math.sqrt((0.7 * 0.3) / 600);
    expect(Math.abs(r.se / se - 1)).toBeLessThan(0.03);
    expect(r.lo).toBeCloseTo(0.7 - 1.96 * se, 2);
    expect(r.hi).toBeCloseTo(0.7 + 1.96 * se, 2);
    const wide = bootstrapMeanCI(acc, { B: 10_000, seed: 11, level: 0.99 });
    expect(wide.lo).toBeLessThan(r.lo);
    expect(wide.hi).toBeGreaterThan(r.hi);
  });

  it('collapses for constant data and rejects bad input', () => {
    expect(bootstrapMeanCI([0.5, 0.5, 0.5], { B: 100 })).toMatchObject({ mean: 0.5, lo: 0.5, hi: 0.5, se: 0 });
    expect(() => bootstrapMeanCI([])).toThrow(/at least one/);
    expect(() => bootstrapMeanCI([1, 2], { level: 1 })).toThrow(/level/);
    expect(() => bootstrapMeanCI([1, 2], { B: 0 })).toThrow(/positive integer/);
    expect(() => bootstrapMeanCI([1, Number.NaN])).toThrow(/non-finite/);
  });
});
