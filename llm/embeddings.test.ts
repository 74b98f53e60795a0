import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LLMError, UserError } from '../core/errors.js';
import { openaiEmbeddings, resolveEmbedder } from './embeddings.js';
import { startServer, type TestServer } from './testdata/server.js';
import { parseConfig } from './config.js';

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

describe('OpenAI-compatible embeddings', () => {
  it('posts every text to /embeddings and returns the vectors in input order', async () => {
    server.script({
      json: {
        object: 'list',
        model: 'emb',
        data: [
          { object: 'embedding', index: 1, embedding: [0, 1] },
          { object: 'embedding', index: 0, embedding: [1, 0] },
        ],
        usage: { prompt_tokens: 4, total_tokens: 4 },
      },
    });
    const e = openaiEmbeddings({ model: 'emb', baseURL: `${server.url}/v1`, apiKey: 'k' });
    expect(await e.embed(['first', 'second'])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(server.requests[0]!.url).toBe('/v1/embeddings');
    expect(server.requests[0]!.body).toMatchObject({ model: 'emb', input: ['first', 'second'] });
    expect(await e.embed([])).toEqual([]);
  });
  it('rejects a reply with the wrong number of vectors, naming the model', async () => {
    server.script({ json: { data: [{ index: 0, embedding: [1] }] } });
    const e = openaiEmbeddings({ model: 'emb', baseURL: `${server.url}/v1`, apiKey: 'k' });
    await expect(e.embed(['a', 'b'])).rejects.toThrow(LLMError);
    await expect(e.embed(['a', 'b'])).rejects.toThrow(/embeddings emb: malformed reply/);
  });
  it('resolves only OpenAI-compatible models', () => {
    const config = parseConfig({ models: [{ name: 'local-emb', provider: 'openai', model: 'bge', baseURL: 'http://127.0.0.1:9/v1', keyless: true }] });
    expect(resolveEmbedder('local-emb', { config, env: {} }).model).toBe('bge');
    expect(() => resolveEmbedder('sim-8b', { config, env: {} })).toThrow(UserError);
  });
});
