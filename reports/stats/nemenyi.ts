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
  alpha: 0.05 | 0.1;
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
 * (α ∈ {0.05, 0.10}, k = 2..10). Mean ranks as returned by `friedman`.
 */
export function nemenyi(meanRanks: readonly number[], n: number, alpha: 0.05 | 0.1 = 0.05): NemenyiResult {
  const k = meanRanks.length;
  if (k < 2 || k > 10) throw new Error(`nemenyi: q_alpha is tabulated for 2 to 10 treatments, got ${k}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`nemenyi: n must be a positive integer number of blocks, got ${n}`);
  if (alpha !== 0.05 && alpha !== 0.1) throw new Error(`nemenyi: alpha must be 0.05 or 0.1, got ${String(alpha)}`);
  for (const r of meanRanks) {
    if (!(r >= 1 && r <= k)) throw new Error(`nemenyi: mean ranks must lie in [1, ${k}], got ${r}`);
  }
  const q = Q_ALPHA[alpha === 0.05 ? '0.05' : '0.1'][k - 2]!;
  const cd = q * Math.sqrt((k * (k + 1)) / (6 * n));
  const pairs: NemenyiPair[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      const diff = Math.abs(meanRanks[i]! - meanRanks[j]!);
      pairs.push({ i, j, diff, significant: diff > cd });
    }
  }
  return { k, n, alpha, q, cd, pairs };
}
