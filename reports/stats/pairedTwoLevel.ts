import { mcnemar } from './mcnemar.js';
import { studentTQuantile } from './studentTQuantile.js';
import { studentTSf } from './studentTSf.js';
import { twoLevelMean, type TwoLevelDesign } from './twoLevelMean.js';

export interface PairedTwoLevelResult {
  /** mean(a) − mean(b): mean over seeds of the per-seed accuracy differences. */
  diff: number;
  lo: number;
  hi: number;
  level: number;
  se: number;
  df: number;
  /** Two-sided p-value of H0: no difference (see `test`). */
  pValue: number;
  test: 'exact McNemar on distinct examples' | 'two-level t (Satterthwaite/Banerjee df)';
  /** Per-example seed-averaged discordance: Σ max(d̄ᵢ, 0) and Σ max(−d̄ᵢ, 0) over distinct examples (integers when seeds agree). */
  b: number;
  c: number;
  /** Distinct paired test examples. */
  examples: number;
  seeds: number;
  design: TwoLevelDesign;
  /** Variance the interval and test cover. */
  covers: 'test examples + seeds' | 'test examples (seeds identical)' | 'test examples only (1 seed)';
  seedVar: number;
  exampleVar: number;
}

/**
 * Paired comparison of two systems scored 0/1 (or any bounded score) on the same test
 * examples under the same seeds, with each distinct example counted once.
 * a[s][i], b[s][i]: seed s, example i (crossed: the same examples for every seed;
 * nested: seed s's own examples). dₛᵢ = aₛᵢ − bₛᵢ.
 *
 *   diff = mean over seeds of mean_i dₛᵢ
 *   se², df from `twoLevelMean(d, { design, pseudoCounts: true })` (seed component +
 *     per-example seed-averaged example component with Agresti–Min pseudo-counts)
 *   interval: diff ± t_{1−α/2, df}·se, clipped to [−1, 1]
 *   p: when the differences carry no seed variation (one seed, or crossed seeds whose
 *      d vectors are identical, e.g. deterministic methods), the exact McNemar test on
 *      the distinct examples' b and c (McNemar 1947; binomial form); otherwise the
 *      two-level t test t = diff/se on df (the smaller of Satterthwaite's and Banerjee's, see
 *      twoLevelMean), p = 2·P(T_df ≥ |t|).
 *
 * The seed component makes an A/A comparison of one stochastic optimizer with itself
 * under different seeds hold its level (the calibration tests check this by simulation).
 */
export function pairedTwoLevel(a: readonly ArrayLike<number>[], b: readonly ArrayLike<number>[], opts: { design: TwoLevelDesign; level?: number }): PairedTwoLevelResult {
  const level = opts.level ?? 0.95;
  if (a.length !== b.length) throw new Error(`pairedTwoLevel: a has ${a.length} seeds, b has ${b.length}`);
  const d = a.map((row, s) => {
    const other = b[s]!;
    if (row.length !== other.length) throw new Error(`pairedTwoLevel: seed ${s}: a has ${row.length} examples, b has ${other.length}`);
    const out = new Float64Array(row.length);
    for (let i = 0; i < row.length; i++) out[i] = row[i]! - other[i]!;
    return out;
  });
  const est = twoLevelMean(d, { design: opts.design, pseudoCounts: true, level });
  const S = d.length;
  // Per-example seed-averaged discordance (crossed) or per-seed discordance summed (nested).
  let bb = 0;
  let cc = 0;
  if (opts.design === 'crossed') {
    const n = d[0]!.length;
    for (let i = 0; i < n; i++) {
      let m = 0;
      for (const row of d) m += row[i]!;
      m /= S;
      if (m > 0) bb += m;
      else cc -= m;
    }
  } else {
    for (const row of d) for (let i = 0; i < row.length; i++) {
      if (row[i]! > 0) bb += row[i]!;
      else cc -= row[i]!;
    }
  }
  const oneUnit = S === 1 || est.seedsIdentical;
  const binary = d.every((row) => row.every((x) => x === 0 || x === 1 || x === -1));
  let pValue: number;
  let test: PairedTwoLevelResult['test'];
  if (oneUnit && binary) {
    const row = d[0]!;
    const x: boolean[] = [];
    const y: boolean[] = [];
    for (let i = 0; i < row.length; i++) {
      x.push(row[i]! > 0);
      y.push(row[i]! < 0);
    }
    pValue = mcnemar(x, y).pValue;
    test = 'exact McNemar on distinct examples';
  } else {
    const t = est.se > 0 ? est.mean / est.se : 0;
    pValue = Math.min(1, 2 * studentTSf(Math.abs(t), est.df));
    test = 'two-level t (Satterthwaite/Banerjee df)';
  }
  const q = studentTQuantile(1 - (1 - level) / 2, est.df);
  return {
    diff: est.mean,
    lo: Math.max(-1, est.mean - q * est.se),
    hi: Math.min(1, est.mean + q * est.se),
    level,
    se: est.se,
    df: est.df,
    pValue,
    test,
    b: bb,
    c: cc,
    examples: est.examples,
    seeds: S,
    design: opts.design,
    covers: S === 1 ? 'test examples only (1 seed)' : est.seedsIdentical ? 'test examples (seeds identical)' : 'test examples + seeds',
    seedVar: est.seedVar,
    exampleVar: est.exampleVar,
  };
}
