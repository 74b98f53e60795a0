import { setMaxListeners } from 'node:events';
import { LLMError } from './errors.js';
import { sha256 } from './hash.js';
import type { EvalOptions, EvalOutcome, EvalResult, Evaluator, Example, LLM, Prompt, Task } from './types.js';

export interface EvaluatorOptions {
  /**
   * Accepted for compatibility and ignored: how many calls are in flight is a
   * property of the endpoint (its configured `concurrency`, enforced by the
   * LLM stack), never of the evaluator.
   */
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
 * its budget; a call still in flight is shared the same way, so concurrent
 * evaluations of one prompt send it once.
 *
 * Every call of one evaluate() is issued at once, in example order, so the
 * budget admits calls in the same order whatever the endpoint's concurrency
 * (the endpoint's limiter decides how many are really in flight). When a call
 * fails, the outcomes already finished stay memoized and the first error is
 * rethrown after every started call has settled; after a provider's final
 * error (LLMError) the calls not yet sent are abandoned instead of sent.
 */
export function createEvaluator(task: Task, target: LLM, options: EvaluatorOptions = {}): Evaluator & {
  readonly memoSize: number;
} {
  const memo = new Map<string, Promise<EvalOutcome>>();
  const done = new Set<string>();
  const maxTokensDefault = options.maxTokens ?? 512;
  const temperatureDefault = options.temperature ?? 0;

  async function call(key: string, prompt: Prompt, example: Example, input: string, opts: EvalOptions, signal: AbortSignal): Promise<EvalOutcome> {
    const sampleIndex = opts.sampleIndex ?? 0;
    const temperature = opts.temperature ?? temperatureDefault;
    const shown = input === example.input ? example : { ...example, input };
    const res = await target.complete(
      {
        messages: task.render(prompt, shown),
        temperature,
        maxTokens: opts.maxTokens ?? maxTokensDefault,
        ...(task.stop && task.stop.length > 0 ? { stop: [...task.stop] } : {}),
        sampleIndex,
        role: 'target',
      },
      signal,
    );
    const choice = res.choices[0];
    const output = choice?.text ?? '';
    const finishReason = choice?.finishReason;
    const pred = task.extract(output, example, { finishReason });
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
      ...(finishReason && finishReason !== 'stop' ? { finishReason } : {}),
    };
    done.add(key);
    return outcome;
  }

  function one(prompt: Prompt, pk: string, example: Example, opts: EvalOptions, signal: AbortSignal): Promise<EvalOutcome> {
    if (!opts.rewrite) return lookup(prompt, pk, example, example.input, opts, signal);
    return opts.rewrite(example.input).then((input) => lookup(prompt, pk, example, input, opts, signal));
  }

  /** The memoized outcome of `example` shown as `input`, or a fresh call (no closures per example: this runs for every call). */
  function lookup(prompt: Prompt, pk: string, example: Example, input: string, opts: EvalOptions, signal: AbortSignal): Promise<EvalOutcome> {
    const key = sha256([pk, task.id, example.id, opts.sampleIndex ?? 0, opts.temperature ?? temperatureDefault, input === example.input ? null : input]);
    const hit = memo.get(key);
    if (hit) return hit;
    const p = call(key, prompt, example, input, opts, signal);
    memo.set(key, p);
    // A failed call is not remembered: the next evaluation tries again.
    p.catch(() => {
      if (memo.get(key) === p) memo.delete(key);
    });
    return p;
  }

  return {
    get memoSize() {
      return done.size;
    },
    async evaluate(prompt: Prompt, examples: readonly Example[], opts: EvalOptions = {}): Promise<EvalResult> {
      const pk = promptKey(prompt);
      const gate = new AbortController();
      // Every call of the batch listens to it (one listener each, removed when it settles).
      setMaxListeners(0, gate.signal);
      let firstFinal: unknown;
      const settled = await Promise.allSettled(
        examples.map((ex) =>
          one(prompt, pk, ex, opts, gate.signal).catch((err: unknown) => {
            // A provider's final error: send nothing more of this batch.
            if (err instanceof LLMError && firstFinal === undefined) {
              firstFinal = err;
              gate.abort(err);
            }
            throw err;
          }),
        ),
      );
      if (firstFinal !== undefined) throw firstFinal;
      const failure = settled.find((s) => s.status === 'rejected');
      if (failure) throw (failure as PromiseRejectedResult).reason;
      const outcomes = settled.map((s) => (s as PromiseFulfilledResult<EvalOutcome>).value);
      const correct = outcomes.filter((o) => o.correct).length;
      const truncated = outcomes.filter((o) => o.finishReason === 'length').length;
      return {
        accuracy: outcomes.length ? correct / outcomes.length : 0,
        n: outcomes.length,
        correct,
        outcomes,
        ...(truncated > 0 ? { truncated } : {}),
      };
    },
  };
}
