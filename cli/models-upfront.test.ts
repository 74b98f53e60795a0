/**
 * Models are checked before any work: a sim optimizer model given as a target,
 * a missing API key, and `--offline` (what it means for sim models).
 */
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, popbenchInProcess } from './testing.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'pb-models-'));

/** Run in-process with environment variables set or removed, restored after. */
async function withEnv(env: Record<string, string | undefined>, args: string[]) {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return await popbenchInProcess(args);
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

const suite = (targets: string) => `name: upfront
seeds: [0]
tasks: [like/navigate?size=10]
targets: [${targets}]
optimizers:
  - name: empty
budget: { mode: equal, targetCalls: 10, optimizerCalls: 5 }
testLimit: 5
`;

describe('a sim optimizer model is not a target', () => {
  it('optimize --target, eval --model and a suite target are refused before any work', async () => {
    expectOneLineError(
      await popbenchInProcess(['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--target', 'sim-opt-large', '--no-cache']),
      /--target: sim-opt-large is a sim optimizer model, which writes prompts and cannot answer task questions; use a sim target \(sim-1b, sim-8b, sim-70b\)/,
    );
    expectOneLineError(await popbenchInProcess(['eval', '--task', 'like/gsm', '--model', 'sim-opt-small', '--limit', '2', '--no-cache']), /--model: sim-opt-small is a sim optimizer model/);
    const dir = tmp();
    const file = path.join(dir, 's.yaml');
    writeFileSync(file, suite('sim-8b, sim-opt-large'));
    expectOneLineError(await popbenchInProcess(['run', file, '--out', path.join(dir, 'run'), '--no-cache']), /s\.yaml:\d+: targets\.1: target: sim-opt-large is a sim optimizer model/);
    expect(existsSync(path.join(dir, 'run'))).toBe(false);
  });
});

describe('API keys are checked before a run starts', () => {
  it('run: a suite with an OpenAI target and no key creates no cell folder', async () => {
    const dir = tmp();
    const file = path.join(dir, 'nokey.yaml');
    writeFileSync(file, suite('openai:gpt-4o-mini'));
    const out = path.join(dir, 'run');
    const r = await withEnv({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, ['run', file, '--out', out, '--no-cache']);
    expectOneLineError(r, /missing API key: set OPENAI_API_KEY \(model openai:gpt-4o-mini\)/);
    expect(existsSync(path.join(out, 'cells')) ? readdirSync(path.join(out, 'cells')) : []).toEqual([]);
  });

  it('optimize: a missing key for the optimizer model is named before the search', async () => {
    const r = await withEnv({ OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined }, [
      'optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--optimizer-model', 'openai:gpt-4o', '--no-cache',
    ]);
    expectOneLineError(r, /missing API key: set OPENAI_API_KEY \(model openai:gpt-4o\)/);
    expect(r.stdout).toBe('');
  });
});

describe('--offline', () => {
  it('sim models are local computations: they answer offline, and no cache file is created', async () => {
    const dir = tmp();
    const cache = path.join(dir, 'new.sqlite');
    const r = await popbenchInProcess(['eval', '--task', 'like/gsm', '--limit', '3', '--offline', '--cache', cache]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/accuracy .*\(\d\/3\)/);
    expect(existsSync(cache)).toBe(false);
  });

  it('an endpoint model offline with a cache file that does not exist is one line', async () => {
    const dir = tmp();
    const r = await withEnv({ OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: undefined }, [
      'eval', '--task', 'like/gsm', '--limit', '2', '--model', 'openai:gpt-4o-mini', '--offline', '--cache', path.join(dir, 'new.sqlite'),
    ]);
    expectOneLineError(r, /cache file not found for offline replay/);
  });

  it('--offline --no-cache is refused', async () => {
    for (const cmd of [
      ['eval', '--task', 'like/gsm', '--limit', '3'],
      ['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20'],
      ['run', path.resolve(import.meta.dirname, '../benchmarks/suites/smoke.yaml'), '--out', path.join(tmp(), 'r')],
    ])
      expectOneLineError(await popbenchInProcess([...cmd, '--offline', '--no-cache']), /--offline and --no-cache: offline replay answers calls from the call cache; drop one of them/);
  });
});
