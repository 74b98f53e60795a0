import { binomialTest } from './binomialTest.js';

export interface SignTestResult {
  /** Pairs with x > y. */
  positive: number;
  /** Pairs with x < y. */
  negative: number;
  /** Pairs with x = y (dropped). */
  ties: number;
  /** positive + negative. */
  n: number;
  pValue: number;
}

/**
 * Exact two-sided sign test for paired values (ties dropped):
 *
 *   S₊ = #{xᵢ > yᵢ},  S₋ = #{xᵢ < yᵢ},  n = S₊ + S₋
 *   p = min(1, 2·P(X ≤ min(S₊, S₋))),  X ~ Bin(n, 1/2)
 *
 * Uses only the direction of each difference, so it needs no symmetry assumption
 * (unlike Wilcoxon) and is the McNemar exact test when the values are 0/1.
 */
export function signTest(x: readonly number[], y: readonly number[]): SignTestResult {
  if (x.length !== y.length) throw new Error(`signTest: paired vectors must have equal lengths, got ${x.length} and ${y.length}`);
  let positive = 0;
  let negative = 0;
  let ties = 0;
  for (let i = 0; i < x.length; i++) {
    const d = x[i]! - y[i]!;
    if (Number.isNaN(d)) throw new Error(`signTest: NaN at index ${i}`);
    if (d > 0) positive++;
    else if (d < 0) negative++;
    else ties++;
  }
  const n = positive + negative;
  return { positive, negative, ties, n, pValue: binomialTest(positive, n, 0.5) };
}
