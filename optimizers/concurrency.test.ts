/**
 * Concurrency belongs to the endpoint, and results do not depend on it: each
 * optimizer run over a loopback server that answers after a random delay gives
 * the same result and the same events at endpoint concurrency 1 and 8, also
 * when the budget runs out in the middle of candidates scored at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Budget, type BudgetLimits } from '../core/budget.js';
import type { RunEvent } from '../core/types.js';
import { LimiterPool, parseConfig, resolveModel } from '../llm/index.js';
import { loadTask } from '../tasks/registry.js';
import { startJitterServer, type JitterServer } from '../test/jitter-server.js';
import { optimizerContext, setInOrderSerial } from './common.js';
import { OPTIMIZERS } from './index.js';

const task = loadTask('like/navigate?size=40');
let server: JitterServer;
beforeAll(async () => {
  server = await startJitterServer([task], 2);
});
afterAll(async () => {
  await server.close();
});

async function run(name: string, options: Record<string, unknown>, limits: BudgetLimits, concurrency: number, serialScoring = false) {
  const config = parseConfig({
    cache: { mode: 'off' },
    models: [
      { name: 'target', provider: 'openai', model: 'sim-8b', baseURL: server.url, keyless: true, concurrency },
      { name: 'opt', provider: 'openai', model: 'sim-opt-large', baseURL: server.url, keyless: true, concurrency },
    ],
  });
  const limiters = new LimiterPool();
  const budget = new Budget(limits);
  const model = (n: string) => resolveModel(n, { config, env: {}, limiters, budget });
  const events: RunEvent[] = [];
  const ctx = optimizerContext({
    optimizerName: name,
    seed: 3,
    task,
    train: task.splits.train,
    dev: task.splits.dev,
    target: model('target'),
    optimizer: model('opt'),
    budget,
    log: { emit: (e) => events.push(e) },
  });
  const reg = OPTIMIZERS[name]!.optimizer;
  server.reset();
  setInOrderSerial(serialScoring);
  let result;
  try {
    result = await reg.optimize(ctx, reg.schema.parse({ ...reg.defaults, ...options }) as never);
  } finally {
    setInOrderSerial(false);
  }
  return {
    out: JSON.parse(JSON.stringify({ best: result.best, bestScore: result.bestScore, stoppedBy: result.stoppedBy, trajectory: result.trajectory, spent: budget.spent })),
    events: JSON.parse(JSON.stringify(events)),
    requests: server.requests(),
    maxInFlight: server.maxInFlight(),
    duplicates: [...server.bodies().values()].filter((n) => n > 1).length,
  };
}

const cases: Array<{ name: string; options: Record<string, unknown>; limits: BudgetLimits }> = [
  { name: 'opro', options: { steps: 2, candidatesPerStep: 4, scoreExamples: 8, numExemplars: 2 }, limits: {} },
  // a token limit that runs out while a step's candidates are being scored at once
  { name: 'opro', options: { steps: 6, candidatesPerStep: 4, scoreExamples: 8, numExemplars: 2 }, limits: { tokens: 9000 } },
  { name: 'evoprompt', options: { populationSize: 4, generations: 1 }, limits: { targetCalls: 90 } },
  { name: 'evoprompt', options: { populationSize: 4, generations: 3, init: 'seeds' }, limits: { tokens: 20000 } },
  { name: 'ape', options: { numSubsamples: 2, proposalsPerSubsample: 4, banditRounds: 3, samplesPerRound: 4 }, limits: { targetCalls: 20 } },
  { name: 'ape', options: { numSubsamples: 2, proposalsPerSubsample: 4, bandit: 'none', finalFullEval: true }, limits: { tokens: 20000 } },
  { name: 'protegi', options: { steps: 2, beamWidth: 2, minibatchSize: 6, gradients: 2, errorsPerGradient: 2, mcSamples: 1, maxExpansion: 3, evalBudget: 48, samplesPerEval: 6, promptsPerRound: 3, editCheck: 'minibatch' }, limits: { targetCalls: 140 } },
];

describe('optimizers at endpoint concurrency 1 and 8', () => {
  for (const c of cases) {
    it(`${c.name} ${JSON.stringify(c.limits)}: same result, events and requests`, async () => {
      // the definition: candidates scored one after another, one request at a time
      const serial = await run(c.name, c.options, c.limits, 1, true);
      const narrow = await run(c.name, c.options, c.limits, 1);
      const wide = await run(c.name, c.options, c.limits, 8);
      expect(serial.maxInFlight).toBe(1);
      expect(wide.maxInFlight).toBeGreaterThan(1);
      for (const r of [narrow, wide]) {
        expect(r.out).toEqual(serial.out);
        expect(r.events).toEqual(serial.events);
        expect(r.requests).toBe(serial.requests);
        expect(r.duplicates).toBe(0);
      }
      if (c.limits.tokens !== undefined) expect(serial.out.stoppedBy).toBe('budget');
    });
  }
});
