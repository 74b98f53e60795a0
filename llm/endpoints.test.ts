/**
 * Real-endpoint failure kinds, each replayed through a loopback
 * OpenAI-compatible (or Hugging Face) server started here: answers that run
 * on or think aloud, replies without usage, error bodies of every shape, the
 * cache key's endpoint, and keys sent only where needed.
 */
import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Budget } from '../core/budget.js';
import { BudgetExhausted, LLMError } from '../core/errors.js';
import { createEvaluator } from '../core/evaluator.js';
import type { Example, LLM } from '../core/types.js';
import { makeTask } from '../tasks/task.js';
import { parseConfig } from './config.js';
import { CallCache } from './cache.js';
import { LimiterPool } from './limit.js';
import { UsageMeter } from './meter.js';
import { resolveModel, type Env } from './registry.js';
import { hfProvider } from './providers/hf.js';
import { buildStack } from './stack.js';
import { chatReply, startServer, type Reply, type SeenRequest, type TestServer } from './testdata/server.js';

let server: TestServer;
let other: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  other = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'popbench-endpoints-'));
});
afterAll(async () => {
  await server.close();
  await other.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  server.requests.length = 0;
  other.requests.length = 0;
});

const noSleep = async () => {};

/** A model named "local" on `srv`, fully stacked, with its own limiter pool. */
function local(srv: TestServer, o: { env?: Env; entry?: Record<string, unknown>; cache?: CallCache; budget?: Budget; usage?: UsageMeter; concurrency?: number } = {}): LLM {
  const config = parseConfig({
    maxAttempts: 5,
    models: [{ name: 'local', provider: 'openai', model: 'llama-3-8b', baseURL: `${srv.url}/v1`, concurrency: o.concurrency ?? 4, ...o.entry }],
  });
  return resolveModel('local', { config, env: o.env ?? {}, cache: o.cache, budget: o.budget, usage: o.usage, limiters: new LimiterPool(), sleep: noSleep });
}

/** A reply with exactly this message (and optional finish reason / usage). */
function message(msg: Record<string, unknown>, extra: { finish?: string; usage?: unknown } = {}): Reply {
  return {
    json: {
      object: 'chat.completion',
      model: 'llama-3-8b',
      choices: [{ index: 0, message: { role: 'assistant', ...msg }, finish_reason: extra.finish ?? 'stop' }],
      ...('usage' in extra ? (extra.usage === undefined ? {} : { usage: extra.usage }) : { usage: { prompt_tokens: 20, completion_tokens: 10 } }),
    },
  };
}
const text = (content: string, finish?: string) => message({ content }, { finish });

// gsm8k test-0 and mmlu/elementary_mathematics-style items
const janet: Example = {
  id: 'test-0',
  input: "Janet's ducks lay 16 eggs per day. She eats three for breakfast every morning and bakes muffins for her friends every day with four. She sells the remainder at the farmers' market daily for $2 per fresh duck egg. How much in dollars does she make every day at the farmers' market?",
  target: '18',
};
const gsm = makeTask({ id: 'gsm8k', family: 'gsm8k', description: 'grade-school math', answerFormat: 'integer', concepts: [], splits: { train: [], dev: [], test: [janet] } });
const sixQ: Example = { id: 'mmlu-0', input: 'What is 2 + 4?\n(A) 6\n(B) 7\n(C) 8\n(D) 5', target: '(A)', options: ['6', '7', '8', '5'] };
const mmlu = makeTask({ id: 'mmlu/elementary_mathematics', family: 'mmlu', description: 'math', answerFormat: 'letter', concepts: [], splits: { train: [], dev: [], test: [sixQ] } });
const p = { instruction: "Let's think step by step." };

