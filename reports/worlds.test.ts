/**
 * Reports of runs over several sim worlds and of a recognition sweep
 * (docs/reports.md "Across worlds", "Gain vs the sim optimizer's recognition
 * rate"), on reduced versions of the shipped worlds.yaml and
 * recognition-sweep.yaml suites.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSuite } from '../benchmarks/runner.js';
import { loadSuite, type Suite } from '../benchmarks/suite.js';
import { buildReport } from './index.js';
import { baseTaskId, blockNamer, loadRunDir } from './load.js';
import { parseBlock, worldFamilies, worldInterval, worldRows } from './sections/worlds.js';

const suites = path.resolve(import.meta.dirname, '../benchmarks/suites');

/** worlds.yaml, reduced: 4 worlds, 2 small tasks, 3 entries, a tiny budget. */
function reducedWorlds(): Suite {
  const s = loadSuite(path.join(suites, 'worlds.yaml'));
  return {
    ...s,
    worlds: [0, 1, 2, 3],
    tasks: ['like/navigate?size=60', 'like/object_counting?size=60'],
    optimizers: s.optimizers.filter((o) => ['empty', 'zero-shot-cot', 'opro'].includes(o.name)).map((o) => (o.name === 'opro' ? { ...o, options: { candidatesPerStep: 4, numExemplars: 2 } } : o)),
    budget: { ...s.budget, targetCalls: 80, optimizerCalls: 10 },
    devSize: 15,
    testLimit: 30,
    checkpoints: 0,
  };
}

describe('block names', () => {
  it('runs without worlds or knobs keep their task ids; otherwise the world and the varying knobs name the block', () => {
    const spec = (task: string, world?: number, sim?: Record<string, unknown>) => ({ id: 'x', optimizer: 'o', task, target: 't', seed: 0, ...(world !== undefined ? { world } : {}), ...(sim ? { sim } : {}) });
    const plain = blockNamer([spec('a'), spec('b')]);
    expect(plain(spec('a')).task).toBe('a');
    const named = blockNamer([spec('a', 0, { harm: 0.1 }), spec('a', 3, { recognise: 0, harm: 0.1 }), spec('a', 0, { recognise: 1, harm: 0.1 })]);
    expect(named(spec('a', 3, { recognise: 0, harm: 0.1 }))).toMatchObject({ task: 'a @w3 [recognise=0]', taskId: 'a' });
    expect(named(spec('a', 0, { harm: 0.1 })).task).toBe('a @w0 [recognise=default]');
    expect(baseTaskId('like/gsm?size=10 @w3 [recognise=0.25]')).toBe('like/gsm?size=10');
    expect(parseBlock('like/gsm @w3 [recognise=0.25, harm=0]')).toEqual({ task: 'like/gsm', world: 3, setting: 'recognise=0.25, harm=0' });
    expect(parseBlock('bbh/navigate')).toEqual({ task: 'bbh/navigate', setting: '' });
  });

  it('the world interval is a Student t interval over worlds', () => {
    // mean 0.5, sd 0.1, n 4: t(0.975, 3) = 3.182446 → half-width 0.159122
    const r = worldInterval([0.4, 0.5, 0.6, 0.5]);
    expect(r.mean).toBeCloseTo(0.5, 10);
    expect(r.hi! - r.mean).toBeCloseTo(3.182446 * (Math.sqrt(0.02 / 3) / 2), 5);
    expect(worldInterval([0.3]).lo).toBeNull();
  });
});

