import { describe, expect, it } from 'vitest';
import type { Example } from '../core/types.js';
import { oproAccuracy, oproNormalizedPrediction, withScoring } from './scoring.js';
import { makeTask } from './task.js';

// Cases follow google-deepmind/opro opro/evaluation/eval_utils_test.py and the rules in
// eval_utils.py:381-490 / metrics.py:188-342.
describe("OPRO's paper scoring", () => {
  it('normalizes predictions as get_normalized_prediction does', () => {
    expect(oproNormalizedPrediction('So the answer is (B).', { treatAsNumber: false, treatAsBool: false })).toBe('(b)');
    expect(oproNormalizedPrediction('The answer is 1,234 dollars.', { treatAsNumber: true, treatAsBool: false })).toBe('1234');
    expect(oproNormalizedPrediction('so the answer is yes.', { treatAsNumber: false, treatAsBool: true })).toBe('yes');
    expect(oproNormalizedPrediction('The answer is 1', { treatAsNumber: false, treatAsBool: true })).toBe('true');
  });

  it('_get_accuracy: exact, option text, Boolean and (non-numeric tasks) gold contained in the output', () => {
    const input = 'From which direction does the sun rise in the morning? (A) west (B) east (C) north (D) south';
    expect(oproAccuracy('(B)', '(b)', input, true)).toBe(true);
    expect(oproAccuracy('(B)', 'east', input, true)).toBe(true);
    expect(oproAccuracy('(B)', 'it rises in the east', input, true)).toBe(true);
    expect(oproAccuracy('(B)', 'west', input, true)).toBe(false);
    expect(oproAccuracy('True', 'true', '', true)).toBe(true);
    expect(oproAccuracy('Yes', '1', '', true)).toBe(true);
    expect(oproAccuracy('no', 'the answer: no, clearly', '', true)).toBe(true);
    expect(oproAccuracy('12', '123', '', false)).toBe(false);
    expect(oproAccuracy('12', '123', '', true)).toBe(true);
  });

  it('withScoring: strict is the task itself; paper accepts what strict rejects', () => {
    const ex: Example = { id: 'a', input: 'Take 2 steps. Turn around. Take 2 steps.\nOptions:\n- Yes\n- No', target: 'Yes' };
    const task = makeTask({ id: 'bbh/navigate', family: 'bbh', description: '', answerFormat: 'yes_no', concepts: [], splits: { train: [], dev: [], test: [ex] } });
    expect(withScoring(task, 'strict')).toBe(task);
    const paper = withScoring(task, 'paper');
    const out = 'I would say yes, not no'; // strict takes the last word (No); OPRO counts the contained gold string
    expect(task.score(task.extract(out, ex), ex)).toBe(false);
    expect(paper.score(paper.extract(out, ex), ex)).toBe(true);
    const like = makeTask({ id: 'like/navigate', family: 'like', description: '', answerFormat: 'yes_no', concepts: [], splits: { train: [], dev: [], test: [] } });
    expect(() => withScoring(like, 'paper')).toThrow(/OPRO defines no scoring for task like\/navigate/);
  });
});
