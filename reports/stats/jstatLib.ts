import jstatModule from 'jstat';

/** The parts of jStat the statistics code uses (jStat ships CommonJS without types). */
export interface JStatLib {
  normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  chisquare: { cdf(x: number, df: number): number };
  centralF: { cdf(x: number, df1: number, df2: number): number };
  studentt: { inv(p: number, df: number): number };
  tukey: { inv(p: number, nmeans: number, df: number): number };
  combinationln(n: number, k: number): number;
}

/** jStat's namespace object, taken either way the module exports it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const jStat: JStatLib = ((jstatModule as any).jStat ?? jstatModule) as JStatLib;
