import { twoLevelMean, type TwoLevelDesign } from './twoLevelMean.js';
import { wilsonEffective } from './wilsonEffective.js';

export interface AccuracyTwoLevelResult {
  /** Mean over seeds of the per-seed accuracy. */
  mean: number;
  lo: number;
  hi: number;
  level: number;
  se: number;
  df: number;
  /** Kish effective number of independent 0/1 observations behind the interval. */
  nEff: number;
  /** Distinct test examples: n (crossed) or Σ nₛ (nested). */
  examples: number;
  seeds: number;
  design: TwoLevelDesign;
  covers: 'test examples + seeds' | 'test examples (seeds identical)' | 'test examples only (1 seed)';
  seedVar: number;
  exampleVar: number;
}

/**
 * Accuracy of one system over S seeds with an interval that covers test-set sampling
 * and seed-to-seed variation, counting each distinct test example once:
 * `twoLevelMean(rows, { design })` gives the mean, V̂ = se² and its df (Satterthwaite/Banerjee); the
 * interval is `wilsonEffective(mean, V̂, { df, maxN = number of 0/1 observations,
 * fallbackN = distinct examples })` — Wilson with Kish's effective n and a t quantile
 * (Korn & Graubard 1998). It never has zero width: at accuracy 0 or 1 (V̂ = 0) it is the
 * Wilson interval on the distinct examples. rows[s][i] ∈ [0, 1].
 */
export function accuracyTwoLevel(rows: readonly ArrayLike<number>[], opts: { design: TwoLevelDesign; level?: number }): AccuracyTwoLevelResult {
  const est = twoLevelMean(rows, { design: opts.design, ...(opts.level !== undefined ? { level: opts.level } : {}) });
  let obs = 0;
  for (const r of rows) obs += r.length;
  const p = Math.min(1, Math.max(0, est.mean));
  const w = wilsonEffective(p, est.se * est.se, { df: est.df, maxN: obs, fallbackN: est.examples, ...(opts.level !== undefined ? { level: opts.level } : {}) });
  return {
    mean: est.mean,
    lo: w.lo,
    hi: w.hi,
    level: w.level,
    se: est.se,
    df: est.df,
    nEff: w.nEff,
    examples: est.examples,
    seeds: est.seeds,
    design: est.design,
    covers: est.seeds === 1 ? 'test examples only (1 seed)' : est.seedsIdentical ? 'test examples (seeds identical)' : 'test examples + seeds',
    seedVar: est.seedVar,
    exampleVar: est.exampleVar,
  };
}