describe('answers (cases 1-5)', () => {
  it('1. a run-on answer that invents a new exemplar is scored on its own answer, and stop sequences are sent', async () => {
    server.script(text("She has 16 - 3 - 4 = 9 eggs left. 9 * 2 = 18 dollars.\n#### 18\n\nQuestion: Tom has 3 apples and gets 4 more. How many?\nAnswer: 3 + 4 = 7\n#### 7"));
    const r = await createEvaluator(gsm, local(server)).evaluate(p, [janet]);
    expect(r.outcomes[0]!.pred).toBe('18');
    expect(r.correct).toBe(1);
    expect(server.requests[0]!.body.stop).toEqual(['\nQ:', '\nQuestion:']);
    // the whole kind: a "Q:" exemplar, and a model's own stop list replacing the task's
    server.script(text('9 * 2 = 18. So the answer is 18.\n\nQ: What is 3 + 4?\nA: 3 + 4 = 7. So the answer is 7.'));
    const r2 = await createEvaluator(gsm, local(server, { entry: { stop: ['<|eot_id|>'] } })).evaluate(p, [janet]);
    expect(r2.outcomes[0]!.pred).toBe('18');
    expect(server.requests[1]!.body.stop).toEqual(['<|eot_id|>']);
    await createEvaluator(gsm, local(server, { entry: { stop: [] } })).evaluate({ instruction: 'x' }, [janet]);
    expect(server.requests[2]!.body).not.toHaveProperty('stop');
  });

  it('2. an answer marker inside <think> does not win over the final answer', async () => {
    server.script(text('<think>16 - 3 - 4 = 9, so the answer is 9 eggs? No: she sells 9 eggs at $2.</think>\nShe makes 9 * 2 = $18 every day.'));
    const r = await createEvaluator(gsm, local(server)).evaluate(p, [janet]);
    expect(r.outcomes[0]!.pred).toBe('18');
    // a template that opened the block in the prompt: only the closing tag is in the reply
    server.script(text('The answer is 9?\nWait, 9 eggs * $2.\n</think>\n\n#### 18'));
    expect((await createEvaluator(gsm, local(server)).evaluate({ instruction: 'b' }, [janet])).outcomes[0]!.pred).toBe('18');
    // still thinking when it stopped: no answer at all, not the one inside the thought
    server.script(text('<think>so the answer is 9 eggs? hmm', 'length'));
    expect((await createEvaluator(gsm, local(server)).evaluate({ instruction: 'c' }, [janet])).outcomes[0]!.pred).toBeNull();
  });

  it('3. short multiple-choice replies: "A. 6" and a bare lowercase "a"', async () => {
    for (const [i, reply] of ['A. 6', 'a', '(a) 6', 'A)'].entries()) {
      server.script(text(reply));
      const r = await createEvaluator(mmlu, local(server)).evaluate({ instruction: `v${i}` }, [sixQ]);
      expect([reply, r.outcomes[0]!.pred]).toEqual([reply, '(A)']);
    }
    // an article is not a letter
    server.script(text('a number'));
    expect((await createEvaluator(mmlu, local(server)).evaluate({ instruction: 'art' }, [sixQ])).outcomes[0]!.pred).toBeNull();
  });

  it('4. replies cut off at max_tokens: no guessed answer, finish reason kept, counted as truncated', async () => {
    server.script(message({ content: null, reasoning_content: 'Janet has 16 eggs. 16 - 3 = 13, 13 - 4 = 9, 9 * 2 = ' }, { finish: 'length' }));
    const r = await createEvaluator(gsm, local(server)).evaluate(p, [janet]);
    expect(r.outcomes[0]).toMatchObject({ output: '', pred: null, finishReason: 'length' });
    expect(r.truncated).toBe(1);
    server.script(text('She sells 9 eggs. 9 * 2 = 1', 'length'));
    const cut = await createEvaluator(gsm, local(server)).evaluate({ instruction: 'cut' }, [janet]);
    expect(cut.outcomes[0]).toMatchObject({ pred: null, finishReason: 'length' });
    // a complete marked answer before the cut still counts
    server.script(text('So the answer is 18.\nTo check: 9 * 2 = 1', 'length'));
    expect((await createEvaluator(gsm, local(server)).evaluate({ instruction: 'ok' }, [janet])).outcomes[0]!.pred).toBe('18');
  });

  it('5. content as a list of typed parts (thinking + text)', async () => {
    server.script(message({ content: [{ type: 'thinking', thinking: 'the answer is 9 eggs?' }, { type: 'text', text: 'She makes $18.' }] }));
    const llm = local(server);
    const res = await llm.complete({ messages: [{ role: 'user', content: 'q' }] });
    expect(res.choices[0]).toMatchObject({ text: 'She makes $18.', reasoning: 'the answer is 9 eggs?' });
    const r = await createEvaluator(gsm, llm).evaluate(p, [janet]);
    expect(r.outcomes[0]!.pred).toBe('18');
  });
});

