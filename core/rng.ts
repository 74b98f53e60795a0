import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { hash32 } from './hash.js';

/**
 * The project's one seeded PRNG (xoroshiro128+ from pure-rand). Every random
 * choice in popbench goes through an `Rng`; seed 0 is a real seed like any other.
 * `derive(label)` gives an independent stream for a named sub-task (a cell, a
 * step, an optimizer) so that adding draws in one place never shifts another.
 */
export class Rng {
  private gen;
  constructor(readonly seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`rng seed must be an integer, got ${seed}`);
    // The seed is hashed first: xoroshiro128+ seeded with small neighbouring integers gives
    // correlated first draws (new Rng(0).next() would be 0.99999…).
    this.gen = xoroshiro128plus(hash32(['rng', seed]) | 0);
  }

  /** Independent child stream keyed by (this seed, label). */
  derive(label: string | number): Rng {
    return new Rng(hash32([this.seed, String(label)]) | 0);
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer in [lo, hi] inclusive. */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new Error(`rng.int: empty range [${lo}, ${hi}]`);
    return uniformInt(this.gen, lo, hi);
  }

  /** One element chosen uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('rng.pick: empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** k distinct elements without replacement, in random order (k capped at length). */
  sample<T>(items: readonly T[], k: number): T[] {
    return this.shuffle(items).slice(0, Math.max(0, Math.min(k, items.length)));
  }

  /** Index drawn with probability proportional to weights; uniform if all weights are 0. */
  weighted(weights: readonly number[]): number {
    if (weights.length === 0) throw new Error('rng.weighted: empty weights');
    const total = weights.reduce((a, w) => a + Math.max(0, w), 0);
    if (!(total > 0)) return this.int(0, weights.length - 1);
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= Math.max(0, weights[i]!);
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** Standard normal draw (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
}
