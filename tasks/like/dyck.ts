/**
 * like/dyck: complete a Dyck-n prefix so that every bracket is closed
 * ("Complete the rest of the sequence, ... Input: < [ [" → "] ] >").
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { jitterKnob, knob, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/dyck');
const HEAD = 'Complete the rest of the sequence, making sure that the parentheses are closed properly. Input:';
const PAIRS: readonly [string, string][] = [
  ['(', ')'],
  ['[', ']'],
  ['{', '}'],
  ['<', '>'],
];

export const dyck: LikeGenerator = {
  name: 'dyck',
  description: 'Complete a sequence of brackets so that every open bracket is closed in the right order.',
  answerFormat: 'dyck',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const length = jitterKnob(rng, difficulty, 2, 40, 2);
    const kinds = knob(difficulty, 2, 4);
    const pairs = rng.sample(PAIRS, kinds);
    const closeRate = 0.3 + 0.2 * difficulty;
    const tokens: string[] = [];
    const stack: number[] = [];
    let maxDepth = 0;
    for (let k = 0; k < length; k++) {
      const remaining = length - k;
      // close only while enough tokens remain to leave at least one bracket open at the end
      const canClose = stack.length > 1 || (stack.length === 1 && remaining > 1);
      if (canClose && rng.next() < closeRate) {
        tokens.push(pairs[stack.pop()!]![1]);
      } else {
        const p = rng.int(0, pairs.length - 1);
        stack.push(p);
        tokens.push(pairs[p]![0]);
        maxDepth = Math.max(maxDepth, stack.length);
      }
    }
    const answer = stack
      .slice()
      .reverse()
      .map((p) => pairs[p]![1]);
    const concepts = new Set<string>(['stack of open brackets', 'output only the missing closers']);
    if (new Set(tokens.filter((t) => PAIRS.some((p) => p[0] === t))).size > 1) concepts.add('match bracket types');
    if (answer.length > 1) concepts.add('close in reverse order');
    return {
      input: `${HEAD} ${tokens.join(' ')}`,
      target: answer.join(' '),
      meta: {
        difficulty,
        concepts: pickConcepts(CONCEPTS, concepts),
        length: tokens.length,
        maxDepth,
        missing: answer.length,
      },
    };
  },
};
