import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { clusteredMean } from './clusteredMean.js';

describe('clusteredMean', () => {
  it('matches a hand computation (clusters [1,0], [0], [1,1,1])', () => {
    // ȳ = 4/6; residual sums Y_c − ȳ n_c = −1/3, −2/3, 1 → Σ² = 14/9; V = 3/2 · 14/9 / 36 = 0.0648148; t_{0.975,2} = 4.302653
    const r = clusteredMean([[1, 0], [0], [1, 1, 1], []]);
    expect(r.mean).toBeCloseTo(2 / 3, 12);
    expect(r.se).toBeCloseTo(Math.sqrt(0.06481481481481481), 12);
    expect(r.df).toBe(2);
    expect(r.clusters).toBe(3);
    expect(r.lo).toBeCloseTo(2 / 3 - 4.302652729911275 * 0.2545875386086578, 6);
    expect(r.hi).toBeCloseTo(2 / 3 + 4.302652729911275 * 0.2545875386086578, 6);
  });

  it('one cluster: the iid t interval, labelled as not covering between-cluster variance', () => {
    // [1, 2, 3]: mean 2, s = 1, se = 1/√3, t_{0.975,2} = 4.302653
    const r = clusteredMean([[1, 2, 3]]);
    expect(r.se).toBeCloseTo(1 / Math.sqrt(3), 12);
    expect(r.hi - r.mean).toBeCloseTo(4.302652729911275 / Math.sqrt(3), 6);
    expect(r.method).toMatch(/1 cluster/);
    expect(() => clusteredMean([[], []])).toThrow(/at least one/);
  });

  it('covers the true mean about 95% of the time when clusters carry a shared effect (simulation)', () => {
    const rng = new Rng(7);
    const reps = 2000;
    let cover = 0;
    let naiveCover = 0;
    for (let r = 0; r < reps; r++) {
      const clusters = Array.from({ length: 6 }, () => {
        const u = rng.normal();
        return Array.from({ length: 1 + rng.int(2, 8) }, () => u + 0.5 * rng.normal());
      });
      const m = clusteredMean(clusters);
      if (m.lo <= 0 && 0 <= m.hi) cover++;
      const iid = clusteredMean([clusters.flat()]);
      if (iid.lo <= 0 && 0 <= iid.hi) naiveCover++;
    }
    // MC s.e. of a 0.95 coverage at 2000 reps ≈ 0.005; unequal cluster sizes make CR1 slightly liberal
    expect(cover / reps).toBeGreaterThan(0.92);
    expect(cover / reps).toBeLessThan(0.975);
    expect(naiveCover / reps).toBeLessThan(0.8); // ignoring the clusters would be badly anti-conservative
  });
});
