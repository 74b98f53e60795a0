import { binomialTest } from './binomialTest.js';
import { chiSquareSf } from './chiSquareSf.js';

export interface McNemarOptions {
  /** 'exact' (default): two-sided binomial test on the discordant pairs. 'chisq': chi-square approximation. */
  method?: 'exact' | 'chisq';
  /** Continuity correction for 'chisq' (default true, as R's mcnemar.test). */
  correct?: boolean;
}

export interface McNemarResult {
  /** Examples that A got right and B got wrong. */
  b: number;
  /** Examples that A got wrong and B got right. */
  c: number;
  /** Number of paired examples. */
  n: number;
  /** 'exact': b (successes out of b + c); 'chisq': the chi-square statistic (1 df). */
  statistic: number;
  pValue: number;
  method: 'exact binomial' | 'chi-square with continuity correction' | 'chi-square';
}

/**
 * McNemar test for two prompts (or systems) scored right/wrong on the same examples.
 * Only the discordant pairs carry information:
 *
 *   b = #{A right, B wrong},  c = #{A wrong, B right}
 *   exact (default):  p = binomial two-sided p-value of b successes in b + c trials, p₀ = 1/2
 *                       = min(1, 2·P(X ≤ min(b, c))),  X ~ Bin(b + c, 1/2)
 *   chisq:            X² = (|b − c| − 1)² / (b + c)   (without correction: (b − c)² / (b + c)),
 *                     p = P(χ²₁ ≥ X²)  (the χ² survival function, never 1 − cdf)
 *
 * With no discordant pairs there is no evidence either way: p = 1.
 */
export function mcnemar(a: readonly boolean[], bScores: readonly boolean[], options: McNemarOptions = {}): McNemarResult {
  if (a.length !== bScores.length) {
    throw new Error(`mcnemar: paired vectors must have equal lengths, got ${a.length} and ${bScores.length}`);
  }
  let b = 0;
  let c = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] && !bScores[i]) b++;
    else if (!a[i] && bScores[i]) c++;
  }
  const n = a.length;
  const method = options.method ?? 'exact';
  if (method === 'exact') {
    return { b, c, n, statistic: b, pValue: binomialTest(b, b + c, 0.5), method: 'exact binomial' };
  }
  if (method !== 'chisq') throw new Error(`mcnemar: method must be 'exact' or 'chisq', got ${String(method)}`);
  const correct = options.correct ?? true;
  const label = correct ? 'chi-square with continuity correction' : 'chi-square';
  if (b + c === 0) return { b, c, n, statistic: 0, pValue: 1, method: label };
  const diff = correct ? Math.max(0, Math.abs(b - c) - 1) : Math.abs(b - c);
  const statistic = (diff * diff) / (b + c);
  return { b, c, n, statistic, pValue: chiSquareSf(statistic, 1), method: label };
}
