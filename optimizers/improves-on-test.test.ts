/**
 * With the sim, each of these optimizers, run with its reference defaults (a
 * shorter schedule where the paper's is long), ends with a prompt that scores
 * higher than its starting prompt on the task's TEST split — not on the dev or
 * train examples it selected on. Tasks are ones where the starting prompt
 * leaves room (the sim target is far from its ceiling there).
 */
import { describe, expect, it } from 'vitest';
import { abo, ABO_DEFAULTS } from './abo.js';
import { bpo, BPO_DEFAULTS } from './bpo.js';
import { resultScorer } from './common.js';
import { gpo, GPO_DEFAULTS } from './gpo.js';
import { mipro, MIPRO_DEFAULTS } from './mipro.js';
import { protegi, PROTEGI_DEFAULTS } from './protegi.js';
import { makeTestContext } from './testkit.js';
import type { Optimizer } from './types.js';

const TEST_N = 150;

const cases: { name: string; task: string; optimizer: Optimizer<any>; options: object; trainSize: number; devSize: number }[] = [
  {
    name: 'protegi',
    task: 'like/navigate',
    optimizer: protegi,
    options: { ...PROTEGI_DEFAULTS, steps: 2, beamWidth: 2, minibatchSize: 24, gradients: 2, evalBudget: 160, samplesPerEval: 10, promptsPerRound: 4 },
    trainSize: 60,
    devSize: 30,
  },
  { name: 'gpo', task: 'like/date', optimizer: gpo, options: { ...GPO_DEFAULTS, epochs: 1 }, trainSize: 32, devSize: 30 },
  { name: 'mipro', task: 'like/gsm', optimizer: mipro, options: MIPRO_DEFAULTS, trainSize: 40, devSize: 60 },
  { name: 'abo', task: 'like/gsm', optimizer: abo, options: { ...ABO_DEFAULTS, steps: 5 }, trainSize: 40, devSize: 40 },
  { name: 'bpo', task: 'like/gsm', optimizer: bpo, options: BPO_DEFAULTS, trainSize: 10, devSize: 20 },
];

describe('each optimizer improves on test with its reference defaults (sim)', () => {
  for (const c of cases) {
    it(`${c.name} on ${c.task}`, async () => {
      const kit = await makeTestContext({ task: c.task, target: 'sim-8b', seed: 0, trainSize: c.trainSize, devSize: c.devSize });
      const res = await c.optimizer.optimize(kit.ctx, c.optimizer.schema.parse(c.options));
      const test = kit.task.splits.test.slice(0, TEST_N);
      const start = res.trajectory.candidates[0]!.prompt;
      const before = await kit.ctx.evaluator.evaluate(start, test);
      const after = await resultScorer(kit.task, res, kit.ctx.target, kit.ctx.optimizer).evaluate(test);
      expect(after.accuracy, `${c.name}: test ${after.accuracy} vs start ${before.accuracy}`).toBeGreaterThan(before.accuracy);
    }, 60_000);
  }
});
