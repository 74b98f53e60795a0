import type { Interval } from './wilson.js';
import { studentTQuantile } from './studentTQuantile.js';

/**
 * Wilson score interval for a proportion estimated from clustered or multi-level data,
 * with Kish's effective sample size and a t quantile (Korn & Graubard 1998, Survey
 * Methodology 24:193–201; the Wilson form as in Dean & Pagano 2015, J. Survey Stat.
 * Methodol. 3:484–503):
 *
 *   n_eff = p̂(1 − p̂)/V̂   (V̂ = estimated variance of p̂, e.g. `twoLevelMean` se²),
 *           capped at `maxN` (the number of 0/1 observations); when V̂ = 0 (p̂ = 0 or 1)
 *           n_eff = `fallbackN` (the number of independent units, e.g. distinct examples)
 *   z = t_{1 − α/2, df}
 *   centre = (p̂ + z²/2n_eff)/(1 + z²/n_eff),  half = z/(1 + z²/n_eff)·√(p̂(1 − p̂)/n_eff + z²/4n_eff²)
 *
 * The half-width is at least z²/(2(n_eff + z²)) > 0, so the interval never has zero
 * width for a finite number of units. With V̂ = p̂(1 − p̂)/n and df = ∞ it is the
 * ordinary Wilson interval.
 */
export function wilsonEffective(p: number, variance: number, opts: { df: number; maxN: number; fallbackN: number; level?: number }): Interval & { nEff: number } {
  const level = opts.level ?? 0.95;
  if (!(p >= 0 && p <= 1)) throw new Error(`wilsonEffective: p must be in [0, 1], got ${p}`);
  if (!(variance >= 0)) throw new Error(`wilsonEffective: variance must be ≥ 0, got ${variance}`);
  if (!(opts.maxN >= 1 && opts.fallbackN >= 1)) throw new Error(`wilsonEffective: maxN and fallbackN must be ≥ 1`);
  const pq = p * (1 - p);
  let nEff = variance > 0 && pq > 0 ? pq / variance : opts.fallbackN;
  nEff = Math.max(1, Math.min(opts.maxN, nEff));
  const z = studentTQuantile(1 - (1 - level) / 2, opts.df);
  const z2 = z * z;
  const denom = 1 + z2 / nEff;
  const centre = (p + z2 / (2 * nEff)) / denom;
  const half = (z / denom) * Math.sqrt(pq / nEff + z2 / (4 * nEff * nEff));
  return { lo: Math.max(0, centre - half), hi: Math.min(1, centre + half), level, nEff };
}
