import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng.js';
import { winRate, type PairOutcome } from './winRate.js';

const rep = (o: PairOutcome, k: number): PairOutcome[] => Array.from({ length: k }, () => o);

describe('winRate', () => {
  it('matches hand-computed values on one seed (6 wins, 2 ties, 2 losses)', () => {
    const e = winRate([[...rep('win', 6), ...rep('tie', 2), ...rep('loss', 2)]]);
    expect(e.win).toBeCloseTo(0.6, 12);
    expect(e.tie).toBeCloseTo(0.2, 12);
    expect(e.loss).toBeCloseTo(0.2, 12);
    expect(e.wr).toBeCloseTo(0.7, 12); // 0.6 + 0.2/2
    expect(e.dwr).toBeCloseTo(0.4, 12); // 0.6 − 0.2
    // Agresti–Min: ñ = 12, (Σd² + 1)/ñ = 9/12, d̃ = 4/12, var = (0.75 − 1/9)/12; t_{0.975, 9} = 2.262157 (scipy)
    expect(e.se).toBeCloseTo(0.2307395517477243, 10);
    expect(e.df).toBe(9);
    expect(e.dLo).toBeCloseTo(-0.1219691297269615, 6);
    expect(e.dHi).toBeCloseTo(0.9219691297269615, 6);
    expect(e.lo).toBeCloseTo(0.4390154351365192, 6);
    expect(e.hi).toBeCloseTo(0.9609845648634807, 6);
    expect(e.n).toBe(10);
    expect(e.seeds).toBe(1);
  });

  it('never gives a zero-width interval and stays inside [0, 1]', () => {
    const e = winRate([rep('win', 20)]);
    expect(e.wr).toBe(1);
    expect(e.hi).toBe(1);
    expect(e.lo).toBeLessThan(1);
    expect(e.lo).toBeGreaterThan(0.5);
    const t = winRate([rep('tie', 20)]);
    expect(t.wr).toBe(0.5);
    expect(t.lo).toBeLessThan(0.5);
    expect(t.hi).toBeGreaterThan(0.5);
  });

  it('counts a prompt shared by seeds once (crossed) and widens with seed disagreement', () => {
    const a: PairOutcome[] = [...rep('win', 10), ...rep('loss', 10)];
    const same = winRate([a, a, a]);
    expect(same.n).toBe(20);
    expect(same.seedsIdentical).toBe(true);
    expect(same.se).toBeCloseTo(winRate([a]).se, 12);
    const b: PairOutcome[] = [...rep('win', 18), ...rep('loss', 2)];
    const c: PairOutcome[] = [...rep('win', 2), ...rep('loss', 18)];
    const mixed = winRate([b, c]);
    expect(mixed.wr).toBeCloseTo(0.5, 12);
    expect(mixed.hi - mixed.lo).toBeGreaterThan(same.hi - same.lo);
    const nested = winRate([a, rep('win', 5)], { design: 'nested' });
    expect(nested.n).toBe(25);
  });

  it('covers the true win rate about 95% of the time (simulation, one seed, n = 80)', () => {
    const rng = new Rng(7);
    const pw = 0.45;
    const pt = 0.2;
    const truth = pw + pt / 2;
    let cover = 0;
    const R = 2000;
    for (let r = 0; r < R; r++) {
      const xs: PairOutcome[] = Array.from({ length: 80 }, () => {
        const u = rng.next();
        return u < pw ? 'win' : u < pw + pt ? 'tie' : 'loss';
      });
      const e = winRate([xs]);
      if (e.lo <= truth && truth <= e.hi) cover++;
    }
    // 2 000 replicates: Monte Carlo se ≈ 0.005 (a 20 000-replicate run of the same design gave 0.946)
    expect(cover / R).toBeGreaterThan(0.925);
    expect(cover / R).toBeLessThan(0.97);
  });

  it('keeps the A/A false-positive rate near 5% (method = baseline: ΔWR interval excludes 0)', () => {
    const rng = new Rng(11);
    let reject = 0;
    const R = 1000;
    for (let r = 0; r < R; r++) {
      const xs: PairOutcome[] = Array.from({ length: 60 }, () => {
        const u = rng.next();
        return u < 0.3 ? 'win' : u < 0.4 ? 'tie' : u < 0.7 ? 'loss' : 'tie';
      });
      const e = winRate([xs]);
      if (e.dLo > 0 || e.dHi < 0) reject++;
    }
    expect(reject / R).toBeLessThan(0.07);
    expect(reject / R).toBeGreaterThan(0.025);
  });
});
