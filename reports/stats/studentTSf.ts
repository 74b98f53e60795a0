import betainc from '@stdlib/math-base-special-betainc';
import { normalCdf } from './normal.js';

/**
 * Survival function of Student's t distribution with df degrees of freedom:
 *
 *   P(T ≥ t) = ½·I_{df/(df + t²)}(df/2, ½)       for t ≥ 0
 *            = 1 − ½·I_{df/(df + t²)}(df/2, ½)   for t < 0
 *
 * (I = regularized incomplete beta, stdlib `betainc`), so the upper tail is never
 * formed as 1 − cdf. df = ∞ gives the normal tail Φ(−t). Closed forms used by the
 * tests: df = 1 (Cauchy) ½ − atan(t)/π; df = 2: ½ − t/(2√(2 + t²)).
 */
export function studentTSf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`studentTSf: df must be positive, got ${df}`);
  if (Number.isNaN(t)) throw new Error('studentTSf: t is NaN');
  if (df === Number.POSITIVE_INFINITY) return normalCdf(-t);
  if (t === Number.POSITIVE_INFINITY) return 0;
  if (t === Number.NEGATIVE_INFINITY) return 1;
  const half = 0.5 * betainc(df / (df + t * t), df / 2, 0.5, true, false);
  return t >= 0 ? half : 1 - half;
}
