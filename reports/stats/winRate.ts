import { studentTQuantile } from './studentTQuantile.js';
import { twoLevelMean, type TwoLevelDesign } from './twoLevelMean.js';

/** A judged comparison of one prompt from the method's side. */
export type PairOutcome = 'win' | 'tie' | 'loss';

export interface WinRateEstimate {
  /** Shares of prompts (mean over seeds of each seed's share). */
  win: number;
  tie: number;
  loss: number;
  /** WR = win + tie/2. */
  wr: number;
  /** ΔWR = win − loss = 2·WR − 1. */
  dwr: number;
  /** Interval of WR at `level`, inside [0, 1]. */
  lo: number;
  hi: number;
  /** Interval of ΔWR at `level`, inside [−1, 1]. */
  dLo: number;
  dHi: number;
  /** Standard error of ΔWR (that of WR is se/2) and its degrees of freedom. */
  se: number;
  df: number;
  /** Distinct prompts (crossed: judged in every seed) or Σ over seeds (nested). */
  n: number;
  seeds: number;
  /** true when every seed gave the same outcome on every prompt (the interval then covers prompts only). */
  seedsIdentical: boolean;
  level: number;
}

const SCORE: Record<PairOutcome, number> = { win: 1, tie: 0, loss: -1 };

/**
 * Pairwise win rate of a method against a baseline over prompts (and seeds),
 * with an interval whose unit is the prompt.
 *
 * Each judged prompt p of seed s scores d_sp = +1 (win), 0 (tie), −1 (loss).
 * win, tie, loss = mean over seeds of each seed's shares;
 *   ΔWR = win − loss = mean over seeds of the mean d_sp   (the reference's
 *         win and lose fractions, thu-coai/BPO src/evaluation/cal_gpt4_score.py:31,
 *         as BPO's tables report them)
 *   WR  = win + tie/2 = (1 + ΔWR)/2   (ties count half)
 * se and df of ΔWR come from `twoLevelMean(d, { design, pseudoCounts: true })`:
 * the seed component plus the prompt component with Agresti & Min's (2005)
 * pseudo-observations (½ win, ½ loss, 1 tie), so that all wins never give an
 * interval of zero width; under `crossed` (the default split: every seed judges
 * the same prompts) a prompt counts once however many seeds judged it.
 *   ΔWR ± t_{(1+level)/2, df} · se, clipped to [−1, 1];  WR interval = (1 + ·)/2.
 * With one seed this is the Agresti–Min adjusted interval over prompts with a t
 * quantile on n − 1 df. `rows[s]` are seed s's outcomes (crossed: the same
 * prompts in the same order in every seed). Throws on an empty seed.
 */
export function winRate(rows: readonly (readonly PairOutcome[])[], opts: { design?: TwoLevelDesign; level?: number } = {}): WinRateEstimate {
  const design = opts.design ?? 'crossed';
  const level = opts.level ?? 0.95;
  const d = rows.map((r) => Float64Array.from(r, (o) => SCORE[o]));
  const est = twoLevelMean(d, { design, pseudoCounts: true });
  const share = (o: PairOutcome) => rows.reduce((a, r) => a + r.filter((x) => x === o).length / r.length, 0) / rows.length;
  const win = share('win');
  const tie = share('tie');
  const loss = share('loss');
  const dwr = est.mean;
  const half = studentTQuantile((1 + level) / 2, est.df) * est.se;
  const dLo = Math.max(-1, dwr - half);
  const dHi = Math.min(1, dwr + half);
  return { win, tie, loss, wr: (1 + dwr) / 2, dwr, lo: (1 + dLo) / 2, hi: (1 + dHi) / 2, dLo, dHi, se: est.se, df: est.df, n: est.examples, seeds: est.seeds, seedsIdentical: est.seedsIdentical, level };
}
