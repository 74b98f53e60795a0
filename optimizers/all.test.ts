/**
 * Every registered optimizer under one equal budget on one task: none spends
 * past the limit (counted where calls reach the models), and every trajectory
 * is complete and comparable (same fields, an anytime curve on the same axis).
 */
import { describe, expect, it } from 'vitest';
import { anytimeCurve } from '../reports/anytime.js';
import { OPTIMIZERS, optimizerNames } from './index.js';
import { makeTestContext } from './testkit.js';

const LIMITS = { targetCalls: 400, optimizerCalls: 80 };

describe('all optimizers under one equal budget', () => {
  const names = optimizerNames();

  it('registers every method of the harness', () => {
    expect(names).toEqual(
      expect.arrayContaining(['empty', 'zero-shot-cot', 'ape-cot', 'few-shot', 'opro', 'ape', 'protegi', 'evoprompt', 'bpo', 'gpo', 'abo', 'mipro']),
    );
  });

  for (const name of names) {
    it(`${name}: stays within the budget and leaves a complete trajectory`, async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 5, devSize: 30, trainSize: 60, budget: LIMITS });
      const { optimizer, equalBudget } = OPTIMIZERS[name]!;
      const options = optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget });
      const res = await optimizer.optimize(kit.ctx, options);

      // Budget, from the counters below every middleware.
      expect(kit.targetCalls()).toBeLessThanOrEqual(LIMITS.targetCalls);
      expect(kit.optimizerCalls()).toBeLessThanOrEqual(LIMITS.optimizerCalls);
      expect(kit.ctx.budget.spent.targetCalls).toBe(kit.targetCalls());
      expect(['done', 'budget']).toContain(res.stoppedBy);
      if (res.stoppedBy === 'done' && !name.match(/^(empty|zero-shot-cot|ape-cot|few-shot|bpo)$/)) {
        // A search method with unbounded steps ends only when the budget does (or it runs dry).
        expect(kit.targetCalls() + kit.optimizerCalls()).toBeGreaterThan(0);
      }

      // Trajectory: ids unique, parents known, spend recorded and monotone.
      const { candidates, steps } = res.trajectory;
      expect(candidates.length).toBeGreaterThan(0);
      const ids = new Set(candidates.map((c) => c.id));
      expect(ids.size).toBe(candidates.length);
      for (const c of candidates) {
        for (const p of c.parents) expect(ids.has(p)).toBe(true);
        expect(c.spentAtProposal.targetCalls).toBeLessThanOrEqual(LIMITS.targetCalls);
        if (c.score !== undefined) {
          expect(c.score).toBeGreaterThanOrEqual(0);
          expect(c.score).toBeLessThanOrEqual(1);
          expect(c.spentAtScore!.targetCalls).toBeGreaterThanOrEqual(c.spentAtProposal.targetCalls);
        }
        if (c.origin !== 'initial' && c.metaPrompt !== undefined) expect(c.rawReply).toBeDefined();
      }
      for (let i = 1; i < steps.length; i++) expect(steps[i]!.spent.targetCalls).toBeGreaterThanOrEqual(steps[i - 1]!.spent.targetCalls);

      // Comparable: a best-so-far curve on the target-call axis, ending at the reported score or above.
      const curve = anytimeCurve(res.trajectory);
      expect(curve.length).toBeGreaterThan(0);
      for (let i = 1; i < curve.length; i++) {
        expect(curve[i]!.best).toBeGreaterThanOrEqual(curve[i - 1]!.best);
        expect(curve[i]!.targetCalls).toBeGreaterThanOrEqual(curve[i - 1]!.targetCalls);
      }
      expect(curve.at(-1)!.targetCalls).toBeLessThanOrEqual(LIMITS.targetCalls);
      expect(curve.at(-1)!.best).toBeGreaterThanOrEqual(res.bestScore - 1e-12);
      // Every recorded event belongs to this optimizer's run.
      expect(kit.events.length).toBeGreaterThan(0);
    });
  }

  it('a token budget is kept to within 1%', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', seed: 5, devSize: 30, trainSize: 60, budget: { tokens: 30_000 } });
    const { optimizer, equalBudget } = OPTIMIZERS['opro']!;
    const res = await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget }));
    expect(res.stoppedBy).toBe('budget');
    expect(kit.ctx.budget.spent.tokens).toBeGreaterThan(0.95 * 30_000);
    expect(kit.ctx.budget.spent.tokens).toBeLessThanOrEqual(1.01 * 30_000);
  });
});
