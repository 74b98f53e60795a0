/**
 * End to end: a 200-example eval through `serve-sim` over real HTTP, with the
 * project's OpenAI-compatible provider and full middleware stack, under ~10%
 * injected faults of every kind, must give exactly the per-example results of
 * the in-process sim.
 */
import { describe, expect, it } from 'vitest';
import { Budget } from '../core/budget.js';
import { createEvaluator } from '../core/evaluator.js';
import { Rng } from '../core/rng.js';
import { resolveModel, UsageMeter } from '../llm/index.js';
import { toChatBody } from '../llm/providers/chat.js';
import { loadTask } from '../tasks/registry.js';
import { SimWorld } from './index.js';
import { startSimServer } from './server.js';

describe('serve-sim end to end', () => {
  it('a 200-example eval through HTTP with 10% faults equals the in-process eval', async () => {
    const task = loadTask('like/navigate', { seed: 0 });
    const examples = task.splits.test.slice(0, 200);
    expect(examples).toHaveLength(200);
    const world = new SimWorld();
    world.register(task);
    const prompt = { instruction: "Let's think step by step. Track your position." };

    const local = createEvaluator(task, resolveModel('sim-8b', { world }));
    const want = await local.evaluate(prompt, examples);

    const server = await startSimServer({
      world,
      maxHangMs: 200,
      faults: { rate429: 0.03, rate500: 0.03, rateTimeout: 0.01, rateTruncated: 0.015, rateGarbage: 0.015, retryAfterMs: 60_000 },
    });
    try {
      const delays: number[] = [];
      const usage = new UsageMeter();
      const remote = resolveModel('openai:sim-8b', {
        world,
        usage,
        budget: new Budget({ targetCalls: 200 }),
        env: { OPENAI_BASE_URL: server.url },
        config: {
          ...(await import('../llm/config.js')).defaultConfig(),
          // Injected hangs end after maxHangMs (200 ms); a long client timeout keeps a
          // slow machine from adding client-side timeouts the server never injected.
          timeoutMs: 10_000,
          maxAttempts: 6,
          maxRetryAfterMs: 50,
        },
        sleep: async (ms) => void delays.push(ms),
        rng: new Rng(1),
      });
      const got = await createEvaluator(task, remote).evaluate(prompt, examples);

      // Faults really happened, were retried, and the huge retry-after was capped.
      const faulted = server.stats['requests']! - server.stats['none']!;
      expect(faulted).toBeGreaterThanOrEqual(10);
      expect(delays.length).toBe(faulted);
      // Every 429 asked for 60 s; each of those waits was capped to maxRetryAfterMs = 50 ms.
      expect(server.stats['429']).toBeGreaterThan(0);
      expect(delays.filter((d) => d === 50)).toHaveLength(server.stats['429']!);
      expect(Math.max(...delays)).toBeLessThan(60_000);
      // Same per-example results, ground truth included; one logical call per example.
      expect(got.outcomes.map((o) => [o.exampleId, o.output, o.pred, o.correct, o.trueCause ?? null])).toEqual(
        want.outcomes.map((o) => [o.exampleId, o.output, o.pred, o.correct, o.trueCause ?? null]),
      );
      expect(usage.snapshot().total.calls).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('sends repeated samples with seed = sample index so a server can tell them apart', () => {
    const base = { messages: [{ role: 'user' as const, content: 'hi' }], temperature: 1 };
    expect(toChatBody('m', base).seed).toBeUndefined();
    expect(toChatBody('m', { ...base, sampleIndex: 3 }).seed).toBe(3);
    expect(toChatBody('m', { ...base, sampleIndex: 3, seed: 42 }).seed).toBe(42);
  });
});
