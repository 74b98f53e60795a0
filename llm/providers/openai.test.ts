import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LLMError } from '../../core/errors.js';
import type { LLMRequest } from '../../core/types.js';
import { openaiProvider } from './openai.js';
import { buildStack } from '../stack.js';
import { CallCache } from '../cache.js';
import { UsageMeter } from '../meter.js';
import type { Sleep } from '../retry.js';
import { chatReply, startServer, type TestServer } from '../testdata/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.requests.length = 0;
});

const SECRET = 'sk-test-SECRET123';
const ask: LLMRequest = { messages: [{ role: 'user', content: 'What is 2+2?' }] };

/** Records every backoff delay and waits 1 ms for real. */
function recorder() {
  const delays: number[] = [];
  const sleep: Sleep = async (ms) => {
    delays.push(ms);
    await new Promise((r) => setTimeout(r, 1));
  };
  return { delays, sleep };
}

function stacked(opts: { maxAttempts?: number; maxRetryAfterMs?: number; timeoutMs?: number; sleep?: Sleep; apiKey?: string } = {}) {
  const provider = openaiProvider({ model: 'test-model', baseURL: `${server.url}/v1`, apiKey: opts.apiKey ?? SECRET });
  return buildStack(provider, {
    retry: { maxAttempts: opts.maxAttempts ?? 4, maxRetryAfterMs: opts.maxRetryAfterMs, sleep: opts.sleep ?? recorder().sleep },
    timeoutMs: opts.timeoutMs ?? 5_000,
  });
}

