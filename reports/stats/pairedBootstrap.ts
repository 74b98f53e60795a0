import { quantileSorted } from 'simple-statistics';
import { Rng } from '../../core/rng.js';
import type { BootstrapOptions } from './bootstrapMeanCI.js';
import { bootstrapMeans } from './bootstrapMeans.js';
import { signFlipTest } from './signFlipTest.js';

export interface PairedBootstrapResult {
  /** Observed mean(a) − mean(b). */
  diff: number;
  /** Percentile bootstrap interval of the difference. */
  lo: number;
  hi: number;
  /** Two-sided p-value for H0: no difference, from the paired sign-flip permutation test (`signFlipTest`), not from the bootstrap. */
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
 *   p = sign-flip permutation p of the dᵢ (`signFlipTest`: exact for ≤ 20 non-zero
 *       differences, else Monte Carlo with B sign vectors and the same seed)
 *
 * Bootstrap p-values (the share of replicates across 0) are several times too small at
 * n ≈ 10 and ≈ 0.002 for a single pair; the permutation p holds its level at any n.
 * The percentile interval has zero width when every dᵢ is equal (e.g. identical prompts):
 * report intervals use `pairedTwoLevel` instead. Deterministic for a seed.
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
  const pValue = signFlipTest(d, { B, seed }).pValue;
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
