import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { Session } from './session.js';
import { estimateSuite, standIn } from './estimate.js';
import { runSuite } from './runner.js';
import { loadSuite, parseSuiteYaml } from './suite.js';

const suitesDir = path.join(import.meta.dirname, 'suites');
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-est-${p}-`));
const within = (est: number, actual: number, rel: number) => expect(Math.abs(est - actual)).toBeLessThanOrEqual(rel * actual);

describe('popbench estimate', () => {
  it('maps real models to sim stand-ins by size', () => {
    expect(standIn('sim-70b', 'target')).toBe('sim-70b');
    expect(standIn('openai:llama-3.1-8b-instruct', 'target')).toBe('sim-8b');
    expect(standIn('openai:Qwen2.5-1.5B-Instruct', 'target')).toBe('sim-1b');
    expect(standIn('hf:meta-llama/Llama-3.3-70B-Instruct', 'target')).toBe('sim-70b');
    expect(standIn('openai:gpt-4o-mini', 'target')).toBe('sim-8b');
    expect(standIn('openai:gpt-4o', 'optimizer')).toBe('sim-opt-large');
  });

  it('is within 10% of the calls a run of the smoke suite makes, per cell and in total', async () => {
    const suite = loadSuite(path.join(suitesDir, 'smoke.yaml'));
    const session = new Session({ cache: false, seed: 0 });
    try {
      const est = await estimateSuite(suite, { session });
      expect(est.dryRuns).toBe(2); // one per entry × task × target; the second seed is extrapolated
      const run = await runSuite(suite, { out: tmp('smoke'), session });
      within(est.total.calls, run.usage.total.calls, 0.1);
      for (const c of est.cells) {
        const actual = JSON.parse(readFileSync(path.join(run.out, 'cells', c.id, 'result.json'), 'utf8')).usage.total.calls;
        within(c.calls, actual, 0.1);
      }
    } finally {
      session.close();
    }
  });

  it('extrapolates the equal-budget suite: the cells it did not dry-run make within 10% of the calls it predicts', async () => {
    // equal-budget.yaml with one task, one target and two seeds, and 100 test examples (to keep the test short).
    const doc = parse(readFileSync(path.join(suitesDir, 'equal-budget.yaml'), 'utf8')) as Record<string, unknown>;
    const sub = (targets: string[], seeds: number[]) => parseSuiteYaml(JSON.stringify({ ...doc, tasks: ['like/navigate'], targets, seeds, testLimit: 100 }));
    const session = new Session({ cache: false, seed: 0 });
    try {
      const est = await estimateSuite(sub(['sim-70b'], [0, 1]), { session });
      expect(est.dryRuns).toBe((doc.optimizers as unknown[]).length); // one per optimizer entry, on seed 0
      // Actually run the cells of the other seed, which the estimate only extrapolated to.
      const run = await runSuite(sub(['sim-70b'], [1]), { out: tmp('eq'), session });
      expect(run.failed).toEqual([]);
      const predicted = est.cells.filter((c) => c.target === 'sim-70b' && c.seed === 1);
      expect(predicted.every((c) => c.basis.startsWith('from '))).toBe(true);
      const actual = run.cells.map((c) => JSON.parse(readFileSync(path.join(run.out, 'cells', c.id, 'result.json'), 'utf8')).usage.total.calls as number);
      within(predicted.reduce((a, c) => a + c.calls, 0), actual.reduce((a, b) => a + b, 0), 0.1);
      // Per cell the error is small except where a method stops early on one seed and not on another
      // (ABO ends when no failure is left to reflect on): the median cell is within 5%.
      const rel = predicted.map((c, i) => Math.abs(c.calls - actual[i]!) / actual[i]!).sort((a, b) => a - b);
      expect(rel[Math.floor(rel.length / 2)]!).toBeLessThan(0.05);
    } finally {
      session.close();
    }
  }, 600_000);

  it('prices the real models\' tokens from the config, and says which models have no price', async () => {
    const dir = tmp('price');
    const config = path.join(dir, 'popbench.config.yaml');
    writeFileSync(config, 'prices:\n  "openai:llama-3-8b": { input: 0.2, output: 0.6 }\n');
    const yaml = (opt: string) =>
      `name: priced\nseeds: [0]\ntasks: ['like/navigate?size=20']\ntargets: ['openai:llama-3-8b']\noptimizerModel: '${opt}'\noptimizers:\n  - name: zero-shot-cot\nbudget: { mode: equal, targetCalls: 30 }\ntestLimit: 10\n`;
    const session = new Session({ cache: false, seed: 0, config });
    try {
      const est = await estimateSuite(parseSuiteYaml(yaml('openai:llama-3-8b')), { session });
      const c = est.cells[0]!;
      expect(c.optimizerCalls).toBe(0);
      expect(c.costUsd).toBeCloseTo((c.promptTokens * 0.2 + c.completionTokens * 0.6) / 1e6, 12);
      expect(c.costUsd).toBeGreaterThan(0);
      const unpriced = await estimateSuite(parseSuiteYaml(yaml('openai:gpt-4o')), { session });
      expect(unpriced.total.costUsd).toBeNull();
      expect(unpriced.unpriced).toEqual(['openai:gpt-4o']);
    } finally {
      session.close();
    }
  });
});
