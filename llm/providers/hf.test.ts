import { describe, it, expect, beforeAll, afterAll, beforeEach } from 'vitest';
import { LLMError } from '../../core/errors.js';
import type { LLMRequest } from '../../core/types.js';
import { hfProvider, type HFChatClient } from './hf.js';
import { buildStack } from '../stack.js';
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

const TOKEN = 'hf_test_SECRET456';
const ask: LLMRequest = { messages: [{ role: 'user', content: 'Name a colour.' }], maxTokens: 16, temperature: 0.3, seed: 1 };

function stacked(sleep: Sleep, maxAttempts = 3) {
  return buildStack(hfProvider({ model: 'org/model', endpointUrl: server.url, accessToken: TOKEN }), {
    retry: { maxAttempts, maxRetryAfterMs: 25, sleep },
    timeoutMs: 5_000,
  });
}

describe('hf provider', () => {
  it('talks to an endpointUrl with the chat completion format', async () => {
    server.script(chatReply(['blue'], [{ sim: { trueCause: 'NONE' } }]));
    const res = await stacked(async () => {}).complete(ask);
    expect(server.requests).toHaveLength(1);
    const seen = server.requests[0]!;
    expect(seen.url).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen.body).toMatchObject({ messages: [{ role: 'user', content: 'Name a colour.' }], max_tokens: 16, temperature: 0.3, seed: 1 });
    expect(res.choices[0]!.text).toBe('blue');
    expect(res.choices[0]!.annotations).toEqual({ sim: { trueCause: 'NONE' } });
    expect(res.usage).toEqual({ promptTokens: 11, completionTokens: 7 });
  });

  it('retries 429 with a capped retry-after and 5xx, then succeeds', async () => {
    server.script(
      { status: 429, headers: { 'retry-after': '90' }, json: { error: 'rate limited' } },
      { status: 503, json: { error: 'loading' } },
      chatReply(['green']),
    );
    const delays: number[] = [];
    const res = await stacked(async (ms) => {
      delays.push(ms);
    }).complete(ask);
    expect(res.choices[0]!.text).toBe('green');
    expect(server.requests).toHaveLength(3);
    expect(delays[0]).toBe(25);
    expect(delays).toHaveLength(2);
  });

  it('treats 401 as final and keeps the token out of the message', async () => {
    server.script({ status: 401, json: { error: `token ${TOKEN} is invalid` } });
    const err = await stacked(async () => {}).complete(ask).catch((e) => e);
    expect(err).toBeInstanceOf(LLMError);
    expect(err.status).toBe(401);
    expect(err.message).toMatch(/is invalid/);
    expect(err.message).not.toContain(TOKEN);
    expect(server.requests).toHaveLength(1);
  });

  it('maps requests for an injected client and rejects replies without choices', async () => {
    const seen: Record<string, unknown>[] = [];
    const client: HFChatClient = {
      async chatCompletion(args) {
        seen.push(args);
        return { model: 'org/model', choices: [] };
      },
    };
    const llm = hfProvider({ model: 'org/model', client });
    const err = await llm.complete({ ...ask, topP: 0.5, stop: ['END'], n: 2 }).catch((e) => e);
    expect(seen[0]).toMatchObject({ model: 'org/model', top_p: 0.5, stop: ['END'], n: 2, max_tokens: 16 });
    expect(seen[0]).not.toHaveProperty('endpointUrl');
    expect(err).toBeInstanceOf(LLMError);
    expect(err.message).toMatch(/missing choices/);
  });
});
