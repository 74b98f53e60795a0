import { describe, expect, it } from 'vitest';
import * as stats from './index.js';

describe('reports/stats index', () => {
  it('re-exports every statistics function', () => {
    const names = [
      'averageRanks', 'binomialTest', 'bootstrapMeanCI', 'bootstrapMeans', 'friedman', 'holm', 'mcnemar',
      'nemenyi', 'normalCdf', 'normalQuantile', 'pairedBootstrap', 'signTest', 'wilcoxonSignedRank', 'wilsonInterval',
      'accuracyTwoLevel', 'chiSquareSf', 'clusteredProportion', 'fSf', 'friedmanPermutation', 'pairedTwoLevel',
      'signFlipTest', 'studentTQuantile', 'studentTSf', 'twoLevelMean', 'wilsonEffective', 'banerjeeDf',
    ];
    for (const name of names) expect(typeof (stats as Record<string, unknown>)[name], name).toBe('function');
  });

  it('chains Friedman into Nemenyi (mean ranks and block count carry over)', () => {
    const scores = [
      [0.9, 0.8, 0.7],
      [0.85, 0.8, 0.6],
      [0.95, 0.7, 0.65],
      [0.9, 0.75, 0.7],
      [0.8, 0.82, 0.6],
    ];
    const f = stats.friedman(scores);
    expect(f.meanRanks).toEqual([1.2, 1.8, 3]);
    const nem = stats.nemenyi(f.meanRanks, f.n);
    // CD = 2.343·√(3·4/(6·5)) = 1.4819; only the 1.8 gap between the first and third column exceeds it.
    expect(nem.cd).toBeCloseTo(2.343 * Math.sqrt(12 / 30), 12);
    expect(nem.pairs.filter((p) => p.significant).map((p) => [p.i, p.j])).toEqual([[0, 2]]);
  });
});
