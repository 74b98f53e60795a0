import { quantileSorted } from 'simple-statistics';
import { Rng } from '../../core/rng.js';
import type { BootstrapOptions } from './bootstrapMeanCI.js';
import { bootstrapMeans } from './bootstrapMeans.js';

export interface PairedBootstrapResult {
  /** Observed mean(a) − mean(b). */
  diff: number;
  /** Percentile bootstrap interval of the difference. */
  lo: number;
  hi: number;
  /** Two-sided bootstrap p-value for H0: no difference. */
  pValue: number;
  level: number;
  n: number;
  B: number;
  seed: number;
  interval: 'paired percentile bootstrap';
}

/**
 * Paired bootstrap of the difference of means of two score vectors on the same examples
 * (prompt A vs prompt B): resample example indices with replacement, keeping each pair together.
 *
 *   dᵢ = aᵢ − bᵢ,   d̄ = mean(a) − mean(b)
 *   d̄*_b = mean of n differences drawn with replacement (seeded Rng), b = 1..B
 *   [lo, hi] = [Q(α/2), Q(1 − α/2)] of the d̄*_b (R type-7 quantiles)
 *   p = min(1, 2·(#{d̄*_b on the other side of 0, or at 0} + 1)/(B + 1))
 *       ("other side" is ≤ 0 when d̄ > 0 and ≥ 0 when d̄ < 0; d̄ = 0 gives p = 1)
 *
 * The +1 keeps p above 0 with finitely many replicates. Deterministic for a seed.
 */
export function pairedBootstrap(a: readonly number[], b: readonly number[], options: BootstrapOptions = {}): PairedBootstrapResult {
  if (a.length !== b.length) throw new Error(`pairedBootstrap: paired vectors must have equal lengths, got ${a.length} and ${b.length}`);
  if (a.length === 0) throw new Error('pairedBootstrap: need at least one pair');
  const B = options.B ?? 10_000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  if (!(level > 0 && level < 1)) throw new Error(`pairedBootstrap: level must be in (0, 1), got ${level}`);
  const d = a.map((x, i) => x - b[i]!);
  const n = d.length;
  const diff = d.reduce((s, v) => s + v, 0) / n;
  const reps = Array.from(bootstrapMeans(d, B, new Rng(seed)));
  const alpha = 1 - level;
  let pValue = 1;
  if (diff !== 0) {
    let other = 0;
    for (const r of reps) if (diff > 0 ? r <= 0 : r >= 0) other++;
    pValue = Math.min(1, (2 * (other + 1)) / (B + 1));
  }
  return {
    diff,
    lo: quantileSorted(reps, alpha / 2),
    hi: quantileSorted(reps, 1 - alpha / 2),
    pValue,
    level,
    n,
    B,
    seed,
    interval: 'paired percentile bootstrap',
  };
}