describe('accounting and errors (cases 6-9)', () => {
  it('6. a server without usage: tokens are estimated, said so, and a token budget stops the run', async () => {
    for (const usage of [undefined, null]) {
      server.requests.length = 0;
      server.script(message({ content: 'So the answer is 18.' }, { usage }));
      const meter = new UsageMeter();
      const budget = new Budget({ tokens: 3000 });
      const llm = local(server, { budget, usage: meter, concurrency: 8 });
      const res = await llm.complete({ messages: [{ role: 'user', content: 'x'.repeat(400) }] });
      expect(res.usageEstimated).toBe(true);
      expect(res.usage.promptTokens).toBe(104);
      expect(res.usage.completionTokens).toBe(5);
      expect(meter.format()).toMatch(/1 of 1 calls came without usage from the server; their tokens are estimated/);
      const many: Example[] = Array.from({ length: 200 }, (_, i) => ({ ...janet, id: `t${i}`, input: `${janet.input} (${i})` }));
      const err = await createEvaluator(gsm, llm).evaluate(p, many).catch((e) => e);
      expect(err).toBeInstanceOf(BudgetExhausted);
      expect(server.requests.length).toBeLessThan(40); // about 100 estimated tokens a call
      expect(budget.spent.tokens).toBeLessThanOrEqual(3000);
      expect(budget.spent.tokens).toBeGreaterThan(2000);
    }
  });

  it('7. 429 insufficient_quota is final, and the rest of the batch is not sent', async () => {
    server.script({ status: 429, json: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', code: 'insufficient_quota' } } });
    const many: Example[] = Array.from({ length: 50 }, (_, i) => ({ ...janet, id: `q${i}`, input: `${janet.input} [${i}]` }));
    const err = await createEvaluator(gsm, local(server, { concurrency: 2 })).evaluate(p, many).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.retryable).toBe(false);
    expect(err.fatal).toBe(true);
    expect(err.message).toMatch(/exceeded your current quota/);
    expect(server.requests.length).toBeLessThanOrEqual(2);
    // an ordinary rate limit is still retried
    server.requests.length = 0;
    server.script({ status: 429, json: { error: { message: 'Rate limit reached', type: 'requests' } } }, chatReply(['So the answer is 18.']));
    const ok = await local(server).complete({ messages: [{ role: 'user', content: 'rl' }] });
    expect(ok.choices[0]!.text).toMatch(/18/);
    expect(server.requests).toHaveLength(2);
  });

  it("8. vLLM error bodies and errors inside HTTP 200 show the server's message, classified like HTTP errors", async () => {
    server.script({ status: 400, json: { object: 'error', message: "This model's max_tokens=4096 cannot be greater than max_model_len=2048.", type: 'BadRequestError', param: null, code: 400 } });
    const e1 = await local(server).complete({ messages: [{ role: 'user', content: 'a' }] }).catch((e) => e);
    expect(e1).toBeInstanceOf(LLMError);
    expect(e1.message).toMatch(/HTTP 400: .*max_model_len=2048/);
    expect(e1.message).not.toMatch(/no body/);
    expect(server.requests).toHaveLength(1);
    server.requests.length = 0;
    server.script({ json: { object: 'error', message: 'The model `llama-3-8b` does not exist.', type: 'NotFoundError', code: 404 } });
    const e2 = await local(server).complete({ messages: [{ role: 'user', content: 'b' }] }).catch((e) => e);
    expect(e2.message).toMatch(/HTTP 404 in a 200 reply: The model `llama-3-8b` does not exist\./);
    expect(e2.status).toBe(404);
    expect(server.requests).toHaveLength(1);
    // other shapes: FastAPI detail, plain text, an embedded 503 (retried)
    server.script({ status: 422, json: { detail: [{ loc: ['body', 'n'], msg: 'n must be 1' }] } });
    expect((await local(server).complete({ messages: [{ role: 'user', content: 'c' }] }).catch((e) => e)).message).toMatch(/HTTP 422: n must be 1/);
    server.script({ status: 502, raw: '<html><body>Bad Gateway</body></html>' }, { json: { error: { message: 'overloaded', code: 503 } } }, chatReply(['fine']));
    server.requests.length = 0;
    expect((await local(server).complete({ messages: [{ role: 'user', content: 'd' }] })).choices[0]!.text).toBe('fine');
    expect(server.requests).toHaveLength(3);
  });

  it('9. the Hugging Face provider retries a truncated or garbage reply like the OpenAI provider', async () => {
    for (const make of [
      (srv: TestServer) => buildStack(hfProvider({ model: 'org/model', endpointUrl: srv.url }), { retry: { maxAttempts: 3, sleep: noSleep }, timeoutMs: 5000 }),
      (srv: TestServer) => local(srv),
    ]) {
      server.requests.length = 0;
      server.script({ raw: '{"choices": [ oops' }, { raw: 'garbage' }, chatReply(['recovered']));
      const res = await make(server).complete({ messages: [{ role: 'user', content: 'hi' }] });
      expect(res.choices[0]!.text).toBe('recovered');
      expect(server.requests).toHaveLength(3);
    }
  });
});

describe('cache and secrets (cases 10-11)', () => {
  it('10. the cache key holds the endpoint; a shared label shares it on purpose', async () => {
    const cache = CallCache.open(join(dir, 'ep.sqlite'));
    server.script(chatReply(['from server one']));
    other.script(chatReply(['from server two']));
    const ask = { messages: [{ role: 'user' as const, content: 'same question' }] };
    expect((await local(server, { cache }).complete(ask)).choices[0]!.text).toBe('from server one');
    const two = await local(other, { cache }).complete(ask);
    expect(two.choices[0]!.text).toBe('from server two');
    expect(other.requests).toHaveLength(1);
    // serve-sim replays on changing ports: one label, one set of entries
    const a = await local(server, { cache, entry: { cacheEndpoint: 'serve-sim' } }).complete(ask);
    const b = await local(other, { cache, entry: { cacheEndpoint: 'serve-sim' } }).complete(ask);
    expect([a.cached, b.cached, b.choices[0]!.text]).toEqual([undefined, true, 'from server one']);
    cache.close();
  });

  it('11. keys only where needed; echoed keys (plain, quoted, base64) never stored', async () => {
    const KEY = 'sk-proj-ECHOkey0123456789abcdef';
    const env = { OPENAI_API_KEY: KEY };
    const echo: Reply = (req: SeenRequest) => chatReply([`headers: ${JSON.stringify(req.headers)} key ${JSON.stringify(KEY)} b64 ${Buffer.from(`Bearer ${KEY}`).toString('base64')} basic ${Buffer.from(`user:${KEY}`).toString('base64')}`]);
    server.script(echo);
    const cache = CallCache.open(join(dir, 'keys.sqlite'));
    // loopback server, no keyless mark: no key sent
    await local(server, { env, cache }).complete({ messages: [{ role: 'user', content: 'k1' }] });
    // marked keyless
    await local(server, { env, cache, entry: { keyless: true } }).complete({ messages: [{ role: 'user', content: 'k2' }] });
    expect(server.requests.map((r) => r.headers.authorization)).toEqual([undefined, undefined]);
    // a loopback proxy that needs the key: keyless false sends it, and its echo is scrubbed everywhere
    const res = await local(server, { env, cache, entry: { keyless: false } }).complete({ messages: [{ role: 'user', content: 'k3' }] });
    expect(server.requests[2]!.headers.authorization).toBe(`Bearer ${KEY}`);
    const r = await createEvaluator(gsm, local(server, { env, cache, entry: { keyless: false } })).evaluate(p, [janet]);
    cache.close();
    const stored = readdirSync(dir).filter((f) => f.startsWith('keys')).map((f) => readFileSync(join(dir, f)).toString('latin1')).join('');
    for (const form of [KEY, Buffer.from(`Bearer ${KEY}`).toString('base64'), Buffer.from(`user:${KEY}`).toString('base64').slice(8)]) {
      expect(res.choices[0]!.text).not.toContain(form);
      expect(JSON.stringify(r.outcomes)).not.toContain(form);
      expect(stored).not.toContain(form);
    }
    expect(stored).toContain('headers:');
  });
});
