import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';
import { BudgetExhausted } from './errors.js';

describe('Budget', () => {
  it('reserves target and optimizer calls separately and throws past the limit', () => {
    const b = new Budget({ targetCalls: 2, optimizerCalls: 1 });
    b.reserve('target');
    b.reserve('target');
    expect(() => b.reserve('target')).toThrow(BudgetExhausted);
    expect(b.spent.targetCalls).toBe(2);
    b.reserve('optimizer');
    expect(() => b.reserve('rewriter')).toThrow(/optimizer calls 1\/1/);
    expect(b.exhausted).toBe(true);
  });

  it('stops every role once the token limit is reached, and release gives a call back', () => {
    const b = new Budget({ tokens: 100 });
    b.reserve('target');
    b.record({ promptTokens: 60, completionTokens: 40 });
    expect(b.canCall('optimizer')).toBe(false);
    expect(() => b.reserve('target')).toThrow(/tokens 100\/100/);
    const c = new Budget({ targetCalls: 1 });
    c.reserve('target');
    c.release('target');
    expect(c.remaining().targetCalls).toBe(1);
    expect(c.remaining().tokens).toBe(Infinity);
  });

  it('counts in-flight token estimates so concurrent calls cannot jointly pass the limit', () => {
    const b = new Budget({ tokens: 1000 });
    b.reserve('target', 400);
    b.reserve('target', 400);
    expect(() => b.reserve('target', 400)).toThrow(BudgetExhausted);
    b.record({ promptTokens: 100, completionTokens: 50 }, 400); // first call was cheaper than estimated
    b.reserve('target', 400);
    b.release('target', 400);
    b.record({ promptTokens: 300, completionTokens: 100 }, 400);
    expect(b.spent.tokens).toBe(550);
    b.reserve('target', 440);
    expect(() => b.reserve('optimizer', 20)).toThrow(/tokens 550\/1000/);
  });
});
