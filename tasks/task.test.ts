import { describe, expect, it } from 'vitest';
import type { Example } from '../core/types.js';
import { conceptsFor } from './concepts.js';
import { fractionSizes, GSM8K_DEV_SIZE, splitByFraction, splitGsm8k } from './splits.js';
import { FORMAT_INSTRUCTIONS, makeTask, renderPrompt } from './task.js';

const mk = (n: number, prefix = 'ex'): Example[] => Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, input: `q${i}`, target: String(i) }));

describe('renderPrompt (OPRO instruction positions, opro/evaluation/eval_utils.py:223-259)', () => {
  const demos = [{ input: '1+1?', output: '2' }];
  const q = 'What is 2+3?';
  // Expected strings are gen_prompt's output for instruction "Solve it." and question q.
  it('qa layout: the four positions exactly as gen_prompt(include_qa=True)', () => {
    expect(renderPrompt({ instruction: 'Solve it.', position: 'before_Q' }, q)).toBe('Solve it.\nQ: What is 2+3?\n\nA:');
    expect(renderPrompt({ instruction: 'Solve it.', position: 'Q_begin' }, q)).toBe('Q: Solve it.\nWhat is 2+3?\n\nA:');
    expect(renderPrompt({ instruction: 'Solve it.' }, q)).toBe('Q: Solve it.\nWhat is 2+3?\n\nA:');
    expect(renderPrompt({ instruction: 'Solve it.', position: 'Q_end' }, q)).toBe('Q: What is 2+3?\nSolve it.\n\nA:');
    expect(renderPrompt({ instruction: "Let's think step by step.", position: 'A_begin' }, q)).toBe("Q: What is 2+3?\n\nA: Let's think step by step.");
  });
  it('plain layout: gen_prompt(include_qa=False); A_begin has no plain form', () => {
    expect(renderPrompt({ instruction: 'Solve it.', layout: 'plain' }, q)).toBe('Solve it.\nWhat is 2+3?');
    expect(renderPrompt({ instruction: 'Solve it.', position: 'Q_end', layout: 'plain' }, q)).toBe('What is 2+3?\nSolve it.');
    expect(renderPrompt({ instruction: '', layout: 'plain' }, q)).toBe('What is 2+3?');
    expect(() => renderPrompt({ instruction: 'x', position: 'A_begin', layout: 'plain' }, q)).toThrow(/no A_begin/);
  });
  it("ape layout: APE's evaluation template", () => {
    expect(renderPrompt({ instruction: 'add the numbers', layout: 'ape' }, '2 3')).toBe('Instruction: add the numbers\n\nInput: 2 3\nOutput: ');
  });
  it('demos come before the query; a before_Q instruction heads the prompt', () => {
    expect(renderPrompt({ instruction: 'Solve it.', demos }, q)).toBe('Q: 1+1?\nA: 2\n\nQ: Solve it.\nWhat is 2+3?\n\nA:');
    expect(renderPrompt({ instruction: 'Solve it.', demos, position: 'before_Q' }, q)).toBe('Solve it.\n\nQ: 1+1?\nA: 2\n\nQ: What is 2+3?\n\nA:');
    expect(renderPrompt({ instruction: 'Solve it.', demos, position: 'Q_end' }, q)).toBe('Q: 1+1?\nA: 2\n\nQ: What is 2+3?\nSolve it.\n\nA:');
  });
  it('an empty instruction leaves no blank parts', () => {
    for (const position of ['before_Q', 'Q_begin', 'Q_end', 'A_begin'] as const)
      expect(renderPrompt({ instruction: '  ', position }, 'x')).toBe('Q: x\n\nA:');
  });
});

describe('makeTask', () => {
  const task = makeTask({
    id: 'test/demo', family: 'test', description: 'd', answerFormat: 'integer', concepts: ['c'],
    splits: { train: mk(2), dev: [], test: mk(1) },
  });
  it('renders one user message and uses the format extractor/scorer', () => {
    const msgs = task.render({ instruction: 'Add.' }, { id: 'a', input: '2+2?', target: '4' });
    expect(msgs).toEqual([{ role: 'user', content: 'Q: Add.\n2+2?\n\nA:' }]);
    expect(task.formatInstruction).toBe(FORMAT_INSTRUCTIONS.integer);
    const ex = { id: 'a', input: '2+2?', target: '4' };
    expect(task.score(task.extract('so 2+2 = 4. #### 4', ex), ex)).toBe(true);
    expect(task.score(task.extract('#### 5', ex), ex)).toBe(false);
  });
});

