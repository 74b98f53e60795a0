import { normalQuantile } from './normal.js';

export interface Interval {
  lo: number;
  hi: number;
  /** Confidence level, e.g. 0.95. */
  level: number;
}

/**
 * Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3):
 *
 *   p̂ = k/n,  z = Φ⁻¹(1 − α/2)
 *   centre = (p̂ + z²/2n) / (1 + z²/n)
 *   half   = z / (1 + z²/n) · √(p̂(1 − p̂)/n + z²/4n²)
 *
 * Unlike the Wald interval it stays inside [0, 1] and is sensible at k = 0 or k = n.
 * n = 0 gives the uninformative interval [0, 1].
 */
export function wilsonInterval(k: number, n: number, level = 0.95): Interval {
  if (!(n >= 0) || !(k >= 0) || k > n) throw new Error(`wilsonInterval: need 0 <= k <= n, got k=${k}, n=${n}`);
  if (n === 0) return { lo: 0, hi: 1, level };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), level };
}
