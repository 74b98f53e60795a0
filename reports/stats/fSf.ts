import betainc from '@stdlib/math-base-special-betainc';

/**
 * Survival function of Fisher's F distribution with (df1, df2) degrees of freedom:
 *
 *   P(F ≥ f) = I_{df2/(df2 + df1·f)}(df2/2, df1/2),  I = regularized incomplete beta
 *
 * computed directly (stdlib `betainc`), not as 1 − cdf, so small tails stay
 * accurate. For df1 = 2 this is (1 + 2f/df2)^(−df2/2) exactly. f ≤ 0 gives 1, f = ∞ gives 0.
 */
export function fSf(f: number, df1: number, df2: number): number {
  if (!(df1 > 0 && df2 > 0)) throw new Error(`fSf: degrees of freedom must be positive, got ${df1}, ${df2}`);
  if (Number.isNaN(f)) throw new Error('fSf: f is NaN');
  if (f <= 0) return 1;
  if (f === Number.POSITIVE_INFINITY) return 0;
  return betainc(df2 / (df2 + df1 * f), df2 / 2, df1 / 2, true, false);
}
