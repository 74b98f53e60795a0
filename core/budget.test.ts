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
});
