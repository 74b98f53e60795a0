import { averageRanks } from './averageRanks.js';
import { chiSquareSf } from './chiSquareSf.js';
import { fSf } from './fSf.js';

export interface FriedmanOptions {
  /** Scores where higher is better (accuracy; default) get rank 1 for the best; set false for errors/losses. */
  higherIsBetter?: boolean;
  /** Divide by the tie correction (default true, as R's friedman.test); false gives the textbook formula Demšar uses. */
  tieCorrection?: boolean;
}

export interface FriedmanResult {
  /** Number of blocks (rows: tasks, data sets). */
  n: number;
  /** Number of treatments (columns: optimizers). */
  k: number;
  /** Mean rank of each treatment, 1 = best, in column order. */
  meanRanks: number[];
  /** Friedman chi-square statistic. */
  chi2: number;
  /** k − 1. */
  df: number;
  /** P(χ²_{k−1} ≥ chi2). */
  pValue: number;
  /** Iman–Davenport F = (n − 1)χ² / (n(k − 1) − χ²) on (k − 1, (k − 1)(n − 1)) df. */
  imanDavenport: { F: number; df1: number; df2: number; pValue: number };
  tieCorrection: boolean;
}

/**
 * Friedman rank test over an n × k matrix (blocks × treatments, e.g. tasks × optimizers),
 * followed by the Iman–Davenport F correction (Demšar 2006, JMLR 7, §3.2.2):
 *
 *   rᵢⱼ = rank of treatment j within block i (ties get average ranks; 1 = best)
 *   Rⱼ = Σᵢ rᵢⱼ,   R̄ⱼ = Rⱼ / n
 *   χ²_F = 12 Σⱼ (Rⱼ − n(k+1)/2)² / (n k (k+1) − Σ_blocks Σ_ties (t³ − t)/(k − 1))
 *        (without ties, or with tieCorrection = false: 12n/(k(k+1)) · [Σⱼ R̄ⱼ² − k(k+1)²/4])
 *   p = P(χ²_{k−1} ≥ χ²_F)
 *   F_F = (n − 1) χ²_F / (n(k − 1) − χ²_F),   p_F = P(F_{k−1,(k−1)(n−1)} ≥ F_F)
 *
 * Iman & Davenport (1980) showed χ²_F is conservative; F_F is the recommended omnibus test.
 * Both p-values are survival functions (never 1 − cdf). They are large-sample approximations:
 * with few blocks (Demšar: N ≤ 10) use `friedmanPermutation` for an exact or Monte Carlo p.
 * Needs n ≥ 2 blocks and k ≥ 2 treatments. Perfect agreement (χ²_F = n(k − 1)) gives F_F = ∞, p_F = 0
 * (only the permutation p is meaningful then); a matrix tied within every block gives χ²_F = 0, p = 1.
 */
export function friedman(scores: readonly (readonly number[])[], options: FriedmanOptions = {}): FriedmanResult {
  const n = scores.length;
  if (n < 2) throw new Error(`friedman: need at least 2 blocks (rows), got ${n}`);
  const k = scores[0]!.length;
  if (k < 2) throw new Error(`friedman: need at least 2 treatments (columns), got ${k}`);
  const higherIsBetter = options.higherIsBetter ?? true;
  const tieCorrection = options.tieCorrection ?? true;

  const rankSums = new Array<number>(k).fill(0);
  let tieTerm = 0;
  scores.forEach((row, i) => {
    if (row.length !== k) throw new Error(`friedman: every row must have ${k} scores, row ${i} has ${row.length}`);
    for (const v of row) if (!Number.isFinite(v)) throw new Error(`friedman: non-finite score in row ${i}`);
    const ranks = averageRanks(higherIsBetter ? row.map((v) => -v) : row);
    ranks.forEach((r, j) => (rankSums[j]! += r));
    const counts = new Map<number, number>();
    for (const r of ranks) counts.set(r, (counts.get(r) ?? 0) + 1);
    for (const t of counts.values()) tieTerm += t * t * t - t;
  });

  const centre = (n * (k + 1)) / 2;
  const ss = rankSums.reduce((acc, R) => acc + (R - centre) * (R - centre), 0);
  const denom = n * k * (k + 1) - (tieCorrection ? tieTerm / (k - 1) : 0);
  const chi2 = denom > 0 ? (12 * ss) / denom : 0;
  const df = k - 1;
  const pValue = chi2 > 0 ? chiSquareSf(chi2, df) : 1;

  const df1 = k - 1;
  const df2 = (k - 1) * (n - 1);
  const rest = n * (k - 1) - chi2;
  let F: number;
  let pF: number;
  if (rest <= 1e-12 * n * k) {
    F = Number.POSITIVE_INFINITY;
    pF = 0;
  } else {
    F = ((n - 1) * chi2) / rest;
    pF = F > 0 ? fSf(F, df1, df2) : 1;
  }
  return {
    n,
    k,
    meanRanks: rankSums.map((R) => R / n),
    chi2,
    df,
    pValue,
    imanDavenport: { F, df1, df2, pValue: pF },
    tieCorrection,
  };
}
