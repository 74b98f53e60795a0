import { Rng } from '../../core/rng.js';

export interface SuccessiveSamplingOverlap {
  /** E|S ∩ T|: expected number of drawn items that are targets. */
  expected: number;
  /** P(S ∩ T ≠ ∅): probability that at least one drawn item is a target. */
  pAny: number;
  /** Items actually drawn: min(k, number of items with positive weight). */
  k: number;
  /** 'exact' (enumeration of the drawn sets) or 'monte carlo' (then `se` is the Monte Carlo standard error of `expected`). */
  method: 'exact' | 'monte carlo';
  se: number;
}

/** Largest number of drawn sets enumerated before switching to Monte Carlo. */
const MAX_STATES = 200_000;

/**
 * Overlap of a weighted draw without replacement with a target set: k
 * distinct items are drawn by successive sampling (each draw picks among the
 * items not yet drawn with probability proportional to its weight; Hájek
 * 1981, *Sampling from a Finite Population*, ch. 9), and S is the drawn set.
 *
 *   P(S_j = A ∪ {i} | S_{j−1} = A) = w_i / (Σ_l w_l − Σ_{l∈A} w_l),  i ∉ A
 *   expected = Σ_A P(S_k = A) · |A ∩ T|,   pAny = 1 − Σ_{A ∩ T = ∅} P(S_k = A)
 *
 * computed exactly by propagating P(S_j = A) over the drawn sets A (at most
 * 200 000 of them per step), otherwise by `mcDraws` seeded Monte Carlo draws
 * (`se` = sd of |S ∩ T| / √mcDraws). k is capped at the number of items with
 * positive weight. For k = 1, expected = pAny = Σ_{i∈T} w_i / Σ w.
 *
 * @param weights non-negative item weights (need not sum to 1)
 * @param isTarget per item: is it in T
 * @param k number of distinct items drawn (≥ 0)
 */
export function successiveSamplingOverlap(
  weights: readonly number[],
  isTarget: readonly boolean[],
  k: number,
  opts: { mcDraws?: number; seed?: number } = {},
): SuccessiveSamplingOverlap {
  if (weights.length !== isTarget.length) throw new Error(`successiveSamplingOverlap: ${weights.length} weights for ${isTarget.length} target flags`);
  if (!(Number.isInteger(k) && k >= 0)) throw new Error(`successiveSamplingOverlap: k must be a non-negative integer, got ${k}`);
  for (const w of weights) if (!(w >= 0 && Number.isFinite(w))) throw new Error(`successiveSamplingOverlap: weights must be finite and ≥ 0, got ${w}`);
  const items = weights.map((w, i) => ({ w, t: isTarget[i]! })).filter((x) => x.w > 0);
  const m = items.length;
  const kk = Math.min(k, m);
  if (kk === 0) return { expected: 0, pAny: 0, k: 0, method: 'exact', se: 0 };
  const total = items.reduce((a, x) => a + x.w, 0);
  // number of drawn sets at step kk is C(m, kk); enumerate when small enough
  let states = 1;
  for (let j = 1; j <= kk; j++) states = (states * (m - j + 1)) / j;
  if (m <= 30 && states <= MAX_STATES) {
    let layer = new Map<number, { p: number; used: number }>([[0, { p: 1, used: 0 }]]);
    for (let step = 0; step < kk; step++) {
      const next = new Map<number, { p: number; used: number }>();
      for (const [mask, s] of layer) {
        const left = total - s.used;
        for (let i = 0; i < m; i++) {
          if (mask & (1 << i)) continue;
          const nm = mask | (1 << i);
          const q = (s.p * items[i]!.w) / left;
          const e = next.get(nm);
          if (e) e.p += q;
          else next.set(nm, { p: q, used: s.used + items[i]!.w });
        }
      }
      layer = next;
    }
    let expected = 0;
    let none = 0;
    for (const [mask, s] of layer) {
      let hits = 0;
      for (let i = 0; i < m; i++) if (mask & (1 << i) && items[i]!.t) hits++;
      expected += s.p * hits;
      if (hits === 0) none += s.p;
    }
    return { expected, pAny: Math.max(0, 1 - none), k: kk, method: 'exact', se: 0 };
  }
  const R = opts.mcDraws ?? 20_000;
  const rng = new Rng(opts.seed ?? 0);
  let sum = 0;
  let sum2 = 0;
  let any = 0;
  for (let r = 0; r < R; r++) {
    const w = items.map((x) => x.w);
    let hits = 0;
    for (let j = 0; j < kk; j++) {
      let i = rng.weighted(w);
      while (w[i] === 0) i = (i + w.length - 1) % w.length; // float round-off at the end of the cumulative sum
      if (items[i]!.t) hits++;
      w[i] = 0;
    }
    sum += hits;
    sum2 += hits * hits;
    if (hits > 0) any++;
  }
  const expected = sum / R;
  const sd = Math.sqrt(Math.max(0, sum2 / R - expected * expected));
  return { expected, pAny: any / R, k: kk, method: 'monte carlo', se: sd / Math.sqrt(R) };
}
