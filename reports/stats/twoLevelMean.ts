import { banerjeeDf } from './banerjeeDf.js';

/** How seeds and test examples relate. */
export type TwoLevelDesign =
  /** Every seed scored the same test examples (suite `splitSeed: fixed`): examples crossed with seeds. */
  | 'crossed'
  /** Each seed scored its own test examples (`splitSeed: per-seed`): examples nested in seeds. */
  | 'nested';

export interface TwoLevelOptions {
  design: TwoLevelDesign;
  /**
   * Add Agresti & Min's (2005) pseudo-observations to the example component: ½ at +1, ½ at −1
   * and 1 at 0 (½ to each cell of the paired 2×2 table). For paired differences of 0/1
   * outcomes, so that no discordant pair never means zero variance. Default false.
   */
  pseudoCounts?: boolean;
  /** Confidence level the effective df is matched at (crossed design with several seeds); default 0.95. */
  level?: number;
}

export interface TwoLevelEstimate {
  /** Grand mean: mean over seeds of the per-seed means. */
  mean: number;
  /** Standard error of `mean`: √(seedVar + exampleVar). */
  se: number;
  /** Satterthwaite degrees of freedom of se². */
  df: number;
  /** Contribution of seed-to-seed (optimizer) variation to Var(mean): σ̂²_seed / S, truncated at 0. */
  seedVar: number;
  /** Contribution of test-example sampling to Var(mean). */
  exampleVar: number;
  /** Seeds (S). */
  seeds: number;
  /** Distinct test examples: n (crossed) or Σ nₛ (nested). */
  examples: number;
  design: TwoLevelDesign;
  /** True when every seed's values are identical example by example (crossed): the seeds add no information. */
  seedsIdentical: boolean;
}

const sum = (xs: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  return s;
};

/**
 * Mean of a seeds × test-examples table with a standard error that covers both sources
 * of variance: optimizer randomness (seeds) and test-set sampling (examples). The model
 * is the two-way random-effects model y_si = μ + a_s + b_i + e_si (crossed) or
 * y_sj = μ + a_s + e_sj (nested); the estimator is the ANOVA (method of moments)
 * variance-component estimator with the seed component truncated at zero
 * (Searle, Casella & McCulloch 1992, ch. 3–4):
 *
 *   crossed (S seeds × n shared examples; ȳ_s seed means, ȳ_i per-example seed means):
 *     MS_seed = n·Σ(ȳ_s − ȳ)²/(S − 1),  MS_res = ΣΣ(y_si − ȳ_s − ȳ_i + ȳ)²/((S − 1)(n − 1))
 *     seedVar = max(0, MS_seed − MS_res)/(S·n),   exampleVar = s²(ȳ_i)/n
 *   nested (seed s has its own nₛ examples, within-seed sample variance vₛ):
 *     B = s²(ȳ_s)/S,   exampleVar = Σ vₛ/nₛ / S²,   seedVar = max(0, B − exampleVar)
 *   se² = seedVar + exampleVar;
 *   df = se⁴ / (seedVar²/(S − 1) + exampleVar²/df_ex)   (Satterthwaite 1946),
 *        df_ex = n − 1 (crossed) or Σ(nₛ − 1) (nested)
 *
 * Each distinct example enters the example component once (through its seed average
 * ȳ_i when seeds share it), so seeds that repeat the same test set never multiply n.
 * With one seed the seed component cannot be estimated: seedVar = 0 and the caller must
 * say that the interval covers test examples only. With `pseudoCounts` the example
 * component uses ȳ_i (or each seed's values) plus Agresti–Min pseudo-observations:
 * exampleVar = [(Σd² + 1)/ñ − d̃²]/ñ, ñ = n + 2, d̃ = Σd/ñ (for one seed of 0/1 pairs
 * this is exactly Agresti & Min's adjusted Wald variance ((b̃ + c̃) − (b̃ − c̃)²/ñ)/ñ²).
 */
