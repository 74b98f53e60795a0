import pLimit from 'p-limit';
import { sha256 } from './hash.js';
import type { EvalOptions, EvalOutcome, EvalResult, Evaluator, Example, LLM, Prompt, Task } from './types.js';

export interface EvaluatorOptions {
  /** Concurrent target calls issued by one evaluate() (the LLM stack may limit further). Default 8. */
  concurrency?: number;
  /** Default max tokens for target answers. Default 512. */
  maxTokens?: number;
  /** Default sampling temperature for the target (OPRO §5.1: scorer at temperature 0). Default 0. */
  temperature?: number;
}

/** Canonical identity of a prompt for memoization and logs. */
export function promptKey(prompt: Prompt): string {
  // The layout enters the key only when it is not the default, so keys of qa prompts are unchanged.
  const l = prompt.layout && prompt.layout !== 'qa' ? { l: prompt.layout } : {};
  return sha256({ i: prompt.instruction, d: prompt.demos ?? [], p: prompt.position ?? 'Q_begin', ...l });
}

/**
 * Scores prompts on examples with the target model. Results are memoized per
 * (prompt, example, sample index, temperature, shown input), so an optimizer
 * re-scoring a prompt on the same example costs nothing and is not charged to
 * its budget. When a call fails (e.g. BudgetExhausted) the outcomes already
 * finished stay memoized and the first error is rethrown after every in-flight
 * call has settled.
 */
export function createEvaluator(task: Task, target: LLM, options: EvaluatorOptions = {}): Evaluator & {
  readonly memoSize: number;
} {
  const memo = new Map<string, EvalOutcome>();
  const limit = pLimit(options.concurrency ?? 8);
  const maxTokensDefault = options.maxTokens ?? 512;
  const temperatureDefault = options.temperature ?? 0;

  async function one(prompt: Prompt, pk: string, example: Example, opts: EvalOptions): Promise<EvalOutcome> {
    const sampleIndex = opts.sampleIndex ?? 0;
    const temperature = opts.temperature ?? temperatureDefault;
    const input = opts.rewrite ? await opts.rewrite(example.input) : example.input;
    const key = sha256([pk, task.id, example.id, sampleIndex, temperature, input === example.input ? null : input]);
    const hit = memo.get(key);
    if (hit) return hit;
    const shown = input === example.input ? example : { ...example, input };
    const res = await target.complete({
      messages: task.render(prompt, shown),
      temperature,
      maxTokens: opts.maxTokens ?? maxTokensDefault,
      sampleIndex,
      role: 'target',
    });
    const choice = res.choices[0];
    const output = choice?.text ?? '';
    const pred = task.extract(output, example);
    const correct = task.score(pred, example);
    const sim = choice?.annotations?.sim as { trueCause?: string | null } | undefined;
    const outcome: EvalOutcome = {
      exampleId: example.id,
      sampleIndex,
      input,
      output,
      pred,
      gold: example.target,
      correct,
      ...(!correct && sim?.trueCause ? { trueCause: sim.trueCause } : {}),
    };
    memo.set(key, outcome);
    return outcome;
  }

  return {
    get memoSize() {
      return memo.size;
    },
    async evaluate(prompt: Prompt, examples: readonly Example[], opts: EvalOptions = {}): Promise<EvalResult> {
      const pk = promptKey(prompt);
      const settled = await Promise.allSettled(examples.map((ex) => limit(() => one(prompt, pk, ex, opts))));
      const failure = settled.find((s) => s.status === 'rejected');
      if (failure) throw (failure as PromiseRejectedResult).reason;
      const outcomes = settled.map((s) => (s as PromiseFulfilledResult<EvalOutcome>).value);
      const correct = outcomes.filter((o) => o.correct).length;
      return { accuracy: outcomes.length ? correct / outcomes.length : 0, n: outcomes.length, correct, outcomes };
    },
  };
}
