import { jStat } from './jstatLib.js';

/**
 * Critical values q_α for the Nemenyi test: the Studentized range statistic (infinite df)
 * divided by √2, for k = 2..10 treatments (Demšar 2006, JMLR 7, Table 5(a)).
 */
const Q_ALPHA: Record<'0.05' | '0.1', readonly number[]> = {
  '0.05': [1.96, 2.343, 2.569, 2.728, 2.85, 2.949, 3.031, 3.102, 3.164],
  '0.1': [1.645, 2.052, 2.291, 2.459, 2.589, 2.693, 2.78, 2.855, 2.92],
};

export interface NemenyiPair {
  /** Treatment indices, i < j. */
  i: number;
  j: number;
  /** |R̄ᵢ − R̄ⱼ|. */
  diff: number;
  /** diff > CD. */
  significant: boolean;
}

export interface NemenyiResult {
  k: number;
  n: number;
  alpha: number;
  /** Where q came from: Demšar's table, or the Studentized range quantile (jStat). */
  qSource: 'demsar-table' | 'studentized-range';
  q: number;
  /** Critical difference in mean rank. */
  cd: number;
  pairs: NemenyiPair[];
}

/**
 * Nemenyi post-hoc test after a Friedman test (Demšar 2006, §3.2.2): two treatments differ
 * significantly when their mean ranks differ by more than the critical difference
 *
 *   CD = q_α · √(k(k + 1) / (6N))
 *
 * with N blocks (tasks), k treatments (optimizers) and q_α from Demšar's Table 5(a)
 * for α ∈ {0.05, 0.10} and k = 2..10; otherwise q_α = q(1 − α; k, ∞) / √2, the
 * Studentized range quantile (jStat.tukey.inv with df = 10⁶), which reproduces
 * the table to 1.5·10⁻³ and the longer published tables (e.g. k = 12: 3.268).
 * Mean ranks as returned by `friedman`.
 */
export function nemenyi(meanRanks: readonly number[], n: number, alpha = 0.05): NemenyiResult {
  const k = meanRanks.length;
  if (k < 2 || k > 100) throw new Error(`nemenyi: needs 2 to 100 treatments, got ${k}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`nemenyi: n must be a positive integer number of blocks, got ${n}`);
  if (!(alpha > 0 && alpha < 1)) throw new Error(`nemenyi: alpha must be in (0, 1), got ${String(alpha)}`);
  for (const r of meanRanks) {
    if (!(r >= 1 && r <= k)) throw new Error(`nemenyi: mean ranks must lie in [1, ${k}], got ${r}`);
  }
  const tabulated = (alpha === 0.05 || alpha === 0.1) && k <= 10;
  const q = tabulated ? Q_ALPHA[alpha === 0.05 ? '0.05' : '0.1'][k - 2]! : jStat.tukey.inv(1 - alpha, k, 1e6) / Math.SQRT2;
  const cd = q * Math.sqrt((k * (k + 1)) / (6 * n));
  const pairs: NemenyiPair[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const diff = Math.abs(meanRanks[i]! - meanRanks[j]!);
      pairs.push({ i, j, diff, significant: diff > cd });
    }
  }
  return { k, n, alpha, qSource: tabulated ? 'demsar-table' : 'studentized-range', q, cd, pairs };
}
