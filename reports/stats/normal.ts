import gammainc from '@stdlib/math-base-special-gammainc';
import jstatModule from 'jstat';

// jStat ships CommonJS without types; take the namespace object either way it is exported.
const jStat: { normal: { inv(p: number, mean: number, sd: number): number } } =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((jstatModule as any).jStat ?? jstatModule) as any;

/** Standard normal quantile Φ⁻¹(p) (jStat: erfc inverse with refinement; ~1e-15 accurate). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  return jStat.normal.inv(p, 0, 1);
}

/**
 * Standard normal CDF Φ(x). The tail beyond |x| is ½·erfc(|x|/√2) = ½·Q(½, x²/2)
 * (Q = regularized upper incomplete gamma, stdlib), so the lower tail stays accurate
 * far out (Φ(−10) = 7.6198530241605e-24, SciPy `norm.cdf(-10)`); use Φ(−x) for an upper tail.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const tail = 0.5 * gammainc((x * x) / 2, 0.5, true, true);
  return x < 0 ? tail : 1 - tail;
}
