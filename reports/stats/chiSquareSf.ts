import gammainc from '@stdlib/math-base-special-gammainc';

/**
 * Survival function of the χ² distribution with df degrees of freedom:
 *
 *   P(χ²_df ≥ x) = Q(df/2, x/2),  Q = regularized upper incomplete gamma
 *
 * computed directly (stdlib `gammainc(x/2, df/2, true, true)`), not as 1 − cdf,
 * so tail probabilities far below machine epsilon stay accurate (e.g.
 * P(χ²₁ ≥ 100) = 1.5239706048e-23, SciPy `chi2.sf(100, 1)`). x ≤ 0 gives 1.
 */
export function chiSquareSf(x: number, df: number): number {
  if (!(df > 0)) throw new Error(`chiSquareSf: df must be positive, got ${df}`);
  if (Number.isNaN(x)) throw new Error('chiSquareSf: x is NaN');
  if (x <= 0) return 1;
  if (x === Number.POSITIVE_INFINITY) return 0;
  return gammainc(x / 2, df / 2, true, true);
}
