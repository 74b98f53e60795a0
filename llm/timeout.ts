/**
 * Per-attempt timeout. Each call gets its own AbortSignal that fires after
 * `ms` (or when the caller's signal fires). A timeout becomes a retryable
 * LLMError so the retry layer above tries again.
 */
import type { LLM, LLMMiddleware, LLMRequest, LLMResponse } from '../core/types.js';
import { llmError } from './errors.js';

export const DEFAULT_TIMEOUT_MS = 120_000;

export function timeoutMiddleware(ms: number = DEFAULT_TIMEOUT_MS): LLMMiddleware {
  if (!(ms > 0)) throw new Error(`timeout must be positive, got ${ms}`);
  return (next: LLM): LLM => ({
    provider: next.provider,
    model: next.model,
    complete(req: LLMRequest, outer?: AbortSignal): Promise<LLMResponse> {
      if (outer?.aborted) return Promise.reject(llmError(`${next.provider} ${next.model}: request aborted`));
      const controller = new AbortController();
      let timedOut = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onOuterAbort = () => controller.abort(outer?.reason);
      outer?.addEventListener('abort', onOuterAbort, { once: true });
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
          reject(llmError(`${next.provider} ${next.model}: timed out after ${ms} ms`, undefined, true));
        }, ms);
      });
      // Race so that a provider that ignores the signal still cannot hang the run.
      const call = next.complete(req, controller.signal).catch((err: unknown) => {
        if (timedOut) throw llmError(`${next.provider} ${next.model}: timed out after ${ms} ms`, undefined, true);
        throw err;
      });
      return Promise.race([call, expired]).finally(() => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onOuterAbort);
      });
    },
  });
}
