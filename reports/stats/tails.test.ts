import { describe, expect, it } from 'vitest';
import { chiSquareSf } from './chiSquareSf.js';
import { fSf } from './fSf.js';
import { studentTQuantile } from './studentTQuantile.js';
import { studentTSf } from './studentTSf.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('survival functions (no 1 − cdf)', () => {
  it('chiSquareSf matches SciPy and the df = 2 closed form far into the tail', () => {
    // SciPy: chi2.sf(100, 1) = 1.5239706048320995e-23; chi2.sf(3.841458820694124, 1) = 0.05
    expect(rel(chiSquareSf(100, 1), 1.5239706048320995e-23)).toBeLessThan(1e-9);
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 12);
    // df = 2: P(χ² ≥ x) = exp(−x/2) exactly.
    for (const x of [0.5, 10, 200, 1400]) expect(rel(chiSquareSf(x, 2), Math.exp(-x / 2))).toBeLessThan(1e-9);
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(chiSquareSf(Infinity, 3)).toBe(0);
  });

  it('fSf matches the df1 = 2 closed form (1 + 2f/df2)^(−df2/2), including tails 1 − cdf rounds to 0', () => {
    for (const [f, d2] of [[1, 10], [50, 6], [1e4, 30], [1e6, 8]] as const) {
      expect(rel(fSf(f, 2, d2), Math.pow(1 + (2 * f) / d2, -d2 / 2))).toBeLessThan(1e-9);
    }
    expect(fSf(1e6, 2, 8)).toBeGreaterThan(0);
    // Demšar (2006) Table 6 example: F_F = 3.69 on (3, 39) df rejects at 0.05 (critical value 2.85).
    expect(fSf(2.845, 3, 39)).toBeCloseTo(0.05, 2);
    expect(fSf(Infinity, 3, 4)).toBe(0);
  });

  it('studentTSf matches the df = 1 and df = 2 closed forms in both tails', () => {
    for (const t of [-3, -0.5, 0, 0.7, 4, 1e3]) {
      expect(rel(studentTSf(t, 1), 0.5 - Math.atan(t) / Math.PI)).toBeLessThan(1e-9);
    }
    for (const t of [-2, 0.3, 5, 1e4]) {
      // 1/2 − t/(2√(2+t²)), written without cancellation for large t.
      const s = Math.sqrt(2 + t * t);
      const exact = t > 0 ? 1 / (s * (s + t)) : 0.5 - t / (2 * s);
      expect(rel(studentTSf(t, 2), exact)).toBeLessThan(1e-9);
    }
    // R: pt(2, 10, lower.tail = FALSE) = 0.03669402
    expect(studentTSf(2, 10)).toBeCloseTo(0.03669402, 8);
  });

  it('studentTQuantile matches R qt', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.7062, 4);
    expect(studentTQuantile(0.975, 2)).toBeCloseTo(4.3027, 4);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281, 4);
    expect(studentTQuantile(0.975, Infinity)).toBeCloseTo(1.959964, 6);
  });
});

describe('normalCdf', () => {
  it('keeps the far lower tail (SciPy norm.cdf)', async () => {
    const { normalCdf } = await import('./normal.js');
    expect(rel(normalCdf(-10), 7.6198530241605e-24)).toBeLessThan(1e-9);
    expect(normalCdf(-1.959963984540054)).toBeCloseTo(0.025, 14);
    expect(normalCdf(1.959963984540054)).toBeCloseTo(0.975, 14);
    expect(normalCdf(0)).toBe(0.5);
  });
});
