/** The USD cap (`maxCostUsd` in a suite's budget or the config; `--max-cost-usd`) is enforced by the meter like the other limits. */
import { describe, expect, it } from 'vitest';
import { Budget } from '../core/budget.js';
import { BudgetExhausted } from '../core/errors.js';
import { countingLLM } from './fake.js';
import { meterMiddleware, UsageMeter } from './meter.js';

// Every call: 1000 prompt + 500 completion tokens at $2 / $10 per 1M = $0.007.
const provider = () => countingLLM(() => ({ model: 'm', choices: [{ text: 'x' }], usage: { promptTokens: 1000, completionTokens: 500 } }));
const CALL_USD = (1000 * 2 + 500 * 10) / 1e6;

describe('cost cap', () => {
  it('refuses the call after the spend reaches the cap, before it reaches the provider', async () => {
    const budget = new Budget({ costUsd: 0.02 });
    const p = provider();
    const llm = meterMiddleware({ meter: new UsageMeter(), budget, price: { input: 2, output: 10 } })(p);
    let refused: unknown;
    for (let i = 0; i < 10; i++) {
      try {
        await llm.complete({ messages: [{ role: 'user', content: `q${i}` }] });
      } catch (err) {
        refused = err;
        break;
      }
    }
    // $0.007 × 3 = $0.021 ≥ $0.02: the 4th call is refused; the overshoot is at most one call's cost.
    expect(p.calls).toHaveLength(3);
    expect(refused).toBeInstanceOf(BudgetExhausted);
    expect((refused as BudgetExhausted).message).toMatch(/budget exhausted: cost USD 0\.021/);
    expect(budget.spentUsd).toBeCloseTo(3 * CALL_USD, 12);
    expect(budget.spentUsd - 0.02).toBeLessThan(CALL_USD);
    expect(budget.exhausted).toBe(true);
  });

  it('costs nothing for unpriced models and cache hits', async () => {
    const budget = new Budget({ costUsd: 0.001 });
    const free = meterMiddleware({ meter: new UsageMeter(), budget })(provider());
    for (let i = 0; i < 5; i++) await free.complete({ messages: [{ role: 'user', content: `q${i}` }] });
    const cached = meterMiddleware({ meter: new UsageMeter(), budget, price: { input: 2, output: 10 } })(
      countingLLM(() => ({ model: 'm', choices: [{ text: 'x' }], usage: { promptTokens: 1000, completionTokens: 500 }, cached: true })),
    );
    for (let i = 0; i < 5; i++) await cached.complete({ messages: [{ role: 'user', content: `q${i}` }] });
    expect(budget.spentUsd).toBe(0);
  });
});