describe('a run over several worlds', () => {
  let out: string;
  let reportDir: string;
  beforeAll(async () => {
    out = mkdtempSync(path.join(tmpdir(), 'pb-worlds-report-'));
    const summary = await runSuite(reducedWorlds(), { out, flags: { cache: false } });
    expect(summary.failed).toEqual([]);
    reportDir = path.join(out, 'report');
    await buildReport(out, { out: reportDir, bootstrapB: 200, png: false });
  }, 240_000);

  it('keeps worlds apart in every per-block table, and the ceiling prompt differs between worlds', () => {
    const run = loadRunDir(out);
    expect(new Set(run.cells.map((c) => c.spec.task)).size).toBe(2 * 4);
    expect(run.cells.every((c) => /@w[0-3]$/.test(c.spec.task) && c.spec.taskId !== undefined)).toBe(true);
    const families = worldFamilies(run);
    expect(families).toHaveLength(2);
    for (const f of families) {
      expect(f.worlds).toEqual([0, 1, 2, 3]);
      expect(f.ceiling.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
    // the documented family's best prompt is not the same in every world for at least one task
    expect(families.some((f) => new Set(f.ceilingParts).size > 1)).toBe(true);
  });

  it('ranks over worlds with intervals whose unit is the world, and the gap to each world ceiling, in every format', () => {
    const rows = worldRows(worldFamilies(loadRunDir(out)));
    const nav = rows.filter((r) => r.task === 'like/navigate?size=60');
    expect(nav.map((r) => r.optimizer).sort()).toEqual(['empty', 'opro', 'zero-shot-cot']);
    for (const r of nav) {
      expect(r.worlds).toBe(4);
      expect(r.rankLo!).toBeLessThanOrEqual(r.rank);
      expect(r.rankHi!).toBeGreaterThanOrEqual(r.rank);
      expect(r.gap).not.toBeNull();
      expect(r.gapLo!).toBeLessThan(r.gapHi!);
    }
    // mean ranks within a family sum to k(k+1)/2
    expect(nav.reduce((s, r) => s + r.rank, 0)).toBeCloseTo(6, 10);
    expect(rows.filter((r) => r.task === 'all tasks')).toHaveLength(3);

    const csv = readFileSync(path.join(reportDir, 'csv/worlds-ranks.csv'), 'utf8');
    expect(csv.split('\n')[0]).toBe('task,target,optimizer,worlds,rank,rankLo,rankHi,wins,acc,accLo,accHi,gap,gapLo,gapHi,atCeiling');
    expect(existsSync(path.join(reportDir, 'csv/worlds-ceiling.csv'))).toBe(true);
    const md = readFileSync(path.join(reportDir, 'report.md'), 'utf8');
    expect(md).toContain('Across worlds: rankings and gap to the ceiling');
    expect(md).toMatch(/n = 4 sim worlds/);
    expect(md).toContain('plots/worlds-gap.svg');
    const html = readFileSync(path.join(reportDir, 'report.html'), 'utf8');
    expect(html).toContain('Across worlds: the ceiling prompt of each world');
    expect(html).toMatch(/Gap to the ceiling over worlds[\s\S]*<svg/);
    const tex = readFileSync(path.join(reportDir, 'report.tex'), 'utf8');
    expect(tex).toContain('Across worlds: rankings and gap to the ceiling');
    expect(tex).toContain('worlds-gap');
  });
});

describe('a recognition sweep (instrumentation check)', () => {
  it('at recognise 0 ABO gains no more than ABO without outputs; at 1 it does; the rate is a block axis with its own table and plot', async () => {
    const s = loadSuite(path.join(suites, 'recognition-sweep.yaml'));
    const suite: Suite = {
      ...s,
      tasks: ['like/navigate'],
      sim: { recognise: [0, 1] },
      optimizers: s.optimizers.filter((o) => o.name === 'empty' || o.name === 'abo'),
      budget: { ...s.budget, targetCalls: 400, optimizerCalls: 40 },
      testLimit: 80,
      checkpoints: 0,
    };
    const out = mkdtempSync(path.join(tmpdir(), 'pb-recognition-'));
    expect((await runSuite(suite, { out, flags: { cache: false } })).failed).toEqual([]);
    const { analysis } = await buildReport(out, { out: path.join(out, 'report'), bootstrapB: 200, png: false, formats: ['csv', 'md'] });
    const csv = readFileSync(path.join(out, 'report/csv/recognition-gain.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('task,target,optimizer,recognise,seeds,n,diff,lo,hi,covers');
    expect(readFileSync(path.join(out, 'report/report.md'), 'utf8')).toContain('plots/recognition-gain.svg');
    const gain = (label: string, r: number) => analysis.comparisons.find((c) => c.optimizer === label && c.task === `like/navigate [recognise=${r}]`)!;
    const blind0 = gain('abo-no-outputs', 0);
    const blind1 = gain('abo-no-outputs', 1);
    // without outputs there is nothing to recognise: the rate changes nothing
    expect(blind1.diff).toBe(blind0.diff);
    // at 0, reflections that see the traces do no better than prior draws (within the no-evidence variant's interval) ...
    expect(gain('abo', 0).diff).toBeGreaterThanOrEqual(blind0.lo);
    expect(gain('abo', 0).diff).toBeLessThanOrEqual(blind0.hi);
    // ... while at 1 the same check would fail: the test can tell recognition from none
    expect(gain('abo', 1).diff).toBeGreaterThan(blind0.hi);
  }, 240_000);
});
