/** `popbench eval` scores one like/ task the same however its parameters are spelled (the sim world keys on the canonical id). */
import { describe, expect, it } from 'vitest';
import { runEval } from './eval.js';

describe('task id spelling', () => {
  it('?size=20&difficulty=0.5, ?difficulty=0.5&size=20 and ?size=020&difficulty=.5 give the same outcomes', async () => {
    const flags = { model: 'sim-1b', position: 'Q_begin', split: 'test', limit: '20', temperature: '0', maxTokens: '256', cache: false as const };
    const runs = [];
    for (const task of ['like/navigate?size=20&difficulty=0.5', 'like/navigate?difficulty=0.5&size=20', 'like/navigate?size=020&difficulty=.5'])
      runs.push(await runEval({ ...flags, task }, () => {}));
    expect(runs[1]!.correct).toBe(runs[0]!.correct);
    expect(runs[2]!.correct).toBe(runs[0]!.correct);
    expect(runs[0]!.n).toBe(20);
  });
});
