import { averageRanks } from './averageRanks.js';
import { normalCdf } from './normal.js';

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface WilcoxonOptions {
  /** H1 for the location of x − y: 'two-sided' (default), 'greater' (x > y), 'less'. */
  alternative?: Alternative;
  /** Continuity correction in the normal approximation (default true, as R). */
  correct?: boolean;
  /**
   * Force the exact null distribution (true) or the normal approximation (false).
   * Default: exact when n ≤ 25 and there are neither ties nor zeros.
   * Exact is only possible without ties and zeros; asking for it otherwise throws.
   */
  exact?: boolean;
}

export interface WilcoxonResult {
  /** Sum of the ranks of the positive differences (R's V). */
  V: number;
  /** Number of non-zero differences (the ones that were ranked). */
  n: number;
  /** Number of zero differences dropped. */
  zeros: number;
  pValue: number;
  method: 'exact' | 'normal approximation' | 'normal approximation with continuity correction' | 'no non-zero differences';
}

/**
 * Wilcoxon signed-rank test for paired values xᵢ, yᵢ (e.g. one score per task or seed
 * for two optimizers), following R's `wilcox.test(x, y, paired = TRUE)`:
 *
 *   dᵢ = xᵢ − yᵢ; zero differences are dropped (Wilcoxon's convention); n = #non-zero.
 *   rᵢ = average rank of |dᵢ| (ties share the mean rank);  V = Σ_{dᵢ > 0} rᵢ
 *   exact (n ≤ 25, no ties, no zeros): the null law of V is that of Σ Sᵢ·i with
 *     Sᵢ ~ Bernoulli(1/2), counted by dynamic programming over 2ⁿ sign patterns.
 *     two-sided p = min(1, 2·P(V ≥ v)) if v > n(n+1)/4, else min(1, 2·P(V ≤ v)).
 *   normal approximation otherwise:
 *     μ = n(n+1)/4,  σ² = n(n+1)(2n+1)/24 − Σ_ties (t³ − t)/48
 *     z = (V − μ − c)/σ, with continuity correction c = ±1/2 towards μ
 *     (two-sided: sign(V − μ)/2; 'greater': 1/2; 'less': −1/2), p from Φ.
 *
 * If every difference is zero there is nothing to test and p = 1.
 */
export function wilcoxonSignedRank(x: readonly number[], y: readonly number[], options: WilcoxonOptions = {}): WilcoxonResult {
  if (x.length !== y.length) {
    throw new Error(`wilcoxonSignedRank: paired vectors must have equal lengths, got ${x.length} and ${y.length}`);
  }
  const alternative = options.alternative ?? 'two-sided';
  if (!['two-sided', 'greater', 'less'].includes(alternative)) {
    throw new Error(`wilcoxonSignedRank: alternative must be 'two-sided', 'greater' or 'less', got ${String(alternative)}`);
  }
  const correct = options.correct ?? true;
  const d: number[] = [];
  let zeros = 0;
  for (let i = 0; i < x.length; i++) {
    const di = x[i]! - y[i]!;
    if (!Number.isFinite(di)) throw new Error(`wilcoxonSignedRank: non-finite difference at index ${i}`);
    if (di === 0) zeros++;
    else d.push(di);
  }
  const n = d.length;
  if (n === 0) return { V: 0, n: 0, zeros, pValue: 1, method: 'no non-zero differences' };

  const ranks = averageRanks(d.map(Math.abs));
  let V = 0;
  for (let i = 0; i < n; i++) if (d[i]! > 0) V += ranks[i]!;

  const tieCounts = new Map<number, number>();
  for (const r of ranks) tieCounts.set(r, (tieCounts.get(r) ?? 0) + 1);
  const hasTies = [...tieCounts.values()].some((t) => t > 1);
  const exactPossible = !hasTies && zeros === 0;
  if (options.exact === true && !exactPossible) {
    throw new Error('wilcoxonSignedRank: exact p-value needs differences without ties or zeros');
  }
  const exact = options.exact ?? (exactPossible && n <= 25);

  if (exact) {
    const counts = signedRankCounts(n);
    const total = Math.pow(2, n);
    const cdf = (v: number): number => {
      let s = 0;
      for (let k = 0; k <= Math.min(v, counts.length - 1); k++) s += counts[k]!;
      return s / total;
    };
    const upper = (v: number): number => {
      // P(V ≥ v), summed over the upper tail (not 1 − cdf).
      let s = 0;
      for (let k = Math.max(0, v); k < counts.length; k++) s += counts[k]!;
      return s / total;
    };
    let pValue: number;
    if (alternative === 'greater') pValue = upper(V);
    else if (alternative === 'less') pValue = cdf(V);
    else pValue = Math.min(1, 2 * (V > (n * (n + 1)) / 4 ? upper(V) : cdf(V)));
    return { V, n, zeros, pValue, method: 'exact' };
  }

  let tieTerm = 0;
  for (const t of tieCounts.values()) tieTerm += t * t * t - t;
  const sigma = Math.sqrt((n * (n + 1) * (2 * n + 1)) / 24 - tieTerm / 48);
  const centred = V - (n * (n + 1)) / 4;
  let correction = 0;
  if (correct) correction = alternative === 'two-sided' ? Math.sign(centred) * 0.5 : alternative === 'greater' ? 0.5 : -0.5;
  const z = (centred - correction) / sigma;
  let pValue: number;
  if (alternative === 'greater') pValue = normalCdf(-z);
  else if (alternative === 'less') pValue = normalCdf(z);
  else pValue = Math.min(1, 2 * normalCdf(-Math.abs(z)));
  return { V, n, zeros, pValue, method: correct ? 'normal approximation with continuity correction' : 'normal approximation' };
}

/** counts[v] = number of subsets of {1..n} whose sum is v (the exact null law of V times 2ⁿ). */
function signedRankCounts(n: number): number[] {
  const max = (n * (n + 1)) / 2;
  const counts = new Array<number>(max + 1).fill(0);
  counts[0] = 1;
  for (let r = 1; r <= n; r++) {
    for (let v = max; v >= r; v--) counts[v]! += counts[v - r]!;
  }
  return counts;
}
