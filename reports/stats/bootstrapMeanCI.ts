import { quantileSorted } from 'simple-statistics';
import { Rng } from '../../core/rng.js';
import { bootstrapMeans } from './bootstrapMeans.js';

export interface BootstrapOptions {
  /** Bootstrap replicates (default 10 000). */
  B?: number;
  /** Confidence level (default 0.95). */
  level?: number;
  /** Seed of the project Rng (default 0); report it with the interval. */
  seed?: number;
}

export interface BootstrapMeanCI {
  mean: number;
  lo: number;
  hi: number;
  /** Bootstrap standard error: standard deviation of the B replicate means. */
  se: number;
  level: number;
  n: number;
  B: number;
  seed: number;
  interval: 'percentile bootstrap';
}

/**
 * Percentile bootstrap confidence interval of a mean (e.g. accuracy over examples, or a
 * score over seeds):
 *
 *   x̄*_b = mean of n values drawn with replacement, b = 1..B
 *   [lo, hi] = [Q(α/2), Q(1 − α/2)] of the x̄*_b,   α = 1 − level
 *
 * Q is the linear-interpolation quantile (R type 7, simple-statistics quantileSorted).
 * se = sd of the x̄*_b; as B → ∞ it tends to the plug-in √(Σ(xᵢ − x̄)²)/n.
 * Deterministic for a seed. For 0/1 accuracies with few examples prefer the Wilson interval.
 */
export function bootstrapMeanCI(values: readonly number[], options: BootstrapOptions = {}): BootstrapMeanCI {
  const B = options.B ?? 10_000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  if (!(level > 0 && level < 1)) throw new Error(`bootstrapMeanCI: level must be in (0, 1), got ${level}`);
  if (values.length === 0) throw new Error('bootstrapMeanCI: need at least one value');
  const reps = bootstrapMeans(values, B, new Rng(seed));
  const sorted = Array.from(reps);
  const alpha = 1 - level;
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const repMean = sorted.reduce((a, v) => a + v, 0) / B;
  const se = B > 1 ? Math.sqrt(sorted.reduce((a, v) => a + (v - repMean) * (v - repMean), 0) / (B - 1)) : 0;
  return {
    mean,
    lo: quantileSorted(sorted, alpha / 2),
    hi: quantileSorted(sorted, 1 - alpha / 2),
    se,
    level,
    n: values.length,
    B,
    seed,
    interval: 'percentile bootstrap',
  };
}
