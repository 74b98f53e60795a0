import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import {
  CategoricalParzenEstimator,
  categoricalKernel,
  defaultGamma,
  defaultWeights,
  splitObservations,
  TPE_DEFAULTS,
  TpeSampler,
  type Observation,
} from './tpe.js';

describe('TPE split and weights', () => {
  it('uses gamma(n) = min(ceil(0.1·n), 25)', () => {
    expect([1, 10, 11, 25, 100, 249, 250, 251, 1000].map(defaultGamma)).toEqual([1, 1, 2, 3, 10, 25, 25, 25, 25]);
    const history: Observation[] = Array.from({ length: 25 }, (_, i) => ({ params: [i], value: (i * 7) % 25 }));
    const { below, above } = splitObservations(history);
    expect(below).toHaveLength(3);
    expect(above).toHaveLength(22);
    // the three highest values, in chronological order: 24 (i = 7), 23 (i = 14), 22 (i = 21)
    expect(below.map((o) => o.params[0])).toEqual([7, 14, 21]);
    expect(Math.min(...below.map((o) => o.value))).toBeGreaterThan(Math.max(...above.map((o) => o.value)));
  });

  it('breaks ties in value toward the earlier trial', () => {
    const history: Observation[] = [
      { params: [0], value: 0.5 },
      { params: [1], value: 0.9 },
      { params: [2], value: 0.9 },
      ...Array.from({ length: 9 }, (_, i) => ({ params: [3], value: 0.1 * (i % 3) })),
    ];
    // n = 12 → 2 below: both 0.9s; with a custom gamma of 1, only the earlier one
    expect(splitObservations(history).below.map((o) => o.params[0])).toEqual([1, 2]);
    expect(splitObservations(history, () => 1).below.map((o) => o.params[0])).toEqual([1]);
  });

  it('weights are flat below 25 observations and ramp up old trials after', () => {
    expect(defaultWeights(0)).toEqual([]);
    expect(defaultWeights(24)).toEqual(Array(24).fill(1));
    const w = defaultWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30);
    expect(w[4]).toBeCloseTo(1);
    expect(w.slice(5)).toEqual(Array(25).fill(1));
    for (let i = 1; i < 5; i++) expect(w[i]!).toBeGreaterThan(w[i - 1]!);
  });
});

