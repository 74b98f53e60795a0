import { describe, it, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Budget } from '../core/budget.js';
import { BudgetExhausted, LLMError } from '../core/errors.js';
import type { LLMRequest } from '../core/types.js';
import { UsageMeter, meterMiddleware, costUsd } from './meter.js';
import { buildStack } from './stack.js';
import { CallCache } from './cache.js';
import { countingLLM } from './fake.js';

const fixed = (promptTokens: number, completionTokens: number) =>
  countingLLM(() => ({ model: 'm', choices: [{ text: 'x' }], usage: { promptTokens, completionTokens } }), { provider: 'p', model: 'm' });
const req = (content: string, role?: LLMRequest['role']): LLMRequest => ({ messages: [{ role: 'user', content }], role });

describe('usage meter', () => {
  it('counts calls and tokens per role and per model, with cost from the price table', async () => {
    const meter = new UsageMeter();
    const a = meterMiddleware({ meter, price: { input: 2, output: 10 } })(fixed(1000, 500));
    const b = meterMiddleware({ meter })(countingLLM(() => ({ model: 'sim-8b', choices: [{ text: 'y' }], usage: { promptTokens: 10, completionTokens: 5 } }), { provider: 'sim', model: 'sim-8b' }));
    await a.complete(req('1', 'optimizer'));
    await a.complete(req('2', 'optimizer'));
    await a.complete(req('3', 'judge'));
    await b.complete(req('4')); // role defaults to target
    await b.complete(req('5', 'target'));
    const s = meter.snapshot();
    expect(s.total.calls).toBe(5);
    expect(s.byRole.optimizer?.calls).toBe(2);
    expect(s.byRole.judge?.calls).toBe(1);
    expect(s.byRole.target?.calls).toBe(2);
    expect(s.byRole.rewriter).toBeUndefined();
    expect(s.byModel['p/m']?.promptTokens).toBe(3000);
    expect(s.byModel['p/m']?.completionTokens).toBe(1500);
    // 3 calls × (1000 × $2 + 500 × $10) / 1M = $0.021; sim is free.
    expect(s.byModel['p/m']?.costUsd).toBeCloseTo(0.021, 10);
    expect(s.byModel['sim/sim-8b']?.costUsd).toBe(0);
    expect(s.total.costUsd).toBeCloseTo(0.021, 10);
    expect(s.byRole.optimizer?.costUsd).toBeCloseTo(0.014, 10);
    expect(meter.format()).toMatch(/^Usage: 5 calls \(0 from cache\), 3020 prompt \+ 1510 completion tokens, \$0\.0210\./);
    expect(costUsd({ promptTokens: 1_000_000, completionTokens: 0 }, { input: 3, output: 0 })).toBe(3);
  });

  it('counts cache hits as calls but charges money only for provider calls', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popbench-meter-'));
    try {
      const meter = new UsageMeter();
      const budget = new Budget({ tokens: 1000 });
      const p = fixed(100, 50);
      const llm = buildStack(p, { meter, budget, cache: CallCache.open(join(dir, 'c.sqlite')), price: { input: 1, output: 1 }, timeoutMs: 0 });
      await llm.complete(req('q'));
      await llm.complete(req('q'));
      expect(p.calls).toHaveLength(1);
      const t = meter.snapshot().total;
      expect(t.calls).toBe(2);
      expect(t.cachedCalls).toBe(1);
      expect(t.promptTokens).toBe(200);
      expect(t.costUsd).toBeCloseTo(150 / 1e6, 12);
      // Tokens of cached calls count against the budget too (replays spend like the original run).
      expect(budget.spent.tokens).toBe(300);
      expect(budget.spent.targetCalls).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('budget enforcement', () => {
  it('throws BudgetExhausted before going past a call limit, without calling the provider', async () => {
    const meter = new UsageMeter();
    const budget = new Budget({ targetCalls: 2, optimizerCalls: 1 });
    const p = fixed(1, 1);
    const llm = buildStack(p, { meter, budget });
    await llm.complete(req('a'));
    await llm.complete(req('b'));
    await expect(llm.complete(req('c'))).rejects.toBeInstanceOf(BudgetExhausted);
    expect(p.calls).toHaveLength(2);
    await llm.complete(req('d', 'optimizer'));
    await expect(llm.complete(req('e', 'rewriter'))).rejects.toBeInstanceOf(BudgetExhausted);
    expect(p.calls).toHaveLength(3);
    expect(budget.spent).toEqual({ targetCalls: 2, optimizerCalls: 1, tokens: 6 });
    expect(meter.snapshot().total.calls).toBe(3);
  });

  it('stops once the token limit is reached', async () => {
    const budget = new Budget({ tokens: 250 });
    const p = fixed(100, 50);
    const llm = buildStack(p, { budget });
    // A call is admitted when spent + its estimate (prompt ⌈chars/4⌉ + 4, plus maxTokens) fits.
    await llm.complete({ ...req('a'), maxTokens: 50 }); // 0 + 55 ≤ 250
    await llm.complete({ ...req('b'), maxTokens: 50 }); // 150 + 55 ≤ 250: allowed, reaches 300
    await expect(llm.complete({ ...req('c'), maxTokens: 50 })).rejects.toThrow(/budget exhausted: tokens/);
    await expect(buildStack(fixed(1, 1), { budget: new Budget({ tokens: 250 }) }).complete(req('no maxTokens: 256 assumed'))).rejects.toThrow(/tokens 0\/250/);
    expect(p.calls).toHaveLength(2);
  });

  it('gives the reservation back when a call fails for good', async () => {
    const meter = new UsageMeter();
    const budget = new Budget({ targetCalls: 1 });
    let fail = true;
    const p = countingLLM(() => {
      if (fail) throw new LLMError('bad request', 400, false);
      return { model: 'm', choices: [{ text: 'ok' }], usage: { promptTokens: 1, completionTokens: 1 } };
    });
    const llm = buildStack(p, { meter, budget });
    await expect(llm.complete(req('a'))).rejects.toThrow(/bad request/);
    expect(budget.spent.targetCalls).toBe(0);
    fail = false;
    await llm.complete(req('a'));
    expect(budget.spent.targetCalls).toBe(1);
    expect(meter.snapshot().total).toMatchObject({ calls: 1, failedCalls: 1 });
  });
});

describe('retries in usage', () => {
  it('counts retried attempts per model and role, and says so in the summary', async () => {
    const { buildStack } = await import('./stack.js');
    const { UsageMeter } = await import('./meter.js');
    const { LLMError } = await import('../core/errors.js');
    let calls = 0;
    const flaky = {
      provider: 'fake',
      model: 'flaky',
      async complete() {
        calls++;
        if (calls <= 2) throw new LLMError('overloaded', 503, true);
        return { model: 'flaky', choices: [{ text: 'ok' }], usage: { promptTokens: 1, completionTokens: 1 } };
      },
    };
    const meter = new UsageMeter();
    const delays: number[] = [];
    const llm = buildStack(flaky, { meter, retry: { sleep: async (ms) => void delays.push(ms), maxAttempts: 5 }, timeoutMs: 0 });
    await llm.complete({ messages: [{ role: 'user', content: 'hi' }], role: 'optimizer' });
    const s = meter.snapshot();
    expect(s.total.calls).toBe(1);
    expect(s.total.retries).toBe(2);
    expect(s.byRole.optimizer!.retries).toBe(2);
    expect(s.byModel['fake/flaky']!.retries).toBe(2);
    expect(delays).toHaveLength(2);
    expect(meter.format()).toMatch(/Usage: 1 calls \(0 from cache, 2 retries\)/);
  });
});
