import { describe, expect, it } from 'vitest';
import { holm } from './holm.js';

describe('holm', () => {
  // Reference: Holm-adjusted p-values computed with R (package multtest, mt.rawp2adjp, which agrees with
  // p.adjust(p, "holm")), recorded as `res_multtest1` in statsmodels/stats/tests/test_multi.py.
  const raw = [
    0.838541367553, 0.642193923795, 0.680845947633, 0.967833824309, 0.71626938238, 0.177096952723,
    5.23656777208e-5, 0.0202732688798, 0.00028140506198, 0.0149877310796,
  ];
  const rHolm = [1, 1, 1, 1, 1, 1, 5.2365677720800005e-4, 1.4191288215860001e-1, 2.5326455578199999e-3, 1.1990184863680001e-1];

  it('matches R reference values, in input order', () => {
    const adj = holm(raw);
    adj.forEach((p, i) => expect(p).toBeCloseTo(rHolm[i]!, 14));
  });

  // Worked example on the Wikipedia page "Holm–Bonferroni method": p = 0.01, 0.04, 0.03, 0.005 at α = 0.05
  // rejects H1 and H4 only.
  it('reproduces the textbook four-hypothesis example', () => {
    const adj = holm([0.01, 0.04, 0.03, 0.005]);
    expect(adj[0]).toBeCloseTo(0.03, 14);
    expect(adj[1]).toBeCloseTo(0.06, 14); // monotone: raised from 0.04 to 0.06
    expect(adj[2]).toBeCloseTo(0.06, 14);
    expect(adj[3]).toBeCloseTo(0.02, 14);
    expect(adj.map((p) => p <= 0.05)).toEqual([true, false, false, true]);
  });

  it('is monotone in the raw p-values, never below them and capped at 1', () => {
    const p = [0.2, 0.001, 0.5, 0.04, 0.04, 0.9];
    const adj = holm(p);
    const idx = p.map((_, i) => i).sort((a, b) => p[a]! - p[b]!);
    for (let t = 1; t < idx.length; t++) expect(adj[idx[t]!]!).toBeGreaterThanOrEqual(adj[idx[t - 1]!]!);
    adj.forEach((a, i) => {
      expect(a).toBeGreaterThanOrEqual(p[i]!);
      expect(a).toBeLessThanOrEqual(1);
    });
    expect(holm([])).toEqual([]);
    expect(holm([0.03])).toEqual([0.03]);
  });

  it('rejects values outside [0, 1]', () => {
    expect(() => holm([0.1, 1.2])).toThrow(/\[0, 1\]/);
    expect(() => holm([Number.NaN])).toThrow(/\[0, 1\]/);
  });
});
