import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UserError, BudgetExhausted } from '../core/errors.js';
import { Budget } from '../core/budget.js';
import { SimWorld } from '../sim/index.js';
import { loadConfig, parseConfigYaml, defaultConfig } from './config.js';
import { lookupModel, resolveModel, knownModelNames, openCache } from './registry.js';
import { UsageMeter } from './meter.js';
import { chatReply, startServer, type TestServer } from './testdata/server.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'popbench-registry-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The UserError a function throws (fails the test if it throws nothing or something else). */
function userError(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    expect((e as Error).message).not.toContain('\n');
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('model lookup', () => {
  it('knows every sim model and the provider prefixes', () => {
    for (const m of ['sim-1b', 'sim-8b', 'sim-70b', 'sim-opt-small', 'sim-opt-large']) expect(lookupModel(m).provider).toBe('sim');
    expect(lookupModel('openai:gpt-4o-mini', defaultConfig(), {})).toMatchObject({ provider: 'openai', model: 'gpt-4o-mini', keyless: false });
    expect(lookupModel('openai:llama3', defaultConfig(), { OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' })).toMatchObject({
      baseURL: 'http://127.0.0.1:11434/v1',
      keyless: true,
    });
    expect(lookupModel('hf:meta-llama/Llama-3.1-8B-Instruct')).toMatchObject({ provider: 'hf', model: 'meta-llama/Llama-3.1-8B-Instruct' });
  });

  it('rejects an unknown model with a one-line UserError listing known names', () => {
    const config = parseConfigYaml('models:\n  - { name: my-vllm, provider: openai, baseURL: "http://127.0.0.1:8000/v1", keyless: true }\n');
    const err = userError(() => resolveModel('gpt-5', { config }));
    expect(err.message).toMatch(/^unknown model "gpt-5"; known: /);
    for (const name of ['my-vllm', 'sim-8b', 'sim-opt-large', 'openai:<model>']) expect(err.message).toContain(name);
    expect(knownModelNames(config)[0]).toBe('my-vllm');
  });

  it('requires the API key of a real provider', () => {
    const err = userError(() => resolveModel('openai:gpt-4o-mini', { env: {} }));
    expect(err.message).toBe('missing API key: set OPENAI_API_KEY (model openai:gpt-4o-mini)');
    expect(userError(() => resolveModel('hf:org/m', { env: {} })).message).toBe('missing API key: set HF_TOKEN (model hf:org/m)');
    const config = parseConfigYaml('models:\n  - { name: team, provider: openai, model: gpt-4o, apiKeyEnv: TEAM_KEY }\n');
    expect(userError(() => resolveModel('team', { config, env: { OPENAI_API_KEY: 'sk-other-key' } })).message).toBe(
      'missing API key: set TEAM_KEY (model team)',
    );
    expect(resolveModel('team', { config, env: { TEAM_KEY: 'sk-team-key' } }).model).toBe('gpt-4o');
  });
});

describe('config file', () => {
  it('names file, line and field for an invalid value', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'maxAttempts: 3\nmodels:\n  - name: a\n    provider: azure\n');
    const err = userError(() => loadConfig(file));
    expect(err.message).toMatch(/^.*bad\.yaml:4: invalid config field models\.0\.provider: /);
  });

  it('rejects unknown fields, bad YAML, duplicates and a missing explicit file', () => {
    expect(userError(() => parseConfigYaml('cache:\n  pth: x\n', 'c.yaml')).message).toBe('c.yaml:2: invalid config field cache.pth: unknown field');
    expect(userError(() => parseConfigYaml('models: [\n', 'c.yaml')).message).toMatch(/^c\.yaml:\d+: invalid YAML/);
    expect(userError(() => parseConfigYaml('maxAttempts: 0\n', 'c.yaml')).message).toMatch(/^c\.yaml:1: invalid config field maxAttempts/);
    const dup = 'models:\n  - { name: x, provider: sim, model: sim-8b }\n  - { name: x, provider: sim, model: sim-1b }\n';
    expect(userError(() => parseConfigYaml(dup, 'c.yaml')).message).toMatch(/^c\.yaml:3: .*duplicate model name "x"/);
    expect(userError(() => loadConfig(join(dir, 'nope.yaml'))).message).toMatch(/^config file not found: /);
  });

  it('reads popbench.config.yaml from the working directory, else uses defaults', () => {
    expect(loadConfig(undefined, dir)).toEqual(defaultConfig());
    expect(defaultConfig()).toMatchObject({ maxAttempts: 5, maxRetryAfterMs: 30_000, cache: { path: '.popbench/cache.sqlite', mode: 'read-write' } });
    const sub = mkdtempSync(join(dir, 'cwd-'));
    writeFileSync(join(sub, 'popbench.config.yaml'), 'maxRetryAfterMs: 1000\nprices:\n  "openai:gpt-4o-mini": { input: 0.15, output: 0.6 }\n');
    const c = loadConfig(undefined, sub);
    expect(c.maxRetryAfterMs).toBe(1000);
    expect(c.prices['openai:gpt-4o-mini']).toEqual({ input: 0.15, output: 0.6 });
  });
});

describe('resolveModel', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('builds a sim model with metering and budget', async () => {
    const world = new SimWorld();
    const usage = new UsageMeter();
    const budget = new Budget({ targetCalls: 1 });
    const llm = resolveModel('sim-8b', { world, usage, budget });
    expect(llm.provider).toBe('sim');
    await llm.complete({ messages: [{ role: 'user', content: 'hello' }] });
    await expect(llm.complete({ messages: [{ role: 'user', content: 'again' }] })).rejects.toBeInstanceOf(BudgetExhausted);
    expect(usage.snapshot().byModel['sim/sim-8b']).toMatchObject({ calls: 1, costUsd: 0 });
  });

  it('builds a configured keyless OpenAI-compatible model with its price and the cache', async () => {
    server.script(chatReply(['served']));
    const config = parseConfigYaml(
      `cache: { path: ${JSON.stringify(join(dir, 'r.sqlite'))} }\nmodels:\n  - name: local\n    provider: openai\n    model: served-model\n    baseURL: "${server.url}/v1"\n    keyless: true\n    price: { input: 1, output: 2 }\n`,
    );
    const cache = openCache(config);
    const usage = new UsageMeter();
    const llm = resolveModel('local', { config, usage, cache, env: {} });
    const a = await llm.complete({ messages: [{ role: 'user', content: 'x' }], role: 'optimizer' });
    const b = await llm.complete({ messages: [{ role: 'user', content: 'x' }], role: 'optimizer' });
    expect(a.choices[0]!.text).toBe('served');
    expect(b.cached).toBe(true);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]!.body.model).toBe('served-model');
    expect(usage.snapshot().byRole.optimizer).toMatchObject({ calls: 2, cachedCalls: 1, costUsd: (11 * 1 + 7 * 2) / 1e6 });
    cache.close();
    // Offline replay of the same run from the cache file alone.
    const replay = openCache(config, { offline: true });
    const again = await resolveModel('local', { config, cache: replay, env: {} }).complete({ messages: [{ role: 'user', content: 'x' }] });
    expect(again.choices[0]!.text).toBe('served');
    expect(server.requests).toHaveLength(1);
    replay.close();
  });
});
