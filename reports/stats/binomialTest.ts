import { jStat } from './jstatLib.js';

/**
 * Exact two-sided binomial test p-value for k successes in n trials under
 * H0: success probability = p (the method of R's `binom.test`):
 *
 *   d = P(X = k),  X ~ Bin(n, p)
 *   p-value = Σ over x with P(X = x) ≤ d·(1 + 1e-7) of P(X = x)
 *
 * i.e. the total probability of outcomes no more likely than the one observed.
 * For p = 1/2 this is min(1, 2·P(X ≤ min(k, n − k))).
 * Probabilities are summed from log-pmfs (jStat.combinationln), so large n and
 * tiny tails stay accurate. n = 0, or k equal to the expected count n·p, gives 1 (as R).
 */
export function binomialTest(k: number, n: number, p = 0.5): number {
  if (!Number.isInteger(n) || n < 0) throw new Error(`binomialTest: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`binomialTest: need integer 0 <= k <= n, got k=${k}, n=${n}`);
  if (!(p >= 0 && p <= 1)) throw new Error(`binomialTest: p must be in [0, 1], got ${p}`);
  if (n === 0 || k === n * p) return 1;
  const pmf = (x: number): number => {
    if (p === 0) return x === 0 ? 1 : 0;
    if (p === 1) return x === n ? 1 : 0;
    return Math.exp(jStat.combinationln(n, x) + x * Math.log(p) + (n - x) * Math.log(1 - p));
  };
  const d = pmf(k) * (1 + 1e-7);
  let total = 0;
  for (let x = 0; x <= n; x++) {
    const px = pmf(x);
    if (px <= d) total += px;
  }
  return Math.min(1, total);
}
