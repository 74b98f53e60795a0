import { Rng } from '../../core/rng.js';
import { averageRanks } from './averageRanks.js';

export interface FriedmanPermutationResult {
  /** Σⱼ Rⱼ² of the observed rank sums (χ²_F is an increasing function of it for a fixed tie pattern). */
  statistic: number;
  /** P(statistic ≥ observed) under H0: within each block the treatment labels are exchangeable. */
  pValue: number;
  method: 'exact' | 'monte carlo';
  /** Rank permutations counted: (k!)^(N−1) when exact, B when Monte Carlo. */
  permutations: number;
  seed?: number;
}

/**
 * Permutation p-value of the Friedman test (Friedman 1937; exact null distribution as in
 * Hollander, Wolfe & Chicken 2014, §7.1): under H0 every within-block permutation of the
 * ranks is equally likely, so
 *
 *   p = #{permutations π : Σⱼ Rⱼ(π)² ≥ Σⱼ Rⱼ²} / #permutations
 *
 * Exact when (k!)^(N−1) ≤ `maxExact` (block 1 held fixed, by symmetry), otherwise Monte Carlo
 * with B uniform within-block shuffles and p = (1 + #{≥})/(B + 1) (Phipson & Smyth 2010), from
 * the project Rng (seeded). Ties within a block keep their average ranks. Scores as in
 * `friedman` (rows = blocks, columns = treatments; higher is better). Perfect agreement of
 * N = 2 blocks on k = 3 treatments gives p = 1/6, where the χ² and F approximations give 0.
 */
export function friedmanPermutation(
  scores: readonly (readonly number[])[],
  options: { B?: number; seed?: number; maxExact?: number; higherIsBetter?: boolean } = {},
): FriedmanPermutationResult {
  const N = scores.length;
  if (N < 2) throw new Error(`friedmanPermutation: need at least 2 blocks, got ${N}`);
  const k = scores[0]!.length;
  if (k < 2) throw new Error(`friedmanPermutation: need at least 2 treatments, got ${k}`);
  const hib = options.higherIsBetter ?? true;
  const ranks = scores.map((row, i) => {
    if (row.length !== k) throw new Error(`friedmanPermutation: every row must have ${k} scores, row ${i} has ${row.length}`);
    for (const v of row) if (!Number.isFinite(v)) throw new Error(`friedmanPermutation: non-finite score in row ${i}`);
    return averageRanks(hib ? row.map((v) => -v) : row);
  });
  const stat = (sums: ArrayLike<number>) => {
    let s = 0;
    for (let j = 0; j < k; j++) s += sums[j]! * sums[j]!;
    return s;
  };
  const observedSums = new Float64Array(k);
  for (const r of ranks) r.forEach((v, j) => (observedSums[j]! += v));
  const observed = stat(observedSums);
  const tol = 1e-9 * Math.max(1, observed);

  let fact = 1;
  for (let i = 2; i <= k; i++) fact *= i;
  const total = Math.pow(fact, N - 1);
  if (total <= (options.maxExact ?? 200_000)) {
    const perms = ranks.map((r) => permutations(r));
    const sums = Float64Array.from(ranks[0]!);
    let ge = 0;
    const walk = (block: number) => {
      if (block === N) {
        if (stat(sums) >= observed - tol) ge++;
        return;
      }
      for (const p of perms[block]!) {
        for (let j = 0; j < k; j++) sums[j]! += p[j]!;
        walk(block + 1);
        for (let j = 0; j < k; j++) sums[j]! -= p[j]!;
      }
    };
    walk(1);
    return { statistic: observed, pValue: ge / total, method: 'exact', permutations: total };
  }
  const B = options.B ?? 10_000;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(B) || B < 1) throw new Error(`friedmanPermutation: B must be a positive integer, got ${B}`);
  const rng = new Rng(seed);
  const sums = new Float64Array(k);
  const row = new Array<number>(k);
  let ge = 0;
  for (let b = 0; b < B; b++) {
    sums.fill(0);
    for (const r of ranks) {
      for (let j = 0; j < k; j++) row[j] = r[j]!;
      for (let j = k - 1; j > 0; j--) {
        const m = rng.int(0, j);
        const t = row[j]!;
        row[j] = row[m]!;
        row[m] = t;
      }
      for (let j = 0; j < k; j++) sums[j]! += row[j]!;
    }
    if (stat(sums) >= observed - tol) ge++;
  }
  return { statistic: observed, pValue: (1 + ge) / (B + 1), method: 'monte carlo', permutations: B, seed };
}

/** All k! orderings of xs (duplicates kept, so each is equally likely). */
function permutations(xs: readonly number[]): number[][] {
  if (xs.length <= 1) return [xs.slice()];
  const out: number[][] = [];
  xs.forEach((x, i) => {
    for (const rest of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) out.push([x, ...rest]);
  });
  return out;
}