export function twoLevelMean(rows: readonly ArrayLike<number>[], options: TwoLevelOptions): TwoLevelEstimate {
  const S = rows.length;
  if (S === 0) throw new Error('twoLevelMean: need at least one seed');
  const { design } = options;
  const pseudo = options.pseudoCounts ?? false;
  for (let s = 0; s < S; s++) {
    const r = rows[s]!;
    if (r.length === 0) throw new Error(`twoLevelMean: seed ${s} has no examples`);
    for (let i = 0; i < r.length; i++) if (!Number.isFinite(r[i]!)) throw new Error(`twoLevelMean: non-finite value at seed ${s}, example ${i}`);
  }
  /** Sample variance of xs (divisor m − 1), or the Agresti–Min augmented variance of the mean's estimator. */
  const exampleComponent = (xs: ArrayLike<number>): number => {
    const m = xs.length;
    if (pseudo) {
      const nt = m + 2;
      let s2 = 1;
      for (let i = 0; i < m; i++) s2 += xs[i]! * xs[i]!;
      const dt = sum(xs) / nt;
      return Math.max(0, s2 / nt - dt * dt) / nt;
    }
    if (m < 2) return 0;
    const mu = sum(xs) / m;
    let ss = 0;
    for (let i = 0; i < m; i++) ss += (xs[i]! - mu) * (xs[i]! - mu);
    return ss / (m - 1) / m;
  };
  const seedMeans = rows.map((r) => sum(r) / r.length);
  const mean = sum(seedMeans) / S;

  let seedVar = 0;
  let exampleVar: number;
  let dfEx: number;
  let examples: number;
  let seedsIdentical = false;
  let dfOverride: number | undefined;
  if (design === 'crossed') {
    const n = rows[0]!.length;
    for (const r of rows) if (r.length !== n) throw new Error(`twoLevelMean: crossed design needs every seed to score the same ${n} examples, got ${r.length}`);
    const colMeans = new Float64Array(n);
    for (const r of rows) for (let i = 0; i < n; i++) colMeans[i]! += r[i]! / S;
    exampleVar = exampleComponent(colMeans);
    dfEx = Math.max(1, n - 1);
    examples = n;
    seedsIdentical = true;
    for (let s = 1; s < S && seedsIdentical; s++) for (let i = 0; i < n; i++) if (rows[s]![i] !== rows[0]![i]) { seedsIdentical = false; break; }
    if (S > 1 && n > 1 && !seedsIdentical) {
      let ssSeed = 0;
      for (const m of seedMeans) ssSeed += (m - mean) * (m - mean);
      const msSeed = (n * ssSeed) / (S - 1);
      let ssRes = 0;
      for (let s = 0; s < S; s++) {
        const r = rows[s]!;
        const ms = seedMeans[s]!;
        for (let i = 0; i < n; i++) {
          const e = r[i]! - ms - colMeans[i]! + mean;
          ssRes += e * e;
        }
      }
      const msRes = ssRes / ((S - 1) * (n - 1));
      const msEx = exampleVar * S * n;
      // Var(ȳ)·S·n = MS_seed + (MS_ex − MS_res)₊: the seed-level mean square (S − 1 df, what a
      // t test over seed means uses) plus the example main effect, never below the
      // per-example component. df: the smaller of two standard approximations for a sum of
      // mean squares — Satterthwaite (1946), with MS_seed floored at MS_res (E[MS_seed] ≥
      // σ²_res), and Banerjee's (1960) separate t quantiles on the seed excess (S − 1 df),
      // the residual ((S − 1)(n − 1) df) and the example main effect (n − 1 df). Satterthwaite
      // alone under-covered accuracies at three seeds (92 %), Banerjee alone differences;
      // the smaller df holds 93.6–96.3 % in every calibration setting (docs/statistics.md).
      const exMain = Math.max(0, msEx - msRes);
      const v = msSeed + exMain > 0 ? msSeed + exMain : msEx;
      seedVar = (v - Math.min(v, msEx)) / (S * n);
      exampleVar = Math.min(v, msEx) / (S * n);
      const seedTerm = Math.max(msSeed, msRes);
      const w = seedTerm + exMain;
      const satterthwaite = w > 0 ? (w * w) / ((seedTerm * seedTerm) / (S - 1) + (exMain * exMain) / (n - 1)) : S - 1;
      const banerjee = banerjeeDf(
        [
          [Math.max(0, msSeed - msRes), S - 1],
          [msRes, (S - 1) * (n - 1)],
          [exMain, n - 1],
        ],
        options.level ?? 0.95,
      );
      dfOverride = Math.min(satterthwaite, banerjee);
    }
  } else if (design === 'nested') {
    let w = 0;
    dfEx = 0;
    examples = 0;
    for (const r of rows) {
      w += exampleComponent(r);
      dfEx += Math.max(0, r.length - 1);
      examples += r.length;
    }
    exampleVar = w / (S * S);
    dfEx = Math.max(1, dfEx);
    if (S > 1) {
      let ss = 0;
      for (const m of seedMeans) ss += (m - mean) * (m - mean);
      const between = ss / (S - 1) / S;
      if (between > exampleVar) {
        seedVar = between - exampleVar;
        dfOverride = S - 1;
      }
    }
  } else {
    throw new Error(`twoLevelMean: design must be 'crossed' or 'nested', got ${String(design)}`);
  }
  const v = seedVar + exampleVar;
  const df = dfOverride ?? dfEx;
  return { mean, se: Math.sqrt(v), df, seedVar, exampleVar, seeds: S, examples, design, seedsIdentical };
}

