import { describe, it, expect } from 'vitest';
import { LLMError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { LLMRequest, LLMResponse } from '../core/types.js';
import { retryMiddleware, type Sleep } from './retry.js';
import { timeoutMiddleware } from './timeout.js';
import { LimiterPool, limitMiddleware } from './limit.js';
import { compose } from './stack.js';
import { countingLLM } from './fake.js';

const ask: LLMRequest = { messages: [{ role: 'user', content: 'q' }] };
const ok: LLMResponse = { model: 'm', choices: [{ text: 'ok' }], usage: { promptTokens: 1, completionTokens: 1 } };

function recording() {
  const delays: number[] = [];
  const sleep: Sleep = async (ms) => {
    delays.push(ms);
  };
  return { delays, sleep };
}

/** Fails `failures` times with a retryable 503, then answers. */
const flaky = (failures: number) =>
  countingLLM((_r, i) => {
    if (i < failures) throw new LLMError('overloaded', 503, true);
    return ok;
  });

describe('retry middleware', () => {
  it('backs off exponentially with full jitter drawn from the seeded rng', async () => {
    const run = async (seed: number) => {
      const { delays, sleep } = recording();
      const p = flaky(4);
      await retryMiddleware({ maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000, sleep, rng: new Rng(seed) })(p).complete(ask);
      expect(p.calls).toHaveLength(5);
      return delays;
    };
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    expect(a).toHaveLength(4);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    a.forEach((d, k) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(100 * 2 ** k);
    });
  });

  it('caps the backoff ceiling at maxDelayMs', async () => {
    const { delays, sleep } = recording();
    await retryMiddleware({ maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 1500, sleep, rng: new Rng(3) })(flaky(7)).complete(ask);
    expect(delays).toHaveLength(7);
    for (const d of delays) expect(d).toBeLessThan(1500);
  });

  it('stops after maxAttempts with an error naming provider, model, status and attempts', async () => {
    const { delays, sleep } = recording();
    const p = flaky(100);
    const err = await retryMiddleware({ maxAttempts: 3, sleep })(p).complete(ask).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.message).toMatch(/^fake fake-model gave up after 3 attempts, status 503: overloaded$/);
    expect(err.retryable).toBe(false);
    expect(p.calls).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('does not retry final errors or wrap them into retries', async () => {
    const { delays, sleep } = recording();
    const p = countingLLM(() => {
      throw new LLMError('forbidden', 403, false);
    });
    const err = await retryMiddleware({ sleep })(p).complete(ask).catch((e) => e);
    expect(err.message).toMatch(/not retryable.*1 attempt, status 403/);
    expect(p.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('uses a retry-after below the cap as is and caps a larger one', async () => {
    const { delays, sleep } = recording();
    const p = countingLLM((_r, i) => {
      if (i === 0) throw new LLMError('rate', 429, true, 1234);
      if (i === 1) throw new LLMError('rate', 429, true, 999_999);
      return ok;
    });
    await retryMiddleware({ maxRetryAfterMs: 5000, sleep })(p).complete(ask);
    expect(delays).toEqual([1234, 5000]);
  });
});

describe('caller abort', () => {
  it('is never retried', async () => {
    const controller = new AbortController();
    const { delays, sleep } = recording();
    const p = countingLLM(() => {
      controller.abort();
      throw new LLMError('connection reset', undefined, true);
    });
    const err = await retryMiddleware({ sleep })(p).complete(ask, controller.signal).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.message).toMatch(/request aborted/);
    expect(p.calls).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});

describe('timeout middleware', () => {
  it('turns a hanging attempt into a retryable error even if the provider ignores the signal', async () => {
    let calls = 0;
    const hangingOnce = {
      provider: 'fake',
      model: 'slow',
      complete: () => (++calls === 1 ? new Promise<LLMResponse>(() => {}) : Promise.resolve(ok)),
    };
    const bare = await timeoutMiddleware(30)(hangingOnce).complete(ask).catch((e) => e);
    expect(bare).toBeInstanceOf(LLMError);
    expect(bare.retryable).toBe(true);
    expect(bare.message).toMatch(/timed out after 30 ms/);
    calls = 0;
    const { delays, sleep } = recording();
    const res = await compose(hangingOnce, [retryMiddleware({ sleep }), timeoutMiddleware(30)]).complete(ask);
    expect(res.choices[0]!.text).toBe('ok');
    expect(calls).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('passes an abort signal that fires on timeout', async () => {
    let seen: AbortSignal | undefined;
    const p = {
      provider: 'fake',
      model: 'm',
      complete: (_r: LLMRequest, signal?: AbortSignal) => {
        seen = signal;
        return new Promise<LLMResponse>(() => {});
      },
    };
    await timeoutMiddleware(20)(p).complete(ask).catch(() => {});
    expect(seen?.aborted).toBe(true);
  });

  it("aborts every call in flight when the caller's signal fires, finished calls untouched", async () => {
    const signals: AbortSignal[] = [];
    const p = {
      provider: 'fake',
      model: 'm',
      complete: (r: LLMRequest, signal?: AbortSignal) => {
        signals.push(signal!);
        if (r.sampleIndex === 0) return Promise.resolve(ok);
        return new Promise<LLMResponse>((_, reject) => signal!.addEventListener('abort', () => reject(signal!.reason), { once: true }));
      },
    };
    const llm = timeoutMiddleware(60_000)(p);
    const gate = new AbortController();
    const done = await llm.complete({ ...ask, sampleIndex: 0 }, gate.signal);
    expect(done).toBe(ok);
    const pending = [1, 2, 3].map((i) => llm.complete({ ...ask, sampleIndex: i }, gate.signal).catch((e) => e));
    gate.abort(new Error('stop'));
    expect((await Promise.all(pending)).map((e) => (e as Error).message)).toEqual(['stop', 'stop', 'stop']);
    expect(signals.map((s) => s.aborted)).toEqual([false, true, true, true]);
    await expect(llm.complete(ask, gate.signal)).rejects.toThrow(/request aborted/);
  });
});

describe('limit middleware', () => {
  it('shares one concurrency limit between LLMs of the same endpoint', async () => {
    const pool = new LimiterPool();
    let inFlight = 0;
    let peak = 0;
    const slow = (model: string) => ({
      provider: 'openai',
      model,
      async complete(): Promise<LLMResponse> {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return ok;
      },
    });
    const a = limitMiddleware(pool.get('openai|http://x/v1', 2))(slow('a'));
    const b = limitMiddleware(pool.get('openai|http://x/v1', 2))(slow('b'));
    await Promise.all([...Array(5)].flatMap(() => [a.complete(ask), b.complete(ask)]));
    expect(peak).toBe(2);
    expect(pool.get('openai|http://x/v1')).toBe(pool.get('openai|http://x/v1', 99));
    expect(pool.get('openai|http://y/v1')).not.toBe(pool.get('openai|http://x/v1'));
  });
});
