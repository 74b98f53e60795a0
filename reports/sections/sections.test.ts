import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from '../analysis.js';
import { writeFixtureRun } from '../fixture.js';
import { renderDoc } from '../index.js';
import { groupCells, loadRunDir } from '../load.js';
import { colourScale, pairedMde, PALETTE, targetSize, twoProportionMde } from './common.js';
import { paretoFront } from './cost.js';
import { gapRow } from './gap.js';
import { leaderboard } from './leaderboard.js';
import { cohensH, matchedOddsRatio } from './paired.js';

const run = loadRunDir(writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-sections-'))));
const a = analyze(run, { bootstrapB: 200, gridPoints: 4 });

describe('report sections', () => {
  it('target sizes are read from model names', () => {
    expect(targetSize('sim-8b')).toBe(8);
    expect(targetSize('sim-70b')).toBe(70);
    expect(targetSize('qwen2.5-0.5B-instruct')).toBe(0.5);
    expect(targetSize('openai:gpt-4o-mini')).toBeUndefined();
  });

  it('palette: at least 20 distinct colours, stable per label', () => {
    expect(new Set(PALETTE.map((c) => c.toLowerCase())).size).toBeGreaterThanOrEqual(20);
    const labels = Array.from({ length: 22 }, (_, i) => `o${String(i).padStart(2, '0')}`);
    expect(new Set(colourScale(labels).range).size).toBe(22);
    expect(colourScale(['b', 'a']).range[0]).toBe(colourScale(['a', 'c']).range[0]);
  });

  it('minimum detectable effects follow the normal approximations', () => {
    // (1.959964 + 0.841621) · √(0.2/300) = 0.0723
    expect(pairedMde(300, 0.2)).toBeCloseTo(0.07233, 4);
    // (1.959964 + 0.841621) · √(2 · 0.25/100) = 0.1981
    expect(twoProportionMde(100, 0.5)).toBeCloseTo(0.19810, 4);
    expect(pairedMde(100, 0)).toBeGreaterThan(0);
  });

  it('effect sizes: Cohen h and the matched-pairs odds ratio', () => {
    expect(cohensH(0.5, 0.5)).toBe(0);
    expect(cohensH(0.8, 0.5)).toBeCloseTo(0.6435, 4);
    expect(matchedOddsRatio(10, 5)).toBe(2);
    expect(matchedOddsRatio(4, 0)).toBe(9);
  });

  it('Pareto front keeps the non-dominated points only', () => {
    const f = paretoFront([
      { cost: 1, acc: 0.2 },
      { cost: 2, acc: 0.5 },
      { cost: 3, acc: 0.4 },
      { cost: 3, acc: 0.6 },
    ]);
    expect([...f].sort()).toEqual([0, 1, 3]);
  });

  it('leaderboard ranks within each block, 1 = best', () => {
    const { entries, optimizers } = leaderboard(a);
    const nav = entries.filter((e) => e.task === 'like/navigate');
    // navigate means: opro 85, protegi 60, empty 45.
    expect(Object.fromEntries(nav.map((e) => [e.optimizer, e.rank]))).toEqual({ opro: 1, protegi: 2, empty: 3 });
    expect(optimizers.at(-1)).toBe('empty');
  });

  it('dev-to-test gap: point estimate and an interval that contains it', () => {
    const g = groupCells(run.cells).find((x) => x.label === 'opro' && x.task === 'like/navigate')!;
    const r = gapRow(g, 500)!;
    // dev 1/1 on both seeds, test 8/10 and 9/10: gap = 1 − 0.85.
    expect(r.gap).toBeCloseTo(0.15, 10);
    expect(r.nDev).toBe(1);
    expect(r.nTest).toBe(10);
    expect(r.lo).toBeLessThanOrEqual(r.gap);
    expect(r.hi).toBeGreaterThanOrEqual(r.gap);
    expect(r.hi).toBeGreaterThan(r.lo);
  });

  it('the document carries every new section and CSV-only data table', async () => {
    const { doc } = await renderDoc(a, 'x', run, { bootstrapB: 200 });
    const ids = doc.tables.map((t) => t.id);
    for (const id of ['leaderboard', 'best-vs-rest', 'dev-test-gap', 'rank-tests', 'cost-accuracy', 'leaderboard-long', 'per-seed', 'per-example', 'rank-scores', 'nemenyi-pairs']) expect(ids).toContain(id);
    expect(ids[0]).toBe('leaderboard');
    const comp = doc.tables.find((t) => t.id === 'comparisons')!;
    expect(comp.columns.map((c) => c.key)).toEqual(expect.arrayContaining(['distinct', 'h', 'or', 'mde']));
    expect(comp.note).toMatch(/Power: with the median n = 10 distinct/);
    const perSeed = doc.tables.find((t) => t.id === 'per-seed')!;
    expect(perSeed.rows).toHaveLength(run.cells.length);
    const perEx = doc.tables.find((t) => t.id === 'per-example')!;
    expect(perEx.rows).toHaveLength(run.cells.reduce((s, c) => s + c.test.length + c.dev.length, 0));
    expect(doc.plots.map((p) => p.id)).toEqual(expect.arrayContaining(['cost-like-navigate-sim-8b', 'cost-like-gsm-sim-8b']));
    expect(doc.plots.some((p) => p.id === 'scaling')).toBe(false); // one target size only
    const bvr = doc.tables.find((t) => t.id === 'best-vs-rest')!;
    // navigate: best opro vs protegi and empty; gsm: best protegi vs opro and empty.
    expect(bvr.rows.map((r) => `${r['task']}:${r['best']}>${r['optimizer']}`).sort()).toEqual(['like/gsm:protegi>empty', 'like/gsm:protegi>opro', 'like/navigate:opro>empty', 'like/navigate:opro>protegi']);
  });
});

describe('paper numbers beside ours', () => {
  it('verdicts: consistent inside our interval, smaller / larger outside it', async () => {
    const { verdict } = await import('./paper.js');
    expect(verdict(0.1, 0.05, 0.2)).toBe('consistent');
    expect(verdict(0.3, 0.05, 0.2)).toBe('smaller');
    expect(verdict(0.01, 0.05, 0.2)).toBe('larger');
    expect(verdict(0.1, Number.NaN, 0.2)).toBe('n/a');
  });

  it('a suite with paper values gets the paper table, with our paired gain over the same baseline prompt', async () => {
    const { writeFileSync } = await import('node:fs');
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-paper-')));
    const paper = [
      { task: 'like/navigate', optimizer: 'opro', baseline: 'empty', value: 80, baselineValue: 40, table: 'Table 7', source: 'a paper (via a summary)', verified: false },
      { task: 'like/gsm', optimizer: 'opro', baseline: 'empty', value: 21, baselineValue: 20, table: 'Table 7', source: 'a paper', verified: true },
      { task: 'average', tasks: ['like/navigate', 'like/gsm'], optimizer: 'opro', baseline: 'empty', value: 50, baselineValue: 25, table: 'Table 5', source: 'a paper', verified: true },
    ];
    writeFileSync(path.join(dir, 'suite.json'), JSON.stringify({ name: 'fixture', paper }));
    const r = loadRunDir(dir);
    const { doc } = await renderDoc(analyze(r, { bootstrapB: 500 }), 'x', r, { bootstrapB: 500 });
    const t = doc.tables.find((x) => x.id === 'paper')!;
    expect(t.rows).toHaveLength(3);
    const nav = t.rows.find((x) => x['task'] === 'like/navigate')!;
    // ours: opro 17/20 vs empty 9/20 on the same examples = +40 points; the paper's +40 lies inside.
    expect(nav['ourGain']).toBeCloseTo(0.4, 10);
    expect(nav['paperGain']).toBeCloseTo(0.4, 10);
    expect(nav['verdict']).toBe('consistent');
    expect(nav['verified']).toBe('unverified');
    const gsm = t.rows.find((x) => x['task'] === 'like/gsm')!;
    expect(gsm['ourGain']).toBeCloseTo(0.1, 10); // 6/20 vs 4/20
    expect(gsm['verified']).toBe('verified');
    expect(['consistent', 'larger']).toContain(gsm['verdict']);
    // A paper value over tasks: the mean of our per-task gains, (0.4 + 0.1)/2, n summed.
    const avg = t.rows.find((x) => String(x['task']).startsWith('average = mean of like/navigate, like/gsm'))!;
    expect(avg['ourGain']).toBeCloseTo(0.25, 10);
    expect(avg['n']).toBe(Number(nav['n']) + Number(gsm['n']));
    expect(Number(avg['hi']) - Number(avg['lo'])).toBeLessThan(Number(nav['hi']) - Number(nav['lo']));
    expect(avg['verdict']).toBe('consistent');
  });

  it('meanOverTasks: mean of the gains, variances summed over K², Welch–Satterthwaite df; missing task → undefined', async () => {
    const { meanOverTasks } = await import('./paper.js');
    const row = (diff: number, se: number, df: number, n: number) => ({ diff, se, df, n }) as never;
    const m = meanOverTasks([row(0.2, 0.05, 10, 100), row(0.1, 0.05, 10, 100)])!;
    expect(m.diff).toBeCloseTo(0.15, 12);
    // se = √(2·0.05²)/2 = 0.0353553; df = (2v)²/(2v²/10) = 20; t(0.975, 20) = 2.085963 (R qt)
    expect(m.hi - m.diff).toBeCloseTo(2.085963 * 0.0353553, 5);
    expect(m.n).toBe(200);
    expect(meanOverTasks([row(0.2, 0.05, 10, 100), undefined])).toBeUndefined();
  });
});
