import { studentTQuantile } from './studentTQuantile.js';

export interface ClusteredMean {
  /** Σ_c Σ_i y_ci / Σ_c n_c: the mean over all items. */
  mean: number;
  lo: number;
  hi: number;
  /** Standard error of the mean (cluster-robust; iid over items with one cluster). */
  se: number;
  level: number;
  /** Degrees of freedom of the t quantile. */
  df: number;
  clusters: number;
  n: number;
  /** 't (clusters − 1 df)', or 't (items − 1 df; 1 cluster: between-cluster variance not covered)'. */
  method: string;
}

/**
 * The mean of item values that come in clusters sharing a source of variation
 * (reflections of one optimization run share its dev set and history), with a
 * cluster-robust (ratio-estimator / CR1 sandwich) variance and a t interval on
 * C − 1 degrees of freedom (Cochran 1977, *Sampling Techniques*, §6.11;
 * Cameron & Miller 2015, J. Human Resources 50:317–372, §II.C and §VI):
 *
 *   ȳ = Σ_c Y_c / N,   Y_c = Σ_i y_ci,  N = Σ_c n_c
 *   V̂ = C/(C − 1) · Σ_c (Y_c − ȳ·n_c)² / N²
 *   [lo, hi] = ȳ ∓ t_{1−α/2, C−1} · √V̂
 *
 * The same variance as `clusteredProportion` (which uses it for a 0/1 item).
 * With one cluster the between-cluster variance cannot be estimated: the
 * interval is then the iid one, ȳ ∓ t_{1−α/2, N−1} · s/√N (method says so).
 * Empty clusters are ignored. Throws on no items or a non-finite value.
 */
export function clusteredMean(clusters: ReadonlyArray<readonly number[]>, opts: { level?: number } = {}): ClusteredMean {
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`clusteredMean: level must be in (0, 1), got ${level}`);
  const cs = clusters.filter((c) => c.length > 0);
  for (const c of cs) for (const y of c) if (!Number.isFinite(y)) throw new Error(`clusteredMean: values must be finite, got ${y}`);
  const N = cs.reduce((a, c) => a + c.length, 0);
  if (N === 0) throw new Error('clusteredMean: need at least one value');
  const C = cs.length;
  const sums = cs.map((c) => c.reduce((a, y) => a + y, 0));
  const mean = sums.reduce((a, y) => a + y, 0) / N;
  if (C === 1) {
    const ss = cs[0]!.reduce((a, y) => a + (y - mean) ** 2, 0);
    const df = N - 1;
    const se = N > 1 ? Math.sqrt(ss / (N - 1) / N) : Number.NaN;
    const t = df > 0 ? studentTQuantile(1 - (1 - level) / 2, df) : Number.NaN;
    const half = N > 1 ? t * se : Number.POSITIVE_INFINITY;
    return { mean, lo: mean - half, hi: mean + half, se, level, df, clusters: 1, n: N, method: 't (items − 1 df; 1 cluster: between-cluster variance not covered)' };
  }
  let ss = 0;
  cs.forEach((c, i) => {
    const e = sums[i]! - mean * c.length;
    ss += e * e;
  });
  const se = Math.sqrt(((C / (C - 1)) * ss) / (N * N));
  const df = C - 1;
  const half = studentTQuantile(1 - (1 - level) / 2, df) * se;
  return { mean, lo: mean - half, hi: mean + half, se, level, df, clusters: C, n: N, method: 't (clusters − 1 df)' };
}
