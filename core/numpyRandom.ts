/**
 * NumPy's legacy `RandomState` (the `np.random.seed(s)` / `np.random.*`
 * functions), bit for bit, for reproducing reference implementations that pick
 * their examples with it (OPRO's split, google-deepmind/opro
 * opro/optimization/optimize_instructions.py:660-667). Only what those need:
 *
 * - `seed(s)`: MT19937 `init_genrand` (numpy/random/src/mt19937/mt19937.c
 *   `mt19937_seed`, called by `RandomState.seed` for an integer 0 ≤ s < 2³²);
 * - `nextUint32()`: the MT19937 output with its tempering (Matsumoto & Nishimura 1998);
 * - `rand()`: `random_sample`, (a·2²⁶ + b) / 2⁵³ with a = u₁ >> 5, b = u₂ >> 6
 *   (`mt19937_next_double`);
 * - `randomInterval(max)`: `random_interval`, a uniform integer in [0, max] by
 *   masked rejection on 32-bit draws (numpy/random/src/distributions/distributions.c);
 * - `permutation(n)`: `arange(n)` shuffled by the legacy `_shuffle_raw`
 *   (for i = n−1 … 1: swap i with randomInterval(i), numpy/random/mtrand.pyx);
 * - `choice(n, size)` without replacement and without p: `permutation(n)[:size]` (mtrand.pyx).
 *
 * Tested against values printed by NumPy 2.4.6 (core/numpyRandom.test.ts).
 * Limits: seeds ≥ 2³² (NumPy then seeds by array) and ranges above 2³² − 1 are not supported.
 */
const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;

  constructor(seed: number) {
    this.seed(seed);
  }

  /** `np.random.seed(seed)` for an integer seed in [0, 2³²). */
  seed(seed: number): void {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`NumpyRandomState: seed must be an integer in [0, 2^32), got ${seed}`);
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 · prev + i (mod 2³²), in two 16-bit halves to stay exact
      mt[i] = ((((prev & 0xffff0000) >>> 16) * 1812433253) << 16) + (prev & 0x0000ffff) * 1812433253 + i;
    }
    this.pos = N;
  }

  private generate(): void {
    const mt = this.mt;
    for (let k = 0; k < N; k++) {
      const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % N]! & 0x7fffffff);
      mt[k] = mt[(k + M) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.pos = 0;
  }

  /** The next 32-bit output (tempered). */
  nextUint32(): number {
    if (this.pos >= N) this.generate();
    let y = this.mt[this.pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** `np.random.rand()`: a double in [0, 1) with 53 random bits. */
  rand(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** `random_interval(max)`: uniform integer in [0, max], max < 2³². */
  randomInterval(max: number): number {
    if (max === 0) return 0;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) throw new Error(`NumpyRandomState: max must be an integer in [0, 2^32), got ${max}`);
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }

  /** `np.random.permutation(n)`. */
  permutation(n: number): number[] {
    const a = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i >= 1; i--) {
      const j = this.randomInterval(i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** `np.random.choice(n, size, replace=False)` (no p): the first `size` of `permutation(n)`. */
  choice(n: number, size: number): number[] {
    if (size > n) throw new Error(`NumpyRandomState: cannot take ${size} of ${n} without replacement`);
    return this.permutation(n).slice(0, size);
  }
}
