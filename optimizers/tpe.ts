/**
 * A categorical Tree-structured Parzen Estimator (Bergstra et al. 2011,
 * "Algorithms for Hyper-Parameter Optimization", §4), with the defaults and
 * the categorical kernel of Optuna's `TPESampler` (optuna/samplers/_tpe/
 * sampler.py, parzen_estimator.py). MIPROv2 (DSPy) searches its
 * (instruction index, demo-set index) space with this sampler.
 *
 * The history of trials (params, value; higher is better) is split into the
 * `gamma(n)` best ("below", density l) and the rest ("above", density g).
 * Each density is a mixture with one kernel per observation plus one prior
 * kernel. For a categorical parameter with k choices, the kernel of an
 * observation x_i is the categorical distribution proportional to
 * `w0 + [c = x_i]` with `w0 = priorWeight / (n + 1)` (n observations in the
 * group, +1 for the prior kernel): a Laplace-smoothed one-hot. The prior
 * kernel is uniform. Mixture weights are Optuna's `default_weights` (all 1
 * below 25 observations, then a ramp that down-weights old trials) with the
 * prior kernel weighted `priorWeight`, normalised.
 *
 * After `nStartupTrials` uniform random suggestions, `suggest` draws
 * `nEiCandidates` candidates from l and returns the one maximising
 * log l(x) − log g(x) (the expected-improvement criterion of TPE).
 * `multivariate: true` (DSPy's setting) uses joint kernels over all
 * parameters; false treats each parameter on its own (Optuna's default).
 * Optuna's numeric-only options (consider_endpoints, consider_magic_clip)
 * have no meaning for categorical parameters and are not modelled.
 */
import type { Rng } from '../core/rng.js';

export interface TpeOptions {
  /** Uniform random suggestions before the model is used (Optuna n_startup_trials). */
  nStartupTrials: number;
  /** Candidates drawn from l per suggestion (Optuna n_ei_candidates). */
  nEiCandidates: number;
  /** Weight of the prior kernel and of the smoothing inside each kernel (Optuna prior_weight). */
  priorWeight: number;
  /** Joint kernels over all parameters (DSPy passes multivariate=True) or one estimator per parameter. */
  multivariate: boolean;
}

export const TPE_DEFAULTS: TpeOptions = {
  nStartupTrials: 10, // Optuna TPESampler n_startup_trials=10
  nEiCandidates: 24, // Optuna TPESampler n_ei_candidates=24
  priorWeight: 1.0, // Optuna TPESampler prior_weight=1.0
  multivariate: true, // DSPy MIPROv2: TPESampler(seed=seed, multivariate=True)
};

/** One finished trial: a choice index per parameter and its value (higher is better). */
export interface Observation {
  params: readonly number[];
  value: number;
}

/** Optuna default_gamma: the number of "good" trials, min(ceil(0.1·n), 25). */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Optuna default_weights: n ones below 25 observations, else a ramp from 1/n to 1 over the oldest n − 25, then 25 ones. */
export function defaultWeights(n: number): number[] {
  if (n <= 0) return [];
  if (n < 25) return Array.from({ length: n }, () => 1);
  const m = n - 25;
  const ramp = Array.from({ length: m }, (_, i) => (m === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (m - 1)));
  return [...ramp, ...Array.from({ length: 25 }, () => 1)];
}

/**
 * Split a history into the gamma(n) best ("below") and the rest ("above"),
 * each kept in chronological order. Ties in value go to the earlier trial.
 */
export function splitObservations(
  history: readonly Observation[],
  gamma: (n: number) => number = defaultGamma,
): { below: Observation[]; above: Observation[] } {
  const nBelow = Math.max(0, Math.min(history.length, gamma(history.length)));
  const order = history
    .map((o, i) => ({ o, i }))
    .sort((a, b) => b.o.value - a.o.value || a.i - b.i)
    .map((x) => x.i);
  const good = new Set(order.slice(0, nBelow));
  return {
    below: history.filter((_, i) => good.has(i)),
    above: history.filter((_, i) => !good.has(i)),
  };
}

/**
 * Kernel probabilities of one observed choice among k: (w0 + [c = x]) / (k·w0 + 1)
 * with w0 = priorWeight / nKernels (Optuna _calculate_categorical_distributions).
 */