describe('openai provider over HTTP', () => {
  it('sends a request with a raw prompt to /v1/completions, with no chat template, and reads choices[].text', async () => {
    server.script({
      json: { id: 'c', object: 'text_completion', model: 'm', choices: [{ index: 0, text: ' Rewritten.', finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } },
    });
    const llm = stacked();
    const res = await llm.complete({ messages: [{ role: 'user', content: 'ignored' }], prompt: '[INST] raw [/INST]', temperature: 0.6, topP: 0.9, maxTokens: 16 });
    const seen = server.requests[0]!;
    expect(seen.url).toBe('/v1/completions');
    expect(seen.body).toMatchObject({ model: 'test-model', prompt: '[INST] raw [/INST]', temperature: 0.6, top_p: 0.9, max_tokens: 16 });
    expect(seen.body.messages).toBeUndefined();
    expect(res.choices[0]!.text).toBe(' Rewritten.');
    expect(res.usage).toEqual({ promptTokens: 3, completionTokens: 2 });
  });

  it('maps the request to chat.completions and the reply back, keeping sim annotations', async () => {
    server.script(chatReply(['first', 'second'], [{ sim: { trueCause: 'FORMAT' } }, { popbench: { x: 1 }, other: 'dropped' }]));
    const llm = stacked();
    const res = await llm.complete({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.5,
      topP: 0.9,
      maxTokens: 64,
      stop: ['\n\n'],
      n: 2,
      seed: 7,
      role: 'optimizer',
      sampleIndex: 3,
    });
    expect(server.requests).toHaveLength(1);
    const seen = server.requests[0]!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(seen.body).toMatchObject({
      model: 'test-model',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      temperature: 0.5,
      top_p: 0.9,
      max_tokens: 64,
      stop: ['\n\n'],
      n: 2,
      seed: 7,
    });
    expect(seen.body).not.toHaveProperty('role');
    expect(seen.body).not.toHaveProperty('sampleIndex');
    expect(res.choices.map((c) => c.text)).toEqual(['first', 'second']);
    expect(res.choices[0]!.annotations).toEqual({ sim: { trueCause: 'FORMAT' } });
    expect(res.choices[1]!.annotations).toEqual({ popbench: { x: 1 } });
    expect(res.choices[0]!.finishReason).toBe('stop');
    expect(res.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
  });

  it('retries a 429 after the retry-after delay, capped by maxRetryAfterMs', async () => {
    server.script({ status: 429, headers: { 'retry-after': '120' }, json: { error: { message: 'slow down' } } }, chatReply(['ok']));
    const { delays, sleep } = recorder();
    const res = await stacked({ sleep, maxRetryAfterMs: 40 }).complete(ask);
    expect(res.choices[0]!.text).toBe('ok');
    expect(server.requests).toHaveLength(2);
    expect(delays).toEqual([40]);
  });

  it('honours retry-after-ms and retry-after below the cap exactly', async () => {
    server.script({ status: 429, headers: { 'retry-after-ms': '7' }, json: {} }, { status: 429, headers: { 'retry-after': '0.02' }, json: {} }, chatReply(['ok']));
    const { delays, sleep } = recorder();
    await stacked({ sleep }).complete(ask);
    expect(delays).toEqual([7, 20]);
  });

  it('retries a 500 then succeeds', async () => {
    server.script({ status: 500, json: { error: { message: 'oops' } } }, chatReply(['fine']));
    const { delays, sleep } = recorder();
    const res = await stacked({ sleep }).complete(ask);
    expect(res.choices[0]!.text).toBe('fine');
    expect(server.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
  });

  it('times out a hanging attempt and succeeds on the next one', async () => {
    server.script('hang', chatReply(['late but fine']));
    const { delays, sleep } = recorder();
    const res = await stacked({ sleep, timeoutMs: 150 }).complete(ask);
    expect(res.choices[0]!.text).toBe('late but fine');
    expect(server.requests).toHaveLength(2);
    expect(delays).toHaveLength(1);
  });

  it('retries a malformed JSON reply and gives a clear final error when it persists', async () => {
    server.script({ raw: '{"choices": [ oops' }, chatReply(['recovered']));
    const ok = await stacked().complete(ask);
    expect(ok.choices[0]!.text).toBe('recovered');
    expect(server.requests).toHaveLength(2);
    const before = server.requests.length;
    server.script({ raw: '{"choices": [ oops' }, { raw: 'garbage' }, { raw: '{"cho' });
    const err = await stacked({ maxAttempts: 3 }).complete(ask).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.message).toMatch(/malformed (JSON|reply)/);
    expect(err.message).toContain('test-model');
    expect(server.requests.length - before).toBe(3);
  });

  it('rejects a reply without choices', async () => {
    server.script({ json: { id: 'x', model: 'm', usage: {} } });
    const err = await stacked().complete(ask).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.message).toMatch(/missing choices/);
  });

  it('surfaces a persistent failure as an LLMError naming provider, model, status and attempts', async () => {
    server.script({ status: 503, json: { error: { message: 'overloaded' } } });
    const err = await stacked({ maxAttempts: 3 }).complete(ask).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.status).toBe(503);
    expect(err.message).toMatch(/openai/);
    expect(err.message).toMatch(/test-model/);
    expect(err.message).toMatch(/503/);
    expect(err.message).toMatch(/3 attempts/);
    expect(server.requests).toHaveLength(3);
  });

  it('does not retry a final 4xx', async () => {
    server.script({ status: 400, json: { error: { message: 'bad request' } } });
    const err = await stacked().complete(ask).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.status).toBe(400);
    expect(server.requests).toHaveLength(1);
  });

  it('never lets the API key reach error messages, the cache file or usage output', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'popbench-key-'));
    try {
      const cache = CallCache.open(join(dir, 'cache.sqlite'));
      const meter = new UsageMeter();
      const llm = buildStack(openaiProvider({ model: 'test-model', baseURL: `${server.url}/v1`, apiKey: SECRET }), {
        cache,
        meter,
        price: { input: 1, output: 2 },
        retry: { maxAttempts: 2, sleep: recorder().sleep },
      });
      // A server that echoes the credentials back in its error text.
      server.script({ status: 401, json: { error: { message: `invalid key ${SECRET} (Authorization: Bearer ${SECRET})` } } });
      const err = await llm.complete(ask).catch((e) => e);
      expect(err).toBeInstanceOf(LLMError);
      expect(err.status).toBe(401);
      expect(err.message).toMatch(/invalid key/);
      expect(err.message).not.toContain(SECRET);
      expect(String(err.stack)).not.toContain(SECRET);

      server.script(chatReply(['stored answer']));
      await llm.complete(ask);
      await llm.complete({ ...ask, sampleIndex: 1 });
      expect(server.requests.every((r) => r.headers.authorization === `Bearer ${SECRET}`)).toBe(true);
      expect(cache.size()).toBe(2);
      const bytes = readdirSync(dir)
        .map((f) => readFileSync(join(dir, f)).toString('latin1'))
        .join('');
      expect(bytes).toContain('stored answer'); // the entries are really in these files
      expect(bytes).not.toContain(SECRET);
      cache.close();
      const usage = meter.format() + JSON.stringify(meter.snapshot());
      expect(usage).toMatch(/2 calls \(0 from cache, 1 failed\)/);
      expect(usage).not.toContain(SECRET);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works keyless against a local server', async () => {
    server.script(chatReply(['hi']));
    const llm = openaiProvider({ model: 'local', baseURL: `${server.url}/v1` });
    const res = await llm.complete(ask);
    expect(res.choices[0]!.text).toBe('hi');
  });

  it('keeps at most `connections` keep-alive connections to the server and reuses them', async () => {
    const { createServer } = await import('node:http');
    let sockets = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const srv = createServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      req.resume();
      req.on('end', () =>
        setTimeout(() => {
          inFlight--;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify((chatReply(['ok']) as { json: unknown }).json));
        }, 5),
      );
    });
    srv.on('connection', () => sockets++);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const { port } = srv.address() as import('node:net').AddressInfo;
      const llm = openaiProvider({ model: 'local', baseURL: `http://127.0.0.1:${port}/v1`, connections: 3 });
      const replies = await Promise.all(Array.from({ length: 12 }, (_, i) => llm.complete({ ...ask, sampleIndex: i })));
      expect(replies.every((r) => r.choices[0]!.text === 'ok')).toBe(true);
      expect(maxInFlight).toBe(3);
      expect(sockets).toBe(3);
      await llm.complete(ask);
      expect(sockets).toBe(3); // reused, not reopened
    } finally {
      srv.closeAllConnections();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('a refused connection is a retryable connection error naming the cause', async () => {
    const { createServer } = await import('node:net');
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as import('node:net').AddressInfo;
    await new Promise<void>((r) => probe.close(() => r()));
    const llm = openaiProvider({ model: 'local', baseURL: `http://127.0.0.1:${port}/v1` });
    const err = await llm.complete(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect((err as LLMError).retryable).toBe(true);
    expect((err as LLMError).message).toMatch(/^openai local: connection error: .*ECONNREFUSED/);
  });
});

