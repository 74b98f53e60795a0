import type { Rng } from '../../core/rng.js';

/**
 * B bootstrap replicates of the sample mean, sorted ascending: each replicate draws n
 * indices uniformly with replacement (rng.int(0, n − 1)) and averages the drawn values.
 * Deterministic for a given Rng state; the building block of `bootstrapMeanCI` and
 * `pairedBootstrap` (which resamples paired differences, i.e. whole examples).
 */
export function bootstrapMeans(values: readonly number[], B: number, rng: Rng): Float64Array {
  const n = values.length;
  if (n === 0) throw new Error('bootstrapMeans: need at least one value');
  if (!Number.isInteger(B) || B < 1) throw new Error(`bootstrapMeans: B must be a positive integer, got ${B}`);
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new Error(`bootstrapMeans: non-finite value at index ${i}`);
  });
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[rng.int(0, n - 1)]!;
    out[b] = s / n;
  }
  return out.sort();
}
