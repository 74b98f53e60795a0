/**
 * The one place the middleware is composed. Outer → inner:
 *   meter (usage + budget) → cache → limit → retry → timeout → provider
 * so the meter counts logical calls (cache hits included), the cache stores
 * only final successes, the concurrency slot covers all attempts of a call,
 * and each attempt has its own timeout.
 */
import type { LimitFunction } from 'p-limit';
import type { LLM, LLMMiddleware } from '../core/types.js';
import type { Budget } from '../core/budget.js';
import { cacheMiddleware, type CallCache } from './cache.js';
import { limitMiddleware } from './limit.js';
import { meterMiddleware, UsageMeter, type Price } from './meter.js';
import { retryMiddleware, type RetryOptions } from './retry.js';
import { DEFAULT_TIMEOUT_MS, timeoutMiddleware } from './timeout.js';

export interface StackOptions {
  /** Usage accumulator shared by the run's LLMs; with neither meter nor budget, no metering layer. */
  meter?: UsageMeter;
  budget?: Budget;
  price?: Price;
  cache?: CallCache;
  /** Label used in cache keys instead of the provider's endpoint (config `cacheEndpoint`). */
  cacheEndpoint?: string;
  /** Shared concurrency limiter for this provider endpoint (see LimiterPool). */
  limit?: LimitFunction;
  retry?: RetryOptions;
  /** Per-attempt timeout in ms (default 120 000); 0 disables it. */
  timeoutMs?: number;
}

export function compose(llm: LLM, outerToInner: LLMMiddleware[]): LLM {
  const out = outerToInner.reduceRight((inner, mw) => mw(inner), llm);
  if (llm.endpoint === undefined || out.endpoint === llm.endpoint) return out;
  return { provider: out.provider, model: out.model, endpoint: llm.endpoint, complete: (req, signal) => out.complete(req, signal) };
}

export function buildStack(provider: LLM, opts: StackOptions = {}): LLM {
  const layers: LLMMiddleware[] = [];
  const meter = opts.meter ?? (opts.budget ? new UsageMeter() : undefined);
  if (meter) layers.push(meterMiddleware({ meter, budget: opts.budget, price: opts.price }));
  if (opts.cache?.enabled) layers.push(cacheMiddleware(opts.cache, { endpoint: opts.cacheEndpoint ?? provider.endpoint }));
  if (opts.limit) layers.push(limitMiddleware(opts.limit));
  const onRetry = opts.retry?.onRetry;
  layers.push(
    retryMiddleware({
      ...opts.retry,
      onRetry: (info) => {
        meter?.recordRetry({ provider: provider.provider, model: provider.model, role: info.req.role ?? 'target' });
        onRetry?.(info);
      },
    }),
  );
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs > 0) layers.push(timeoutMiddleware(timeoutMs));
  return compose(provider, layers);
}
