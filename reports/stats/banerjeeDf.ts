import { studentTQuantile } from './studentTQuantile.js';

/**
 * Effective degrees of freedom of Banerjee's (1960) separate-quantile multiplier for a sum
 * of independent variance components c_k, each estimated on df_k degrees of freedom:
 * z² = Σ t²_{1−α/2, df_k}·c_k / Σ c_k; returns the df d with t_{1−α/2, d} = z (bisection on
 * log d between the smallest and largest df_k), so that an interval mean ± t_{d}·se and the
 * test p = 2·P(T_d ≥ |t|) agree at this level. Components with c_k = 0 carry no weight;
 * with none left, the largest df_k. Banerjee, S. K. (1960), "Approximate confidence interval
 * for linear functions of means of k populations when the population variances are not
 * equal", Sankhyā 22:357–358 (the separate-quantile interval for the Behrens–Fisher problem,
 * conservative under normality).
 */
export function banerjeeDf(components: readonly (readonly [number, number])[], level: number): number {
  const q = 1 - (1 - level) / 2;
  let num = 0;
  let den = 0;
  let lo = Infinity;
  let hi = 0;
  for (const [c, df] of components) {
    if (!(c > 0)) continue;
    const t = studentTQuantile(q, df);
    num += t * t * c;
    den += c;
    lo = Math.min(lo, df);
    hi = Math.max(hi, df);
  }
  if (!(den > 0)) return Math.max(1, components.reduce((m, [, df]) => Math.max(m, df), 1));
  if (hi - lo < 1e-9) return lo;
  const z = Math.sqrt(num / den);
  let a = Math.log(lo);
  let b = Math.log(hi);
  for (let it = 0; it < 60 && b - a > 1e-6; it++) {
    const mid = (a + b) / 2;
    if (studentTQuantile(q, Math.exp(mid)) > z) a = mid;
    else b = mid;
  }
  return Math.exp((a + b) / 2);
}
