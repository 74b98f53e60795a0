import { jStat } from './jstatLib.js';
import { normalQuantile } from './normal.js';

/**
 * Quantile of Student's t distribution, t_{p, df} (jStat's inverse incomplete beta);
 * df = ∞ gives the normal quantile Φ⁻¹(p). Non-integer df (Satterthwaite) are allowed.
 * Reference: t_{0.975, 1} = 12.7062, t_{0.975, 2} = 4.3027, t_{0.975, 10} = 2.2281 (R `qt`).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new Error(`studentTQuantile: df must be positive, got ${df}`);
  if (df === Number.POSITIVE_INFINITY || df > 1e7) return normalQuantile(p);
  return jStat.studentt.inv(p, df);
}
