import jstatModule from 'jstat';

// jStat ships CommonJS without types; take the namespace object either way it is exported.
const jStat: { normal: { inv(p: number, mean: number, sd: number): number; cdf(x: number, mean: number, sd: number): number } } =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  ((jstatModule as any).jStat ?? jstatModule) as any;

/** Standard normal quantile Φ⁻¹(p) (jStat: erfc inverse with refinement; ~1e-15 accurate). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  return jStat.normal.inv(p, 0, 1);
}

/** Standard normal CDF Φ(x). */
export function normalCdf(x: number): number {
  return jStat.normal.cdf(x, 0, 1);
}