describe('splits', () => {
  it('BBH-style fractional split: 20% / 10% / 70%, disjoint, complete, deterministic per seed', () => {
    const all = mk(250);
    const a = splitByFraction(all, 0, 'bbh/x');
    expect([a.train.length, a.dev.length, a.test.length]).toEqual([50, 25, 175]);
    const ids = [...a.train, ...a.dev, ...a.test].map((e) => e.id);
    expect(new Set(ids).size).toBe(250);
    expect(splitByFraction(all, 0, 'bbh/x')).toEqual(a);
    const b = splitByFraction(all, 1, 'bbh/x');
    expect(b.train.map((e) => e.id)).not.toEqual(a.train.map((e) => e.id));
    const c = splitByFraction(all, 0, 'bbh/y');
    expect(c.train.map((e) => e.id)).not.toEqual(a.train.map((e) => e.id));
    expect(fractionSizes(187)).toEqual({ train: 37, dev: 19, test: 131 });
    expect(fractionSizes(146)).toEqual({ train: 29, dev: 15, test: 102 });
  });

  it('GSM8K split: seeded dev of 200 from train, test untouched', () => {
    const train = mk(1000, 'train');
    const test = mk(30, 'test');
    const s = splitGsm8k(train, test, 0);
    expect(s.dev).toHaveLength(GSM8K_DEV_SIZE);
    expect(s.train).toHaveLength(800);
    expect(s.test.map((e) => e.id)).toEqual(test.map((e) => e.id));
    const devIds = new Set(s.dev.map((e) => e.id));
    expect(s.train.some((e) => devIds.has(e.id))).toBe(false);
    expect(splitGsm8k(train, test, 0).dev.map((e) => e.id)).toEqual(s.dev.map((e) => e.id));
    expect(splitGsm8k(train, test, 7).dev.map((e) => e.id)).not.toEqual(s.dev.map((e) => e.id));
  });
});

describe('conceptsFor', () => {
  it('maps real and generated task ids to concept lists', () => {
    expect(conceptsFor('bbh/object_counting')).toContain('count multiples of one item');
    expect(conceptsFor('like/object_counting')).toEqual(conceptsFor('bbh/object_counting'));
    expect(conceptsFor('like/gsm')).toEqual(conceptsFor('gsm8k'));
    expect(conceptsFor('like/dyck')).toEqual(conceptsFor('bbh/dyck_languages'));
    expect(conceptsFor('like/date')).toEqual(conceptsFor('bbh/date_understanding'));
    expect(conceptsFor('like/mmlu')).toEqual(conceptsFor('mmlu'));
    expect(conceptsFor('mmlu/anatomy')[0]).toBe('recall anatomy facts');
    expect(conceptsFor('bbh/no_such_task')).toEqual([]);
  });
});

describe('like/ task parameters in the id', () => {
  it('sets difficulty and sizes, keeps the full id, and rejects bad parameters in one line', async () => {
    const { loadTask } = await import('./registry.js');
    const t = loadTask('like/boolean_expressions?difficulty=0.9&size=12&test=20');
    expect(t.id).toBe('like/boolean_expressions?difficulty=0.9&size=12&test=20');
    expect([t.splits.train.length, t.splits.dev.length, t.splits.test.length]).toEqual([12, 12, 20]);
    expect(t.splits.test.every((e) => e.meta?.difficulty === 0.9)).toBe(true);
    const easy = loadTask('like/boolean_expressions?difficulty=0.1&size=12');
    const len = (ts: typeof t) => ts.splits.test.reduce((a, e) => a + e.input.length, 0) / ts.splits.test.length;
    expect(len(t)).toBeGreaterThan(len(easy));
    expect(() => loadTask('like/gsm?difficulty=2')).toThrow(/difficulty must be a number in \[0, 1\]/);
    expect(() => loadTask('like/gsm?size=0')).toThrow(/size must be a positive integer/);
    for (const bad of ['size=100000001', 'size=100001', 'test=1e2', 'size=0x10', 'dev=1.5', 'difficulty=0x1', 'difficulty=']) {
      expect(() => loadTask(`like/gsm?${bad}`), bad).toThrow(/must be a (positive integer up to 100000|number in \[0, 1\])/);
    }
    expect(() => loadTask('like/gsm?hard=1')).toThrow(/unknown parameter "hard"/);
  });
});
