/**
 * A suite whose target is served over HTTP by serve-sim (with injected faults)
 * gives the same cell results as the same suite on the in-process sim: the
 * real client, retries and the runner change nothing but the transport.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimWorld } from '../sim/index.js';
import { startSimServer, type SimServer } from '../sim/server.js';
import { loadTask } from '../tasks/registry.js';
import { runSuite } from './runner.js';
import { parseSuiteYaml } from './suite.js';

const suiteYaml = (target: string) => `
name: http-equivalence
seeds: [0]
tasks: ['like/navigate?size=15']
targets: [${target}]
optimizerModel: sim-opt-large
optimizers:
  - name: opro
    options: { candidatesPerStep: 3, numExemplars: 2 }
  - name: zero-shot-cot
budget: { mode: equal, targetCalls: 60, optimizerCalls: 10 }
testLimit: 15
`;

/** GEPA, PE2 and CAPO with small schedules; the optimizer model over HTTP too (PE2 sends multi-turn chats). */
const newOptimizersYaml = (target: string, optimizerModel: string) => `
name: http-equivalence-new
seeds: [0]
tasks: ['like/navigate?size=15']
targets: [${target}]
optimizerModel: ${optimizerModel}
optimizers:
  - name: gepa
    options: { maxMetricCalls: 60 }
  - name: pe2
    options: { steps: 1, beamWidth: 1, proposalsPerPrompt: 2 }
  - name: capo
    options: { steps: 1, populationSize: 3, crossoversPerIter: 2, blockSize: 5, maxBlocksEval: 2, upperShots: 1 }
budget: { mode: equal, targetCalls: 150, optimizerCalls: 12 }
testLimit: 15
`;

let server: SimServer;
beforeAll(async () => {
  const world = new SimWorld();
  world.register(loadTask('like/navigate?size=15'));
  server = await startSimServer({ world, faults: { rate429: 0.04, rate500: 0.04, retryAfterMs: 5 } });
  process.env.OPENAI_BASE_URL = server.url;
});
afterAll(async () => {
  delete process.env.OPENAI_BASE_URL;
  await server.close();
});

describe('suite over HTTP', () => {
  it('equals the in-process run cell by cell (prompts, scores, per-example samples)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-http-'));
    const local = await runSuite(parseSuiteYaml(suiteYaml('sim-8b')), { out: path.join(dir, 'local'), flags: { cache: false } });
    const remote = await runSuite(parseSuiteYaml(suiteYaml('openai:sim-8b')), { out: path.join(dir, 'remote'), flags: { cache: false } });
    expect(server.stats['none']).toBeLessThan(server.stats['requests']!); // faults were injected and retried
    const read = (out: string, id: string) => JSON.parse(readFileSync(path.join(out, 'cells', id, 'result.json'), 'utf8'));
    const samples = (out: string, id: string) => readFileSync(path.join(out, 'cells', id, 'samples.jsonl'), 'utf8');
    const localIds = local.cells.map((c) => c.id);
    const remoteIds = remote.cells.map((c) => c.id);
    expect(localIds).toHaveLength(2);
    for (let i = 0; i < localIds.length; i++) {
      const a = read(local.out, localIds[i]!);
      const b = read(remote.out, remoteIds[i]!);
      expect(b.best).toEqual(a.best);
      expect(b.bestScore).toBe(a.bestScore);
      expect(b.test).toEqual(a.test);
      expect(b.spent.targetCalls).toBe(a.spent.targetCalls);
      expect(b.trajectory.candidates.map((c: { prompt: unknown; score?: number }) => [c.prompt, c.score])).toEqual(
        a.trajectory.candidates.map((c: { prompt: unknown; score?: number }) => [c.prompt, c.score]),
      );
      expect(samples(remote.out, remoteIds[i]!)).toBe(samples(local.out, localIds[i]!));
    }
  });

  it('GEPA, PE2 and CAPO give the same cells with target and optimizer served over HTTP', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-http-new-'));
    const local = await runSuite(parseSuiteYaml(newOptimizersYaml('sim-8b', 'sim-opt-large')), { out: path.join(dir, 'local'), flags: { cache: false } });
    const remote = await runSuite(parseSuiteYaml(newOptimizersYaml('openai:sim-8b', 'openai:sim-opt-large')), {
      out: path.join(dir, 'remote'),
      flags: { cache: false },
    });
    const read = (out: string, id: string) => JSON.parse(readFileSync(path.join(out, 'cells', id, 'result.json'), 'utf8'));
    expect(local.cells).toHaveLength(3);
    for (let i = 0; i < local.cells.length; i++) {
      const a = read(local.out, local.cells[i]!.id);
      const b = read(remote.out, remote.cells[i]!.id);
      expect(b.best).toEqual(a.best);
      expect(b.bestScore).toBe(a.bestScore);
      expect(b.test).toEqual(a.test);
      expect(b.spent.targetCalls).toBe(a.spent.targetCalls);
      expect(b.spent.optimizerCalls).toBe(a.spent.optimizerCalls);
      expect(b.spent.optimizerCalls).toBeGreaterThan(0);
      expect(b.trajectory.candidates.map((c: { prompt: unknown; score?: number }) => [c.prompt, c.score])).toEqual(
        a.trajectory.candidates.map((c: { prompt: unknown; score?: number }) => [c.prompt, c.score]),
      );
      expect(b.trajectory.reflections).toEqual(a.trajectory.reflections);
      if (local.cells[i]!.id.startsWith('gepa') || local.cells[i]!.id.startsWith('pe2')) expect(a.trajectory.reflections.length).toBeGreaterThan(0);
    }
  });
});
