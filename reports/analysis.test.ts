import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from './analysis.js';
import { writeFixtureRun } from './fixture.js';
import { loadRunDir } from './load.js';

// Known numbers of the fixture (reports/fixture.ts), worked by hand:
//   like/navigate: empty 0.4, 0.5 | opro 0.8, 0.9 | protegi 0.6, 0.6
//   like/gsm:      empty 0.2, 0.2 | opro 0.3, 0.3 | protegi 0.7, 0.6
// McNemar vs empty, pooled over seeds: opro/nav b=8 c=0 (p = 2/2^8), protegi/nav b=5 c=2 (p = 58/128),
//   opro/gsm b=2 c=0 (p = 0.5), protegi/gsm b=9 c=0 (p = 2/2^9).
// Holm (m = 4): protegi/gsm 4p = 0.015625, opro/nav 3p = 0.0234375, protegi/nav max(2p, ·) = 0.90625, opro/gsm max(0.5, 0.90625).
// Ranks: nav opro 1, protegi 2, empty 3; gsm protegi 1, opro 2, empty 3 → empty 3, opro 1.5, protegi 1.5.
function fixture() {
  const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-report-')));
  return analyze(loadRunDir(dir), { bootstrapB: 2000, gridPoints: 4 });
}

describe('analyze', () => {
  const a = fixture();
  const acc = (o: string, t: string) => a.accuracy.find((r) => r.optimizer === o && r.task === t)!;
  const cmp = (o: string, t: string) => a.comparisons.find((r) => r.optimizer === o && r.task === t)!;

  it('means over seeds with n and seeds', () => {
    expect(acc('opro', 'like/navigate').mean).toBeCloseTo(0.85, 12);
    expect(acc('empty', 'like/navigate').mean).toBeCloseTo(0.45, 12);
    expect(acc('protegi', 'like/gsm').mean).toBeCloseTo(0.65, 12);
    expect(acc('opro', 'like/navigate').n).toBe(20);
    expect(acc('opro', 'like/navigate').seeds).toEqual([0, 1]);
    expect(a.accuracy).toHaveLength(6);
  });

  it('t interval over seeds, Wilson when the seed means are identical', () => {
    const r = acc('opro', 'like/navigate');
    expect(r.interval).toBe('t over seed means');
    // t(0.975, 1) = 12.706; sd = 0.0707; half = 12.706 · 0.0707 / √2 = 0.635
    expect(r.lo).toBeCloseTo(0.85 - 0.6353, 3);
    expect(r.hi).toBe(1);
    const same = acc('opro', 'like/gsm');
    expect(same.interval).toMatch(/^wilson/);
    expect(same.lo).toBeGreaterThan(0.1);
    expect(same.hi).toBeLessThan(0.55);
  });

  it('McNemar b/c and Holm order', () => {
    expect([cmp('opro', 'like/navigate').b, cmp('opro', 'like/navigate').c]).toEqual([8, 0]);
    expect([cmp('protegi', 'like/navigate').b, cmp('protegi', 'like/navigate').c]).toEqual([5, 2]);
    expect([cmp('protegi', 'like/gsm').b, cmp('protegi', 'like/gsm').c]).toEqual([9, 0]);
    expect(cmp('opro', 'like/navigate').p).toBeCloseTo(2 / 256, 10);
    expect(cmp('protegi', 'like/navigate').p).toBeCloseTo(58 / 128, 10);
    expect(cmp('protegi', 'like/gsm').pHolm).toBeCloseTo(0.015625, 10);
    expect(cmp('opro', 'like/navigate').pHolm).toBeCloseTo(0.0234375, 10);
    expect(cmp('protegi', 'like/navigate').pHolm).toBeCloseTo(0.90625, 8);
    expect(cmp('opro', 'like/gsm').pHolm).toBeCloseTo(0.90625, 8);
    expect(a.comparisons.filter((c) => c.significant).map((c) => `${c.optimizer} ${c.task}`).sort()).toEqual(['opro like/navigate', 'protegi like/gsm']);
    expect(a.comparisons.every((c) => c.baseline === 'empty' && c.n === 20)).toBe(true);
  });

  it('paired bootstrap interval brackets the paired difference', () => {
    const c = cmp('opro', 'like/navigate');
    expect(c.diff).toBeCloseTo(0.4, 12);
    expect(c.lo).toBeGreaterThan(0);
    expect(c.lo).toBeLessThan(0.4);
    expect(c.hi).toBeGreaterThan(0.4);
    // protegi/nav: c = 2 discordant losses, so the interval crosses 0.
    expect(cmp('protegi', 'like/navigate').lo).toBeLessThan(0);
  });

  it('Friedman mean ranks and Nemenyi CD', () => {
    expect(a.ranks.optimizers).toEqual(['empty', 'opro', 'protegi']);
    expect(a.ranks.friedman!.meanRanks).toEqual([3, 1.5, 1.5]);
    expect(a.ranks.friedman!.n).toBe(2);
    expect(a.ranks.nemenyi!.cd).toBeCloseTo(2.343 * Math.sqrt(12 / 12), 6);
  });

  it('anytime curves: best-so-far averaged over seeds on a common grid', () => {
    const s = a.anytime.find((x) => x.optimizer === 'opro' && x.task === 'like/navigate')!;
    // grid 0, 10, 20, 30 (x max 30); seed 0: 0.3@10, 0.5@20, (0.4@30); seed 1: 0.2@10, 0.6@30
    expect(s.points.map((p) => p.targetCalls)).toEqual([10, 20, 30]);
    expect(s.points.map((p) => p.mean)).toEqual([0.25, 0.35, 0.55].map((x) => expect.closeTo(x, 12)));
    expect(s.points[2]!.min).toBe(0.5);
  });

  it('reflection quality per optimizer × optimizer model', () => {
    expect(a.reflection).toHaveLength(1);
    const r = a.reflection[0]!;
    expect([r.optimizer, r.optimizerModel, r.n, r.hits, r.cells]).toEqual(['protegi', 'sim-opt-small', 8, 4, 4]);
    expect(r.precision).toBeCloseTo(0.5, 12);
    expect(r.recall).toBeCloseTo(0.25, 12);
    expect(r.fixRate).toBeCloseTo(0.5, 12);
    expect(r.nFix).toBe(4);
    expect(r.hitLo).toBeLessThan(0.5);
    expect(r.hitHi).toBeGreaterThan(0.5);
  });

  it('budget use and stoppedBy counts; Infinity limits read back', () => {
    const b = a.budget.find((x) => x.optimizer === 'opro' && x.task === 'like/gsm')!;
    expect(b.spent.targetCalls).toBe(30);
    expect(b.limits.targetCalls).toBe(40);
    expect(b.limits.tokens).toBe(Infinity);
    expect(b.stoppedBy).toEqual({ budget: 1, done: 1 });
  });

  it('lists missing and failed cells instead of dropping them', () => {
    expect(a.cellsDone).toBe(12);
    expect(a.missing.map((m) => [m.id, m.status])).toEqual([
      ['opro__like-gsm__sim-8b__s2', 'failed'],
      ['protegi__like-gsm__sim-8b__s2', 'missing'],
    ]);
    expect(a.missing[0]!.reason).toBe('provider returned 500 three times');
    expect(a.sim).toBe(true);
  });

  it('notes an absent baseline instead of failing', () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-report-')));
    const b = analyze(loadRunDir(dir), { baseline: 'few-shot', bootstrapB: 200 });
    expect(b.comparisons).toHaveLength(0);
    expect(b.comparisonNotes[0]).toMatch(/few-shot/);
  });
});
