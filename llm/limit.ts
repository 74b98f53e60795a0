/**
 * Concurrency limit per provider endpoint. All LLMs that talk to the same
 * provider + base URL share one p-limit queue, so several models on one vLLM
 * server or one API account never exceed its limit together.
 */
import pLimit, { type LimitFunction } from 'p-limit';
import type { LLM, LLMMiddleware } from '../core/types.js';

export const DEFAULT_CONCURRENCY = 8;

/** Hands out one shared limiter per key (e.g. "openai|http://127.0.0.1:8000/v1"). */
export class LimiterPool {
  private readonly limits = new Map<string, LimitFunction>();

  /** The limiter for `key`; the first caller's concurrency wins for later callers. */
  get(key: string, concurrency: number = DEFAULT_CONCURRENCY): LimitFunction {
    let limit = this.limits.get(key);
    if (!limit) {
      if (!(Number.isInteger(concurrency) && concurrency >= 1))
        throw new Error(`concurrency must be an integer >= 1, got ${concurrency}`);
      limit = pLimit(concurrency);
      this.limits.set(key, limit);
    }
    return limit;
  }
}

/** The pool used when a caller does not bring its own. */
export const defaultLimiters = new LimiterPool();

export function limiterKey(provider: string, endpoint: string | undefined): string {
  return `${provider}|${endpoint ?? ''}`;
}

export function limitMiddleware(limit: LimitFunction): LLMMiddleware {
  return (next: LLM): LLM => ({
    provider: next.provider,
    model: next.model,
    complete: (req, signal) => limit(() => next.complete(req, signal)),
  });
}
