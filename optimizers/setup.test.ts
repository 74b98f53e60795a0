import { describe, expect, it } from 'vitest';
import { Budget } from '../core/budget.js';
import type { OptimizerContext } from '../core/types.js';
import { fitEvalSize, taskFamily } from './common.js';
import { checkInitial, resolveInitial, resolveRun } from './setup.js';

describe('starting prompt resolution', () => {
  it('the user overrides the base field by field; a position alone moves the reference text', () => {
    const base = { instruction: "Let's solve the problem.", position: 'Q_begin' as const, layout: 'plain' as const };
    expect(resolveInitial(base, { position: 'Q_end' })).toEqual({ ...base, position: 'Q_end' });
    expect(resolveInitial(base, { instruction: 'Go.' })).toEqual({ ...base, instruction: 'Go.' });
    expect(resolveInitial(undefined, { instruction: 'Go.' })).toEqual({ instruction: 'Go.' });
    expect(resolveInitial(undefined, {})).toBeUndefined();
    expect(() => resolveInitial(base, { position: 'A_begin' })).toThrow(/plain layout has no A_begin/);
    expect(() => checkInitial({ position: 'middle' as never }, '--initial-position')).toThrow(/--initial-position: expected one of before_Q, Q_begin, Q_end, A_begin, got "middle"/);
  });

  it('resolveRun: defaults, then preset, then the user; unknown presets and optimizers are one-line errors', () => {
    const plain = resolveRun({ optimizer: 'protegi', taskId: 'bbh/navigate', mode: 'paper', initial: { instruction: 'Determine whether the instructions return to the start.' } });
    expect(plain.initial?.instruction).toBe('Determine whether the instructions return to the start.');
    expect(plain.scoring).toBe('strict');
    expect(() => resolveRun({ optimizer: 'nope', taskId: 'bbh/navigate', mode: 'paper' })).toThrow(/unknown optimizer "nope"/);
    expect(() => resolveRun({ optimizer: 'empty', taskId: 'bbh/navigate', mode: 'paper', preset: 'paper' })).toThrow(
      /preset paper: optimizer empty has no paper setting for task bbh\/navigate/,
    );
    expect(resolveRun({ optimizer: 'empty', taskId: 'bbh/navigate', mode: 'paper', scoring: 'paper' }).scoring).toBe('paper');
  });

  it('task families', () => {
    expect(taskFamily('bbh/navigate')).toBe('bbh');
    expect(taskFamily('gsm8k')).toBe('gsm8k');
    expect(taskFamily('like/gsm?difficulty=0.5')).toBe('like');
  });
});

describe('equal-budget step scaling (fitEvalSize)', () => {
  const ctxWith = (targetCalls?: number) => ({ budget: new Budget(targetCalls === undefined ? {} : { targetCalls }) }) as unknown as OptimizerContext;
  it('shrinks n so that the start-up and one full step fit the budget', () => {
    // ProTeGi-like: 1 start + 8 per step on 261 examples under 1500 calls → 166
    expect(fitEvalSize(ctxWith(1500), 261, 1, 8)).toBe(166);
    expect(fitEvalSize(ctxWith(1500), 50, 1, 8)).toBe(50);
    expect(fitEvalSize(ctxWith(5), 50, 1, 8)).toBe(1);
    expect(fitEvalSize(ctxWith(), 261, 1, 8)).toBe(261);
  });
});
