/**
 * A small, fully deterministic world for optimizer unit tests (no sim):
 * a toy arithmetic task, a fake target whose accuracy grows with the number
 * of "good" words in the instruction, and a fake optimizer LLM whose reply
 * is a function of (meta-prompt, sample index). Calls go through the real
 * budget meter; the providers count the calls that reach them.
 */
import { Budget, type BudgetLimits } from '../core/budget.js';
import { createEvaluator } from '../core/evaluator.js';
import { hashUnit } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import type { Example, LLM, LLMRequest, LLMResponse, OptimizerContext, RunEvent } from '../core/types.js';
import { buildStack } from '../llm/stack.js';
import { makeTask } from '../tasks/task.js';

export const GOOD_WORDS = ['carefully', 'step', 'check', 'verify'];

/** Probability that the fake target answers correctly under an instruction. */
export function fakeQuality(instruction: string): number {
  const lower = instruction.toLowerCase();
  return 0.2 + 0.2 * GOOD_WORDS.filter((w) => lower.includes(w)).length;
}

function examples(prefix: string, n: number): Example[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `${prefix}-${i}`,
    input: `What is ${i + 3} plus ${2 * i + 1}? (${prefix})`,
    target: String(3 * i + 4),
  }));
}

export const fakeTask = makeTask({
  id: 'fake/add',
  family: 'fake',
  description: 'toy additions',
  answerFormat: 'integer',
  concepts: [],
  splits: { train: examples('train', 30), dev: examples('dev', 20), test: examples('test', 20) },
});

const usage = (text: string, out: string) => ({ promptTokens: Math.ceil(text.length / 4), completionTokens: Math.ceil(out.length / 4) });

/** Target: finds the example in the message, answers right with probability fakeQuality(instruction). */
function fakeTarget(counter: { n: number }): LLM {
  return {
    provider: 'fake',
    model: 'fake-target',
    async complete(req: LLMRequest): Promise<LLMResponse> {
      counter.n++;
      const text = req.messages.map((m) => m.content).join('\n');
      const all = [...fakeTask.splits.train, ...fakeTask.splits.dev, ...fakeTask.splits.test];
      const ex = all.find((e) => text.includes(e.input));
      const instruction = ex ? text.replace(`Q: ${ex.input}`, '') : text;
      const ok = ex !== undefined && hashUnit([instruction, ex.id]) < fakeQuality(instruction);
      const out = ex ? `So the answer is ${ok ? ex.target : '-1'}.` : 'I do not know.';
      return { model: 'fake-target', choices: [{ text: out }], usage: usage(text, out) };
    },
  };
}

/**
 * Optimizer: proposes an instruction built from a hash of (meta-prompt, sample index):
 * a random subset of GOOD_WORDS, sometimes wrapped in <INS></INS> as asked.
 */
function fakeOptimizer(counter: { n: number }, replyOverride?: (prompt: string, sample: number) => string): LLM {
  return {
    provider: 'fake',
    model: 'fake-opt',
    async complete(req: LLMRequest): Promise<LLMResponse> {
      counter.n++;
      const text = req.messages.map((m) => m.content).join('\n');
      const n = req.n ?? 1;
      const one = (sample: number): string => {
        if (replyOverride) return replyOverride(text, sample);
        const words = GOOD_WORDS.filter((w, i) => hashUnit([text, sample, w, i]) < 0.5);
        const ins = `Solve the problem ${words.join(' and ')} now #${Math.floor(hashUnit([text, sample]) * 1000)}.`;
        return text.includes('<INS>') ? `Here it is: <INS>${ins}</INS>` : ins;
      };
      // n choices, each its own sample (choice k of sample index s is sample s·n + k)
      const outs = Array.from({ length: n }, (_, k) => one((req.sampleIndex ?? 0) * n + k));
      return { model: 'fake-opt', choices: outs.map((t) => ({ text: t })), usage: usage(text, outs.join('')) };
    },
  };
}

export interface FakeContext {
  ctx: OptimizerContext;
  events: RunEvent[];
  targetCalls(): number;
  optimizerCalls(): number;
}

export function makeFakeContext(
  opts: { budget?: BudgetLimits; seed?: number; reply?: (prompt: string, sample: number) => string } = {},
): FakeContext {
  const budget = new Budget(opts.budget ?? {});
  const tc = { n: 0 };
  const oc = { n: 0 };
  const target = buildStack(fakeTarget(tc), { budget, timeoutMs: 0, retry: { maxAttempts: 1 } });
  const optimizer = buildStack(fakeOptimizer(oc, opts.reply), { budget, timeoutMs: 0, retry: { maxAttempts: 1 } });
  const events: RunEvent[] = [];
  const ctx: OptimizerContext = {
    task: fakeTask,
    train: fakeTask.splits.train,
    dev: fakeTask.splits.dev,
    target,
    optimizer,
    evaluator: createEvaluator(fakeTask, target),
    budget,
    rng: new Rng(opts.seed ?? 0),
    log: { emit: (e) => void events.push(e) },
  };
  return { ctx, events, targetCalls: () => tc.n, optimizerCalls: () => oc.n };
}
