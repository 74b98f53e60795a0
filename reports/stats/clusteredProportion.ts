import { wilsonEffective } from './wilsonEffective.js';

export interface ClusteredProportion {
  /** Σ hits / Σ n. */
  p: number;
  lo: number;
  hi: number;
  level: number;
  /** Cluster-robust variance of p. */
  variance: number;
  /** Kish effective n behind the interval. */
  nEff: number;
  clusters: number;
  n: number;
  /** 't (clusters − 1 df)', or 'wilson (1 cluster: between-cluster variance not covered)'. */
  method: string;
}

/**
 * A proportion whose trials come in clusters that share a source of variation
 * (reflections of one optimization run share its dev set and history), with a
 * cluster-robust (ratio-estimator / sandwich) variance (Cochran 1977, §6.11;
 * Cameron & Miller 2015, J. Human Resources 50:317–372):
 *
 *   p̂ = Σ h_c / Σ n_c,   V̂ = C/(C − 1) · Σ_c (h_c − p̂·n_c)² / (Σ n_c)²
 *
 * and the interval `wilsonEffective(p̂, V̂, { df: C − 1, maxN: Σ n_c, fallbackN: C })`:
 * Wilson with Kish's effective n and a t quantile on C − 1 df (Korn & Graubard 1998).
 * At p̂ = 0 or 1 (V̂ = 0) the effective n is the number of clusters, the conservative
 * choice when the within-cluster correlation cannot be estimated. With a single
 * cluster, the ordinary Wilson interval on its n trials (between-cluster variance not covered).
 */
export function clusteredProportion(hits: readonly number[], totals: readonly number[], opts: { level?: number } = {}): ClusteredProportion {
  const level = opts.level ?? 0.95;
  if (hits.length !== totals.length) throw new Error(`clusteredProportion: ${hits.length} hit counts for ${totals.length} clusters`);
  let H = 0;
  let N = 0;
  hits.forEach((h, c) => {
    const n = totals[c]!;
    if (!(Number.isInteger(h) && Number.isInteger(n) && h >= 0 && n >= h)) throw new Error(`clusteredProportion: cluster ${c}: need integers 0 ≤ hits ≤ n, got ${h} of ${n}`);
    H += h;
    N += n;
  });
  const C = hits.length;
  if (N === 0) return { p: Number.NaN, lo: 0, hi: 1, level, variance: Number.NaN, nEff: 0, clusters: C, n: 0, method: 'none (0 trials)' };
  const p = H / N;
  if (C === 1) {
    const v = (p * (1 - p)) / N;
    const w = wilsonEffective(p, v, { df: Number.POSITIVE_INFINITY, maxN: N, fallbackN: N, level });
    return { p, lo: w.lo, hi: w.hi, level, variance: v, nEff: w.nEff, clusters: 1, n: N, method: 'wilson (1 cluster: between-cluster variance not covered)' };
  }
  let ss = 0;
  hits.forEach((h, c) => {
    const e = h - p * totals[c]!;
    ss += e * e;
  });
  const v = ((C / (C - 1)) * ss) / (N * N);
  const w = wilsonEffective(p, v, { df: C - 1, maxN: N, fallbackN: C, level });
  return { p, lo: w.lo, hi: w.hi, level, variance: v, nEff: w.nEff, clusters: C, n: N, method: 't (clusters − 1 df)' };
}
