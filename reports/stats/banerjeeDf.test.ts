import { describe, expect, it } from 'vitest';
import { banerjeeDf } from './banerjeeDf.js';
import { studentTQuantile } from './studentTQuantile.js';

describe('banerjeeDf', () => {
  it('one component: its own df', () => {
    expect(banerjeeDf([[0.3, 2]], 0.95)).toBe(2);
    expect(banerjeeDf([[0.3, 2], [0, 299]], 0.95)).toBe(2);
  });

  it('matches the separate-quantile multiplier √(Σ t²_k c_k / Σ c_k)', () => {
    // Two equal components on 2 and 299 df: z² = (4.3027² + 1.9679²)/2 (R: qt(.975, 2), qt(.975, 299)).
    const d = banerjeeDf([[1, 2], [1, 299]], 0.95);
    const z = Math.sqrt((studentTQuantile(0.975, 2) ** 2 + studentTQuantile(0.975, 299) ** 2) / 2);
    expect(studentTQuantile(0.975, d)).toBeCloseTo(z, 6);
    expect(z).toBeCloseTo(Math.sqrt((4.302653 ** 2 + 1.967929 ** 2) / 2), 4);
    expect(d).toBeGreaterThan(2);
    expect(d).toBeLessThan(299);
  });

  it('a heavier low-df component lowers the df', () => {
    const light = banerjeeDf([[0.1, 2], [1, 299]], 0.95);
    const heavy = banerjeeDf([[10, 2], [1, 299]], 0.95);
    expect(heavy).toBeLessThan(light);
  });

  it('no component with weight: the largest df', () => {
    expect(banerjeeDf([[0, 2], [0, 50]], 0.95)).toBe(50);
  });
});
