import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';
import { BudgetExhausted } from './errors.js';
import { createEvaluator, promptKey } from './evaluator.js';
import type { Example, LLM, LLMRequest, Task } from './types.js';

const examples: Example[] = Array.from({ length: 6 }, (_, i) => ({ id: `e${i}`, input: `What is ${i} + ${i}?`, target: String(2 * i) }));

const task: Task = {
  id: 'toy/add',
  family: 'toy',
  description: 'doubling',
  answerFormat: 'integer',
  formatInstruction: 'Answer with a number.',
  concepts: [],
  splits: { train: [], dev: examples, test: [] },
  render: (p, ex) => [{ role: 'user', content: `${p.instruction}\n${ex.input}` }],
  extract: (out) => out.match(/-?\d+/)?.[0] ?? null,
  score: (pred, ex) => pred === ex.target,
};

/** Answers correctly iff the prompt says "carefully"; counts calls; can be given a budget. */
function fakeTarget(budget?: Budget) {
  const calls: LLMRequest[] = [];
  const llm: LLM = {
    provider: 'fake',
    model: 'fake',
    async complete(req) {
      budget?.reserve(req.role);
      calls.push(req);
      const text = req.messages[0]!.content;
      const n = Number(text.match(/What is (\d+)/)![1]);
      const good = text.includes('carefully');
      return {
        model: 'fake',
        choices: [{ text: good ? `${2 * n}` : `${2 * n + 1}`, annotations: good ? {} : { sim: { trueCause: 'REASONING_SLIP' } } }],
        usage: { promptTokens: 5, completionTokens: 1 },
      };
    },
  };
  return { llm, calls };
}

describe('createEvaluator', () => {
  it('scores outcomes per example, with true causes on wrong answers only', async () => {
    const { llm } = fakeTarget();
    const ev = createEvaluator(task, llm);
    const good = await ev.evaluate({ instruction: 'Add carefully.' }, examples);
    expect(good.accuracy).toBe(1);
    expect(good.outcomes.map((o) => o.exampleId)).toEqual(examples.map((e) => e.id));
    expect(good.outcomes.every((o) => o.trueCause === undefined)).toBe(true);
    const bad = await ev.evaluate({ instruction: 'Add.' }, examples);
    expect(bad.correct).toBe(0);
    expect(bad.outcomes.every((o) => o.trueCause === 'REASONING_SLIP')).toBe(true);
  });

  it('memoizes per (prompt, example, sample index) and passes role/sample index to the model', async () => {
    const { llm, calls } = fakeTarget();
    const ev = createEvaluator(task, llm);
    const p = { instruction: 'Add carefully.' };
    await ev.evaluate(p, examples);
    await ev.evaluate({ ...p }, examples.slice(0, 3));
    expect(calls).toHaveLength(6);
    await ev.evaluate(p, examples.slice(0, 2), { sampleIndex: 1 });
    expect(calls).toHaveLength(8);
    expect(calls.every((c) => c.role === 'target')).toBe(true);
    expect(calls.at(-1)!.sampleIndex).toBe(1);
    expect(promptKey(p)).not.toBe(promptKey({ ...p, position: 'Q_end' }));
  });

  it('keeps finished outcomes when the budget runs out mid-evaluation', async () => {
    const budget = new Budget({ targetCalls: 4 });
    const { llm, calls } = fakeTarget(budget);
    const ev = createEvaluator(task, llm, { concurrency: 1 });
    const p = { instruction: 'Add carefully.' };
    await expect(ev.evaluate(p, examples)).rejects.toBeInstanceOf(BudgetExhausted);
    expect(calls).toHaveLength(4);
    expect(ev.memoSize).toBe(4);
    const again = await ev.evaluate(p, examples.slice(0, 4));
    expect(again.accuracy).toBe(1);
    expect(calls).toHaveLength(4);
  });

  it('applies a per-query rewrite to the shown input but scores against the original example', async () => {
    const { llm, calls } = fakeTarget();
    const ev = createEvaluator(task, llm);
    const r = await ev.evaluate({ instruction: '' }, examples.slice(0, 2), {
      rewrite: async (input) => `${input} Think carefully.`,
    });
    expect(r.accuracy).toBe(1);
    expect(calls[0]!.messages[0]!.content).toContain('Think carefully.');
    expect(r.outcomes[0]!.input).toContain('Think carefully.');
  });
});
