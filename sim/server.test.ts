import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { openaiProvider } from '../llm/providers/openai.js';
import { buildStack } from '../llm/stack.js';
import { SimWorld, simComplete } from './index.js';
import { decideFault, startSimServer, validateFaults, type SimServer } from './server.js';
import { kitTasks } from './testkit.js';

const tasks = kitTasks(40);
const world = new SimWorld();
for (const t of tasks) world.register(t);
const task = tasks[0]!;
const requests = task.splits.test.slice(0, 30).map((ex, i) => ({
  messages: task.render({ instruction: i % 2 ? "Let's think step by step." : '' }, ex),
  temperature: 0,
}));

describe('serve-sim', () => {
  let clean: SimServer;
  let faulty: SimServer;
  beforeAll(async () => {
    clean = await startSimServer({ world });
    faulty = await startSimServer({
      world,
      maxHangMs: 200,
      faults: { rate429: 0.03, rate500: 0.03, rateTimeout: 0.01, rateTruncated: 0.015, rateGarbage: 0.015, retryAfterMs: 5, latencyMeanMs: 2, latencyJitterMs: 2 },
    });
  });
  afterAll(async () => {
    await clean.close();
    await faulty.close();
  });

  it('refuses non-loopback hosts and bad fault rates', async () => {
    await expect(startSimServer({ world, host: '0.0.0.0' })).rejects.toThrow(UserError);
    expect(() => validateFaults({ rate429: 0.7, rate500: 0.5 })).toThrow(/add up/);
  });

  it('decides faults deterministically per (body, attempt) and stops faulting after maxFaultsPerBody', () => {
    const f = validateFaults({ rate500: 0.9, maxFaultsPerBody: 2 });
    expect(decideFault('abc', 0, f)).toBe(decideFault('abc', 0, f));
    expect(decideFault('abc', 2, f)).toBe('none');
    const faulted = Array.from({ length: 200 }, (_, i) => decideFault(`b${i}`, 0, f)).filter((x) => x !== 'none').length;
    expect(faulted).toBeGreaterThan(150);
  });

  it('answers over HTTP with the openai package exactly like the in-process sim, sim field included', async () => {
    const client = new OpenAI({ baseURL: clean.url, apiKey: 'none', maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('sim-8b');
    for (const r of requests.slice(0, 10)) {
      const got = await client.chat.completions.create({ model: 'sim-8b', messages: r.messages, temperature: 0 });
      const want = simComplete('sim-8b', world, r);
      expect(got.choices[0]!.message.content).toBe(want.choices[0]!.text);
      expect((got.choices[0] as unknown as { sim: unknown }).sim).toEqual(want.choices[0]!.annotations!['sim']);
      expect(got.usage?.completion_tokens).toBe(want.usage.completionTokens);
    }
    // same request → same bytes
    const body = JSON.stringify({ model: 'sim-1b', messages: requests[0]!.messages, temperature: 0 });
    const post = () => fetch(`${clean.url}/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((x) => x.text());
    expect(await post()).toBe(await post());
    const comp = await client.completions.create({ model: 'sim-8b', prompt: requests[0]!.messages[0]!.content, temperature: 0 });
    expect(comp.choices[0]!.text).toBe(simComplete('sim-8b', world, { messages: [{ role: 'user', content: requests[0]!.messages[0]!.content }], temperature: 0 }).choices[0]!.text);
  });

  it('rejects bad requests with OpenAI-style errors', async () => {
    const post = (b: string) => fetch(`${clean.url}/chat/completions`, { method: 'POST', body: b });
    expect((await post('{not json')).status).toBe(400);
    expect((await post(JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'x' }] }))).status).toBe(404);
    expect((await post(JSON.stringify({ model: 'sim-8b', messages: [] }))).status).toBe(400);
    const small = await startSimServer({ world, maxBodyBytes: 100 });
    const r = await fetch(`${small.url}/chat/completions`, { method: 'POST', body: 'x'.repeat(1000) }).catch(() => null);
    expect(r === null || r.status === 413).toBe(true);
    await small.close();
  });

  it('with ~10% injected faults, plain retries of the same body eventually return the in-process result', async () => {
    const client = new OpenAI({ baseURL: faulty.url, apiKey: 'none', maxRetries: 0, timeout: 2000 });
    for (const r of requests) {
      let text: string | null | undefined;
      for (let attempt = 0; attempt < 6 && text === undefined; attempt++) {
        try {
          const got = await client.chat.completions.create({ model: 'sim-70b', messages: r.messages, temperature: 0 });
          if (typeof got === 'object' && got?.choices) text = got.choices[0]!.message.content;
        } catch {
          /* retry */
        }
      }
      expect(text).toBe(simComplete('sim-70b', world, r).choices[0]!.text);
    }
    expect(faulty.stats['none']).toBeLessThan(faulty.stats['requests']!);
  });

  it('the project provider + retry middleware gets the in-process result through 429/500/timeout faults', async () => {
    const server = await startSimServer({ world, maxHangMs: 150, faults: { rate429: 0.04, rate500: 0.04, rateTimeout: 0.02, retryAfterMs: 5 } });
    try {
      const llm = buildStack(openaiProvider({ model: 'sim-8b', baseURL: server.url }), {
        retry: { maxAttempts: 6, baseDelayMs: 2, maxDelayMs: 10 },
        timeoutMs: 5000,
      });
      for (const r of requests) {
        const got = await llm.complete(r);
        const want = simComplete('sim-8b', world, r);
        expect(got.choices[0]!.text).toBe(want.choices[0]!.text);
        expect(got.choices[0]!.annotations?.['sim']).toEqual(want.choices[0]!.annotations!['sim']);
      }
      expect(server.stats['none']).toBeLessThan(server.stats['requests']!);
    } finally {
      await server.close();
    }
  });
});
