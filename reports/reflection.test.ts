import { describe, expect, it } from 'vitest';
import type { ReflectionRecord } from '../optimizers/types.js';
import { scoreReflections } from './reflection.js';

const rec = (text: string, causes: (string | undefined)[], fixed?: Record<string, string[]>): ReflectionRecord => ({
  step: 0,
  parentId: 'c0',
  shown: causes.map((c, i) => ({ exampleId: `e${i}`, input: 'q', output: 'o', gold: 'g', ...(c ? { trueCause: c } : {}) })),
  metaPrompt: 'm',
  text,
  editIds: fixed ? Object.keys(fixed) : [],
  ...(fixed ? { fixed } : {}),
});

/** Toy parser: every token in capitals is a cause code. */
const parse = (t: string) => t.match(/\b[A-Z_]+(?::[a-z ]+)?\b/g) ?? [];

describe('scoreReflections', () => {
  it('scores hits, precision, recall and fix rate against the shown true causes', () => {
    const s = scoreReflections(
      [
        rec('FORMAT and REASONING_SLIP', ['FORMAT', 'FORMAT', 'KNOWLEDGE_GAP'], { c1: ['e0'], c2: ['e0', 'e1'] }),
        rec('DISTRACTION', ['FORMAT']),
        rec('anything', [undefined, undefined]),
      ],
      parse,
    );
    expect(s.n).toBe(2); // the third has no known cause
    expect(s.scores[0]).toMatchObject({ hit: true, precision: 0.5, recall: 0.5, fixRate: 2 / 3 });
    expect(s.scores[1]).toMatchObject({ hit: false, precision: 0, recall: 0 });
    expect(s.hitRate).toBe(0.5);
    expect(s.meanPrecision).toBe(0.25);
    expect(s.meanFixRate).toBeCloseTo(2 / 3, 12);
  });

  it('compares causes case-insensitively and gives zeros when nothing is scored', () => {
    const s = scoreReflections([rec('MISSING_CONCEPT:carry', ['missing_concept:Carry'])], (t) => [t]);
    expect(s.hitRate).toBe(1);
    expect(scoreReflections([], parse)).toMatchObject({ n: 0, hitRate: 0, meanPrecision: 0, meanRecall: 0 });
  });
});
