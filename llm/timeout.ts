/**
 * Per-attempt timeout. Each call gets its own AbortSignal that fires after
 * `ms` (or when the caller's signal fires). A timeout becomes a retryable
 * LLMError so the retry layer above tries again.
 */
import type { LLM, LLMMiddleware, LLMRequest, LLMResponse } from '../core/types.js';
import { llmError } from './errors.js';

export const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * Calls in flight under each caller's signal. One abort listener per caller
 * signal (not one per call: an evaluation issues all its calls under one
 * signal, and adding and removing a listener per call cost more than the
 * in-process sim's whole answer) aborts them in the order they started.
 */
const underSignal = new WeakMap<AbortSignal, Set<AbortController>>();

function follow(outer: AbortSignal, controller: AbortController): void {
  let calls = underSignal.get(outer);
  if (!calls) {
    const set = new Set<AbortController>();
    underSignal.set(outer, (calls = set));
    outer.addEventListener(
      'abort',
      () => {
        for (const c of [...set]) c.abort(outer.reason);
        set.clear();
      },
      { once: true },
    );
  }
  calls.add(controller);
}

export function timeoutMiddleware(ms: number = DEFAULT_TIMEOUT_MS): LLMMiddleware {
  if (!(ms > 0)) throw new Error(`timeout must be positive, got ${ms}`);
  return (next: LLM): LLM => ({
    provider: next.provider,
    model: next.model,
    complete(req: LLMRequest, outer?: AbortSignal): Promise<LLMResponse> {
      if (outer?.aborted) return Promise.reject(llmError(`${next.provider} ${next.model}: request aborted`));
      const controller = new AbortController();
      if (outer) follow(outer, controller);
      // Settled by whichever comes first, the call or the timer, so that a
      // provider that ignores the signal still cannot hang the run.
      return new Promise<LLMResponse>((resolve, reject) => {
        let settled = false;
        const finish = () => {
          settled = true;
          clearTimeout(timer);
          if (outer) underSignal.get(outer)?.delete(controller);
        };
        const timer = setTimeout(() => {
          if (settled) return;
          finish();
          controller.abort();
          reject(llmError(`${next.provider} ${next.model}: timed out after ${ms} ms`, undefined, true));
        }, ms);
        let call: Promise<LLMResponse>;
        try {
          call = next.complete(req, controller.signal);
        } catch (err) {
          finish();
          reject(err);
          return;
        }
        call.then(
          (res) => {
            if (settled) return;
            finish();
            resolve(res);
          },
          (err: unknown) => {
            if (settled) return;
            finish();
            reject(err);
          },
        );
      });
    },
  });
}