describe('logprobs passthrough', () => {
  const chatLogprobs = {
    content: [
      { token: 'Paris', logprob: -0.01, bytes: [80], top_logprobs: [{ token: 'Paris', logprob: -0.01 }, { token: 'Lyon', logprob: -4.6 }] },
      { token: '.', logprob: -0.2, bytes: [46], top_logprobs: [] },
    ],
  };

  it('chat: sends logprobs and top_logprobs and returns the tokens in the reply', async () => {
    server.script({ json: { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, logprobs: chatLogprobs, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } } });
    const llm = stacked();
    const res = await llm.complete({ ...ask, logprobs: true, topLogprobs: 2 });
    expect(server.requests[0]!.body).toMatchObject({ logprobs: true, top_logprobs: 2 });
    expect(res.choices[0]!.logprobs).toEqual([
      { token: 'Paris', logprob: -0.01, top: [{ token: 'Paris', logprob: -0.01 }, { token: 'Lyon', logprob: -4.6 }] },
      { token: '.', logprob: -0.2 },
    ]);
  });

  it('completions with echo (APE likelihood): logprobs is the number of alternatives; prompt tokens, offsets and a null first log-probability are kept', async () => {
    server.script({
      json: {
        object: 'text_completion',
        choices: [{ index: 0, text: '\nOutput: 18', finish_reason: 'length', logprobs: { tokens: ['\n', 'Output', ':', ' 18'], token_logprobs: [null, -3.5, -0.1, -1.25], top_logprobs: [null, { Output: -3.5 }, { ':': -0.1 }, { ' 18': -1.25 }], text_offset: [0, 1, 7, 8] } }],
        usage: { prompt_tokens: 4, completion_tokens: 0 },
      },
    });
    const llm = stacked();
    const res = await llm.complete({ messages: [], prompt: '\nOutput: 18', logprobs: true, topLogprobs: 1, echo: true, maxTokens: 0 });
    const body = server.requests[0]!.body;
    expect(server.requests[0]!.url).toBe('/v1/completions');
    expect(body).toMatchObject({ prompt: '\nOutput: 18', logprobs: 1, echo: true, max_tokens: 0 });
    expect(body.top_logprobs).toBeUndefined();
    const lp = res.choices[0]!.logprobs!;
    expect(lp.map((t) => [t.token, t.logprob, t.offset])).toEqual([
      ['\n', null, 0],
      ['Output', -3.5, 1],
      [':', -0.1, 7],
      [' 18', -1.25, 8],
    ]);
    expect(lp[3]!.top).toEqual([{ token: ' 18', logprob: -1.25 }]);
  });

  it('a server that ignores the field: the reply has no logprobs, and nothing fails', async () => {
    server.script(chatReply(['Paris.']));
    const res = await stacked().complete({ ...ask, logprobs: true });
    expect(res.choices[0]!.text).toBe('Paris.');
    expect(res.choices[0]!.logprobs).toBeUndefined();
  });

  it('not asked for: no field is sent, and logprobs a server sends anyway are not kept', async () => {
    server.script({ json: { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, logprobs: chatLogprobs, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } } });
    const res = await stacked().complete(ask);
    expect(server.requests[0]!.body.logprobs).toBeUndefined();
    expect(server.requests[0]!.body.top_logprobs).toBeUndefined();
    expect(res.choices[0]!.logprobs).toBeUndefined();
  });

  it('logprobs of a shape no server sends are a malformed reply', async () => {
    server.script({ json: { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'x' }, logprobs: { content: [{ token: 'x', logprob: 'high' }] } }], usage: { prompt_tokens: 1, completion_tokens: 1 } } });
    await expect(stacked({ maxAttempts: 1 }).complete({ ...ask, logprobs: true })).rejects.toThrow(/malformed reply: choices\[0\]\.logprobs/);
  });

  it('the cache key holds the logprobs request; a cached reply replays its logprobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pb-lp-'));
    try {
      server.script({ json: { object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Paris.' }, logprobs: chatLogprobs, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 2 } } });
      const cache = CallCache.open(join(dir, 'c.sqlite'));
      const provider = openaiProvider({ model: 'test-model', baseURL: `${server.url}/v1`, apiKey: SECRET });
      const llm = buildStack(provider, { cache, timeoutMs: 5_000 });
      const plain = await llm.complete(ask);
      const withLp = await llm.complete({ ...ask, logprobs: true, topLogprobs: 2 });
      const fewerTop = await llm.complete({ ...ask, logprobs: true, topLogprobs: 1 });
      expect(server.requests).toHaveLength(3); // three different keys
      expect(plain.choices[0]!.logprobs).toBeUndefined();
      const again = await llm.complete({ ...ask, logprobs: true, topLogprobs: 2 });
      expect(server.requests).toHaveLength(3);
      expect(again.cached).toBe(true);
      expect(again.choices[0]!.logprobs).toEqual(withLp.choices[0]!.logprobs);
      expect(fewerTop.cached).toBeFalsy();
      cache.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
