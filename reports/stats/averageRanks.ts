/**
 * Two scores are tied when they differ by at most 1e-12 × max(1, |a|, |b|):
 * means of the same counts summed in a different order differ in the last
 * bits (0.325 vs 0.32499999999999996) and must not rank apart.
 */
export function sameScore(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Ranks with ties given their average rank (R's `rank(x)`, ties.method = "average"):
 * the smallest value gets rank 1; a run of t tied values occupying positions
 * i+1 … i+t (1-based, in sorted order) each gets (2i + t + 1)/2.
 * Ties: `sameScore` with the smallest value of the run (R compares exactly;
 * popbench's scores are floating-point means, so last-bit differences tie).
 * Shape: values[n] -> ranks[n]. Errors: a NaN value.
 */
export function averageRanks(values: readonly number[]): number[] {
  for (const v of values) if (Number.isNaN(v)) throw new Error('averageRanks: values must not be NaN');
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && sameScore(values[order[j + 1]!]!, values[order[i]!]!)) j++;
    const avg = (i + j + 2) / 2;
    for (let m = i; m <= j; m++) ranks[order[m]!] = avg;
    i = j + 1;
  }
  return ranks;
}
