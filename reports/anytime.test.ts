import { describe, expect, it } from 'vitest';
import type { Candidate, Trajectory } from '../optimizers/types.js';
import { anytimeCurve } from './anytime.js';

const spent = (t: number, o = 0) => ({ targetCalls: t, optimizerCalls: o, tokens: 0 });
const cand = (id: string, score: number | undefined, at: number): Candidate => ({
  id,
  prompt: { instruction: id },
  parents: [],
  step: 0,
  origin: 'test',
  spentAtProposal: spent(0),
  ...(score !== undefined ? { score, spentAtScore: spent(at) } : {}),
});

describe('anytimeCurve', () => {
  it('orders scored candidates by spend and keeps the best so far', () => {
    const t: Trajectory = {
      candidates: [cand('a', 0.5, 10), cand('b', 0.4, 5), cand('c', undefined, 0), cand('d', 0.7, 30), cand('e', 0.6, 20)],
      reflections: [],
      steps: [],
    };
    const curve = anytimeCurve(t);
    expect(curve.map((p) => [p.targetCalls, p.best, p.candidateId])).toEqual([
      [5, 0.4, 'b'],
      [10, 0.5, 'a'],
      [20, 0.6, 'e'],
      [30, 0.7, 'd'],
    ]);
  });
});
