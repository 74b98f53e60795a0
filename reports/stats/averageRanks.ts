/**
 * Ranks with ties given their average rank (R's `rank(x)`, ties.method = "average"):
 * the smallest value gets rank 1; a run of t equal values occupying positions
 * i+1 … i+t (1-based, in sorted order) each gets (2i + t + 1)/2.
 * Equality is exact (===), as in R with the default digits.rank = Inf.
 */
export function averageRanks(values: readonly number[]): number[] {
  for (const v of values) if (Number.isNaN(v)) throw new Error('averageRanks: values must not be NaN');
  const order = values.map((_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const ranks = new Array<number>(values.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]!] === values[order[i]!]) j++;
    const avg = (i + j + 2) / 2;
    for (let m = i; m <= j; m++) ranks[order[m]!] = avg;
    i = j + 1;
  }
  return ranks;
}