export function categoricalKernel(observed: number, k: number, priorWeight: number, nKernels: number): number[] {
  const w0 = priorWeight / nKernels;
  const total = k * w0 + 1;
  return Array.from({ length: k }, (_, c) => (w0 + (c === observed ? 1 : 0)) / total);
}

/** A Parzen estimator over categorical parameters: one kernel per observation plus a uniform prior kernel. */
export class CategoricalParzenEstimator {
  /** kernels[j][p][c]: probability of choice c of parameter p under kernel j (the last kernel is the prior). */
  readonly kernels: number[][][];
  /** Mixture weights, normalised (last = prior). */
  readonly weights: number[];

  constructor(
    observations: readonly (readonly number[])[],
    readonly sizes: readonly number[],
    priorWeight: number = TPE_DEFAULTS.priorWeight,
  ) {
    const nKernels = observations.length + 1;
    this.kernels = observations.map((x) => sizes.map((k, p) => categoricalKernel(x[p]!, k, priorWeight, nKernels)));
    this.kernels.push(sizes.map((k) => Array.from({ length: k }, () => 1 / k)));
    const raw = [...defaultWeights(observations.length), priorWeight];
    const sum = raw.reduce((a, b) => a + b, 0);
    this.weights = raw.map((w) => w / sum);
  }

  /** Probability of a full choice vector under the mixture. */
  pdf(x: readonly number[]): number {
    let total = 0;
    for (let j = 0; j < this.kernels.length; j++) {
      let p = this.weights[j]!;
      for (let q = 0; q < this.sizes.length; q++) p *= this.kernels[j]![q]![x[q]!]!;
      total += p;
    }
    return total;
  }

  /** Marginal probabilities of parameter p's choices. */
  marginal(p: number): number[] {
    const out = Array.from({ length: this.sizes[p]! }, () => 0);
    for (let j = 0; j < this.kernels.length; j++)
      for (let c = 0; c < out.length; c++) out[c]! += this.weights[j]! * this.kernels[j]![p]![c]!;
    return out;
  }

  /** Draw a kernel by its weight, then each parameter from that kernel. */
  sample(rng: Rng): number[] {
    const j = rng.weighted(this.weights);
    return this.sizes.map((_, p) => rng.weighted(this.kernels[j]![p]!));
  }
}

/** Seeded categorical TPE sampler over parameters with `sizes[p]` choices each. */
export class TpeSampler {
  readonly options: TpeOptions;

  constructor(
    readonly sizes: readonly number[],
    private readonly rng: Rng,
    options: Partial<TpeOptions> = {},
    private readonly gamma: (n: number) => number = defaultGamma,
  ) {
    if (sizes.some((k) => !Number.isInteger(k) || k < 1)) throw new Error(`tpe: every parameter needs at least one choice, got [${sizes.join(', ')}]`);
    this.options = { ...TPE_DEFAULTS, ...options };
  }

  /** Uniform random choices (the startup phase, and Optuna's RandomSampler). */
  random(): number[] {
    return this.sizes.map((k) => this.rng.int(0, k - 1));
  }

  /** Next parameters given the finished trials (values: higher is better). */
  suggest(history: readonly Observation[]): number[] {
    if (history.length < this.options.nStartupTrials) return this.random();
    const { below, above } = splitObservations(history, this.gamma);
    if (this.options.multivariate) return this.suggestJoint(below, above, [...this.sizes.keys()]);
    // Univariate: each parameter has its own pair of estimators and its own candidates.
    return this.sizes.map((_, p) => this.suggestJoint(below, above, [p])[0]!);
  }

  /** argmax of log l − log g over nEiCandidates draws from l, on the parameters `ps`. */
  private suggestJoint(below: readonly Observation[], above: readonly Observation[], ps: readonly number[]): number[] {
    const sizes = ps.map((p) => this.sizes[p]!);
    const pick = (o: Observation) => ps.map((p) => o.params[p]!);
    const l = new CategoricalParzenEstimator(below.map(pick), sizes, this.options.priorWeight);
    const g = new CategoricalParzenEstimator(above.map(pick), sizes, this.options.priorWeight);
    let best: number[] | undefined;
    let bestScore = -Infinity;
    for (let i = 0; i < Math.max(1, this.options.nEiCandidates); i++) {
      const x = l.sample(this.rng);
      const score = Math.log(l.pdf(x)) - Math.log(g.pdf(x));
      if (score > bestScore) {
        bestScore = score;
        best = x;
      }
    }
    return best!;
  }
}
