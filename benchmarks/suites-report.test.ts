/**
 * Shipped suites end to end in a reduced form (benchmarks/reduce.ts): run on sim,
 * report, and check what the report promises on every interval and comparison:
 * no interval in any CSV has zero width; comparison rows count each distinct test
 * example once (n = distinct examples, seeds separately); a suite's `paper` values
 * come back beside our paired gain with an interval. `npm run check:suites` does the
 * same for every shipped suite. Suites on BBH/MMLU data skip with a notice when the
 * datasets are absent.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReport } from '../reports/index.js';
import { scanIntervals } from '../reports/scanIntervals.js';
import { reduceSuite, type ReduceOptions } from './reduce.js';
import { runSuite } from './runner.js';

const suites = path.resolve(import.meta.dirname, 'suites');
const DATA = path.resolve(import.meta.dirname, '../../shared/datasets');
const haveData = existsSync(path.join(DATA, 'bbh'));
if (!haveData) console.warn(`[suites-report] real datasets not found at ${DATA}; skipping the reduced opro-bbh and gpo runs`);
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function runReduced(name: string, opts: ReduceOptions, baseline?: string) {
  const suite = reduceSuite(path.join(suites, `${name}.yaml`), { dataDir: DATA, ...opts });
  const out = mkdtempSync(path.join(tmpdir(), `pb-suite-${name}-`));
  dirs.push(out);
  const ran = await runSuite(suite, { out, flags: { cache: false }, concurrency: 2 });
  expect(ran.failed).toEqual([]);
  const report = path.join(out, 'report');
  await buildReport(out, { out: report, formats: ['csv'], png: false, ...(baseline ? { baseline } : {}) });
  const csv = (f: string) => parse(readFileSync(path.join(report, 'csv', f), 'utf8'), { columns: true }) as Record<string, string>[];
  return { suite, csv, intervals: scanIntervals(path.join(report, 'csv')) };
}

const noZeroWidth = (found: ReturnType<typeof scanIntervals>) => {
  expect(found.length).toBeGreaterThan(20);
  const zero = found.filter((x) => !(x.hi > x.lo)).map((x) => `${x.file}:${x.row} ${x.columns} [${x.lo}, ${x.hi}]`);
  expect(zero).toEqual([]);
};

describe('shipped suites, reduced, end to end', () => {
  it('ablation-opro: each comparison row counts a distinct test example once, seeds apart; no zero-width interval', async () => {
    const r = await runReduced('ablation-opro', { seeds: 3, tasks: 1, targetCalls: 24, optimizerCalls: 4, testLimit: 20 }, 'opro-scores-ex3');
    noZeroWidth(r.intervals);
    const examples = new Map<string, Set<string>>();
    for (const e of r.csv('per-example.csv').filter((x) => x['split'] === 'test')) {
      const k = `${e['task']}|${e['target']}`;
      if (!examples.has(k)) examples.set(k, new Set());
      examples.get(k)!.add(e['exampleId']!);
    }
    const rows = r.csv('comparisons.csv');
    expect(rows).toHaveLength(3); // the three other entries vs opro-scores-ex3
    for (const row of rows) {
      const distinct = examples.get(`${row['task']}|${row['target']}`)!.size;
      expect(distinct).toBe(20);
      expect(Number(row['n'])).toBe(distinct); // the same 20 examples under every seed, counted once (not 60)
      expect(Number(row['nSeeds'])).toBe(3);
      expect(Number(row['b']) + Number(row['c'])).toBeLessThanOrEqual(distinct);
    }
    const best = r.csv('best-vs-rest.csv');
    expect(best.length).toBeGreaterThan(0);
    for (const row of best) {
      expect(Number(row['n'])).toBe(20);
      expect(row['seeds']).toBe('0 1 2');
    }
  }, 120_000);

  it.skipIf(!haveData)('opro-bbh: the paper values come back beside our paired gain over the empty string, with an interval', async () => {
    const r = await runReduced('opro-bbh', { tasks: 1, targetCalls: 20, optimizerCalls: 3, testLimit: 20 });
    noZeroWidth(r.intervals);
    const paper = r.csv('paper.csv');
    expect(paper.map((p) => `${p['optimizer']} vs ${p['baseline']}`).sort()).toEqual(['opro-abegin vs empty-qa', 'opro-qbegin vs empty-plain']);
    for (const p of paper) {
      expect(Number(p['hi'])).toBeGreaterThan(Number(p['lo']));
      expect(['consistent', 'smaller', 'larger']).toContain(p['verdict']);
      expect(p['verified']).toBe('unverified');
    }
  }, 120_000);

  it.skipIf(!haveData)('gpo: a paper value over tasks is set beside the mean of our per-task gains', async () => {
    const r = await runReduced('gpo', { tasks: 2, targetCalls: 20, optimizerCalls: 3, testLimit: 16 });
    noZeroWidth(r.intervals);
    const [row] = r.csv('paper.csv');
    expect(row!['task']).toBe('BBH (average) = mean of bbh/navigate, bbh/date_understanding');
    const cmp = r.csv('comparisons.csv');
    expect(Number(row!['paperGain'])).toBeCloseTo((35.43 - 29.91) / 100, 10);
    expect(Number(row!['hi'])).toBeGreaterThan(Number(row!['lo']));
    expect(cmp.length).toBeGreaterThan(0);
  }, 120_000);
});
