/**
 * Retries with exponential backoff and full jitter: before attempt k+1 the
 * wait is uniform in [0, min(maxDelayMs, baseDelayMs * 2^k)), drawn from a
 * seeded Rng so runs are reproducible. A server's retry-after wins over the
 * backoff but is capped at maxRetryAfterMs. Only errors marked retryable are
 * retried; the final failure is an LLMError naming provider, model, status
 * and attempts.
 */
import type { LLM, LLMMiddleware, LLMRequest, LLMResponse } from '../core/types.js';
import { LLMError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { hash32 } from '../core/hash.js';
import { errorText, isAbortError, llmError } from './errors.js';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });

export interface RetryOptions {
  /** Total attempts including the first; default 5. */
  maxAttempts?: number;
  /** Backoff base; default 500 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling; default 20 000 ms. */
  maxDelayMs?: number;
  /** Ceiling on a server-requested retry-after; default 30 000 ms. */
  maxRetryAfterMs?: number;
  /** Jitter source; default a stream seeded from provider and model. */
  rng?: Rng;
  /** Default: a real timer. Tests inject a recorder. */
  sleep?: Sleep;
  /** Told of every retry before its wait (for usage accounting and logs). */
  onRetry?: (info: { req: LLMRequest; attempt: number; delayMs: number; error: LLMError }) => void;
}

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_MAX_RETRY_AFTER_MS = 30_000;

/** Wait before the retry that follows failed attempt `attempt` (1-based). */
export function retryDelay(attempt: number, err: LLMError, o: Required<Omit<RetryOptions, 'rng' | 'sleep' | 'onRetry'>>, rng: Rng): number {
  if (err.retryAfterMs !== undefined) return Math.min(Math.max(0, err.retryAfterMs), o.maxRetryAfterMs);
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(rng.next() * ceiling);
}

export function retryMiddleware(opts: RetryOptions = {}): LLMMiddleware {
  const o = {
    maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    baseDelayMs: opts.baseDelayMs ?? 500,
    maxDelayMs: opts.maxDelayMs ?? 20_000,
    maxRetryAfterMs: opts.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS,
  };
  if (!(Number.isInteger(o.maxAttempts) && o.maxAttempts >= 1)) throw new Error(`maxAttempts must be an integer >= 1, got ${o.maxAttempts}`);
  const sleep = opts.sleep ?? realSleep;
  return (next: LLM): LLM => {
    const rng = opts.rng ?? new Rng(hash32(['retry', next.provider, next.model]) | 0);
    const label = `${next.provider} ${next.model}`;
    return {
      provider: next.provider,
      model: next.model,
      async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
        for (let attempt = 1; ; attempt++) {
          let err: LLMError;
          try {
            return await next.complete(req, signal);
          } catch (e) {
            if (signal?.aborted || isAbortError(e)) throw llmError(`${label}: request aborted`);
            err = e instanceof LLMError ? e : llmError(`${label}: ${errorText(e)}`);
          }
          if (!err.retryable || attempt >= o.maxAttempts) {
            const status = err.status !== undefined ? `status ${err.status}` : 'no status';
            const what = err.retryable ? `gave up after ${attempt} attempt${attempt === 1 ? '' : 's'}` : `failed (not retryable) after ${attempt} attempt${attempt === 1 ? '' : 's'}`;
            throw llmError(`${label} ${what}, ${status}: ${err.message}`, err.status, false, undefined, err.fatal);
          }
          const delayMs = retryDelay(attempt, err, o, rng);
          opts.onRetry?.({ req, attempt, delayMs, error: err });
          try {
            await sleep(delayMs, signal);
          } catch {
            throw llmError(`${label}: request aborted while waiting to retry`);
          }
        }
      },
    };
  };
}
