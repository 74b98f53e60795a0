import { normalCdf, normalQuantile } from './normal.js';

export interface CohensKappa {
  kappa: number;
  /** Observed agreement p_o and chance agreement p_e. */
  po: number;
  pe: number;
  /** Large-sample standard error of κ̂ (Fleiss, Cohen & Everitt 1969) and the Wald interval κ̂ ∓ z·se, clipped to [−1, 1]. */
  se: number;
  lo: number;
  hi: number;
  /** Standard error under H0: κ = 0, and the two-sided z-test p-value of κ = 0. */
  se0: number;
  p: number;
  level: number;
  n: number;
  categories: string[];
}

/**
 * Cohen's kappa (Cohen 1960, Educ. Psychol. Meas. 20:37–46) for two raters'
 * labels of the same n items, with the large-sample variance of Fleiss,
 * Cohen & Everitt (1969, Psychol. Bull. 72:323–327), as SAS PROC FREQ reports it:
 *
 *   p_ij = share of items rater a labels i and rater b labels j; p_i· , p_·j marginals
 *   p_o = Σ_i p_ii,  p_e = Σ_i p_i· p_·i,  κ = (p_o − p_e)/(1 − p_e)
 *   Var(κ̂) = [Σ_i p_ii (1 − (p_i· + p_·i)(1 − κ))² + (1 − κ)² Σ_{i≠j} p_ij (p_·i + p_j·)²
 *             − (κ − p_e(1 − κ))²] / (n (1 − p_e)²)
 *   Var₀(κ̂) = [p_e + p_e² − Σ_i p_i· p_·i (p_i· + p_·i)] / (n (1 − p_e)²)
 *   interval κ ∓ z_{1−α/2} √Var,  p = 2(1 − Φ(|κ| / √Var₀))
 *
 * Items are assumed independent (labels of distinct items). With p_e = 1
 * (both raters use one and the same label throughout) κ is undefined: NaN.
 * Reference: SAS's example table [[0,4,1],[0,8,0],[0,1,5]] gives κ = 0.4842,
 * ASE 0.1380, 95% 0.2137–0.7547, ASE under H0 0.1484.
 */
export function cohensKappa(a: readonly string[], b: readonly string[], opts: { level?: number } = {}): CohensKappa {
  const level = opts.level ?? 0.95;
  if (a.length !== b.length) throw new Error(`cohensKappa: ${a.length} labels from rater a, ${b.length} from rater b`);
  const n = a.length;
  if (n === 0) throw new Error('cohensKappa: need at least one item');
  const categories = [...new Set([...a, ...b])].sort();
  const idx = new Map(categories.map((c, i) => [c, i]));
  const K = categories.length;
  const counts = Array.from({ length: K }, () => new Array<number>(K).fill(0));
  for (let t = 0; t < n; t++) counts[idx.get(a[t]!)!]![idx.get(b[t]!)!]!++;
  const p = counts.map((r) => r.map((x) => x / n));
  const row = p.map((r) => r.reduce((x, y) => x + y, 0));
  const col = categories.map((_, j) => p.reduce((x, r) => x + r[j]!, 0));
  let agree = 0;
  let pe = 0;
  for (let i = 0; i < K; i++) {
    agree += counts[i]![i]!;
    pe += row[i]! * col[i]!;
  }
  const po = agree / n;
  const kappa = (po - pe) / (1 - pe);
  let A = 0;
  let B = 0;
  let S0 = 0;
  for (let i = 0; i < K; i++) {
    A += p[i]![i]! * (1 - (row[i]! + col[i]!) * (1 - kappa)) ** 2;
    S0 += row[i]! * col[i]! * (row[i]! + col[i]!);
    for (let j = 0; j < K; j++) if (i !== j) B += p[i]![j]! * (col[i]! + row[j]!) ** 2;
  }
  B *= (1 - kappa) ** 2;
  const C = (kappa - pe * (1 - kappa)) ** 2;
  const d = n * (1 - pe) ** 2;
  const se = Math.sqrt(Math.max(0, (A + B - C) / d));
  const se0 = Math.sqrt(Math.max(0, (pe + pe * pe - S0) / d));
  const z = normalQuantile(1 - (1 - level) / 2);
  const zp = se0 > 0 ? Math.abs(kappa) / se0 : Number.NaN;
  const pval = Number.isFinite(zp) ? 2 * (1 - normalCdf(zp)) : Number.NaN;
  return { kappa, po, pe, se, lo: Math.max(-1, kappa - z * se), hi: Math.min(1, kappa + z * se), se0, p: pval, level, n, categories };
}