describe('categorical Parzen estimator', () => {
  it('reproduces a hand-computed l/g example', () => {
    // One parameter with k = 3 choices, prior weight 1.
    // below = {x = 0}: 2 kernels (1 observation + prior), w0 = 1/2.
    //   kernel(0) = (w0 + [c = 0]) / (3·w0 + 1) = (1.5, 0.5, 0.5) / 2.5 = (0.6, 0.2, 0.2)
    //   prior     = (1/3, 1/3, 1/3); mixture weights (1, 1) / 2
    //   l = ((0.6 + 1/3) / 2, (0.2 + 1/3) / 2, (0.2 + 1/3) / 2) = (7/15, 4/15, 4/15)
    // above = {x = 1, x = 2}: 3 kernels, w0 = 1/3, normaliser 3·(1/3) + 1 = 2.
    //   kernel(1) = (1/6, 2/3, 1/6), kernel(2) = (1/6, 1/6, 2/3), prior (1/3, 1/3, 1/3); weights 1/3 each
    //   g = ((1/6 + 1/6 + 1/3) / 3, (1/6 + 2/3 + 1/3) / 3, same) = (2/9, 7/18, 7/18)
    // l/g = (7/15 · 9/2, 4/15 · 18/7, 4/15 · 18/7) = (2.1, 24/35, 24/35)
    expect(categoricalKernel(0, 3, 1, 2)).toEqual([0.6, 0.2, 0.2].map((x) => expect.closeTo(x, 12)));
    const l = new CategoricalParzenEstimator([[0]], [3]);
    const g = new CategoricalParzenEstimator([[1], [2]], [3]);
    const lp = [0, 1, 2].map((c) => l.pdf([c]));
    const gp = [0, 1, 2].map((c) => g.pdf([c]));
    expect(lp[0]).toBeCloseTo(7 / 15, 12);
    expect(lp[1]).toBeCloseTo(4 / 15, 12);
    expect(gp[0]).toBeCloseTo(2 / 9, 12);
    expect(gp[2]).toBeCloseTo(7 / 18, 12);
    expect(lp[0]! / gp[0]!).toBeCloseTo(2.1, 12);
    expect(lp[1]! / gp[1]!).toBeCloseTo(24 / 35, 12);
    expect(l.marginal(0).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it('joint kernels keep parameter combinations together', () => {
    // two observations (0, 0) and (1, 1) on a 2 × 2 grid: the observed diagonal is likelier than the off-diagonal
    const est = new CategoricalParzenEstimator([[0, 0], [1, 1]], [2, 2]);
    expect(est.pdf([0, 0])).toBeGreaterThan(est.pdf([0, 1]));
    const total = [0, 1].flatMap((a) => [0, 1].map((b) => est.pdf([a, b]))).reduce((x, y) => x + y, 0);
    expect(total).toBeCloseTo(1, 12);
  });
});

/** Noisy objective on a 6 × 5 grid whose first parameter's choice 3 is clearly best. */
function runSearch(seed: number, mode: 'tpe' | 'random', trials = 60): number[][] {
  const rng = new Rng(seed);
  const sampler = new TpeSampler([6, 5], rng.derive('tpe'));
  const noise = rng.derive('noise');
  const history: Observation[] = [];
  const picks: number[][] = [];
  for (let t = 0; t < trials; t++) {
    const x = mode === 'tpe' ? sampler.suggest(history) : sampler.random();
    const value = (x[0] === 3 ? 0.75 : 0.4) + 0.05 * x[1]! / 4 + 0.1 * (noise.next() - 0.5);
    history.push({ params: x, value });
    picks.push(x);
  }
  return picks;
}

describe('TpeSampler', () => {
  it('suggests uniformly at random during the startup trials', () => {
    const sampler = new TpeSampler([4, 3], new Rng(1));
    const history: Observation[] = [];
    const seen = new Set<string>();
    for (let t = 0; t < TPE_DEFAULTS.nStartupTrials; t++) {
      const x = sampler.suggest(history);
      expect(x[0]).toBeGreaterThanOrEqual(0);
      expect(x[0]).toBeLessThan(4);
      expect(x[1]).toBeLessThan(3);
      seen.add(x.join(','));
      history.push({ params: x, value: 0 });
    }
    expect(seen.size).toBeGreaterThan(3);
  });

  it('concentrates on a clearly best category after the startup trials', () => {
    let tpeHits = 0;
    let randomHits = 0;
    let n = 0;
    for (const seed of [0, 1, 2, 3, 4]) {
      const tpe = runSearch(seed, 'tpe').slice(TPE_DEFAULTS.nStartupTrials);
      const rnd = runSearch(seed, 'random').slice(TPE_DEFAULTS.nStartupTrials);
      tpeHits += tpe.filter((x) => x[0] === 3).length;
      randomHits += rnd.filter((x) => x[0] === 3).length;
      n += tpe.length;
    }
    // uniform would pick choice 3 one time in six
    expect(randomHits / n).toBeLessThan(0.3);
    expect(tpeHits / n).toBeGreaterThan(0.5);
  });

  it('univariate mode also concentrates', () => {
    const rng = new Rng(7);
    const sampler = new TpeSampler([6, 5], rng, { multivariate: false });
    const history: Observation[] = [];
    let hits = 0;
    for (let t = 0; t < 60; t++) {
      const x = sampler.suggest(history);
      if (t >= 10 && x[0] === 3) hits++;
      history.push({ params: x, value: x[0] === 3 ? 1 : 0 });
    }
    expect(hits / 50).toBeGreaterThan(0.5);
  });

  it('is deterministic for a seed and differs across seeds', () => {
    expect(runSearch(5, 'tpe')).toEqual(runSearch(5, 'tpe'));
    expect(runSearch(5, 'tpe')).not.toEqual(runSearch(6, 'tpe'));
  });

  it('rejects a parameter without choices', () => {
    expect(() => new TpeSampler([3, 0], new Rng(0))).toThrow();
  });
});
