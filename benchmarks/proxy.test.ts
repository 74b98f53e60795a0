/**
 * The metering proxy with a client written as an external program would be:
 * the `openai` package, its own meta-prompt and scoring loop. The proxy sits
 * in front of serve-sim (the target and optimizer are `openai:` models at a
 * loopback URL), so every call crosses two real HTTP hops.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Session } from './session.js';
import { buildReport } from '../reports/index.js';
import { SimWorld } from '../sim/index.js';
import { startSimServer, type SimServer } from '../sim/server.js';
import { loadTask } from '../tasks/registry.js';
import { startProxy } from './proxy.js';
import { readResults, runSuite } from './runner.js';
import { expandCells, parseSuiteYaml } from './suite.js';

const TASK = 'like/navigate?size=20';
const suite = parseSuiteYaml(`
name: proxy-test
seeds: [0]
tasks: ['${TASK}']
targets: [openai:sim-8b]
optimizerModel: openai:sim-opt-large
optimizers:
  - name: zero-shot-cot
  - name: external
    label: mini-loop
    options: { client: 'proxy.test.ts loop (openai package)' }
budget: { mode: equal, targetCalls: 30, optimizerCalls: 4 }
testLimit: 10
`);

let sim: SimServer;
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-proxy-${p}-`));
beforeAll(async () => {
  const world = new SimWorld();
  world.register(loadTask(TASK));
  sim = await startSimServer({ world });
  process.env.OPENAI_BASE_URL = sim.url;
});
afterAll(async () => {
  delete process.env.OPENAI_BASE_URL;
  await sim.close();
});

interface ClientLog {
  ok: { target: number; optimizer: number };
  refused: Array<{ status: number | undefined; message: string }>;
  best: string;
}

/** An external-style search: propose with the optimizer model, score on 5 train questions, until the budget says no. */
async function miniLoop(baseURL: string, target: string, optimizer: string): Promise<ClientLog> {
  const client = new OpenAI({ baseURL, apiKey: 'unused', maxRetries: 0 });
  const train = loadTask(TASK).splits.train.slice(0, 5);
  const log: ClientLog = { ok: { target: 0, optimizer: 0 }, refused: [], best: '' };
  let bestScore = -1;
  const history: Array<[string, number]> = [];
  try {
    for (;;) {
      const meta =
        'Your task is to generate the instruction <INS>. Below are some previous instructions with their scores.\n\n' +
        history.map(([t, s]) => `text:\n${t}\nscore:\n${s}`).join('\n\n') +
        `\n\nThe following exemplars show how to apply your text:\ninput:\nQ: <INS>\n${train[0]!.input}\nA:\noutput:\n${train[0]!.target}\n\n` +
        'Write your new text that is different from the old ones and has a score as high as possible. Write the text in square brackets.';
      const r = await client.chat.completions.create({ model: optimizer, messages: [{ role: 'user', content: meta }], temperature: 1 });
      log.ok.optimizer++;
      const text = /\[([^\]]+)\]/.exec(r.choices[0]!.message.content ?? '')?.[1] ?? (r.choices[0]!.message.content ?? '').trim();
      let correct = 0;
      for (const ex of train) {
        const a = await client.chat.completions.create({ model: target, messages: [{ role: 'user', content: `${text}\n\nQ: ${ex.input}\nA:` }], temperature: 0 });
        log.ok.target++;
        if ((a.choices[0]!.message.content ?? '').includes(ex.target)) correct++;
      }
      history.push([text, correct]);
      if (correct > bestScore) [bestScore, log.best] = [correct, text];
    }
  } catch (err) {
    if (!(err instanceof OpenAI.APIError)) throw err;
    log.refused.push({ status: err.status, message: err.message });
  }
  return log;
}

describe('popbench proxy', () => {
  it('meters an external loop, stops it cleanly at the budget, and its cell sits beside native cells in the report', async () => {
    const out = tmp('run');
    const session = new Session({ cache: false, seed: 0 });
    try {
      const native = await runSuite(suite, { out, session });
      const ext = expandCells(suite).find((c) => c.optimizer === 'external')!;
      expect(native.external).toEqual([ext.id]);
      expect(native.ran).toHaveLength(1);

      const proxy = await startProxy({ suite, cellId: ext.id, out, session });
      const log = await miniLoop(proxy.url, 'target', 'optimizer');
      // The budget stopped the loop with one clear, non-retried error.
      expect(log.refused).toHaveLength(1);
      expect(log.refused[0]!.status).toBe(402);
      expect(log.refused[0]!.message).toMatch(/budget exhausted: (target|optimizer) calls \d+\/\d+/);
      expect(log.ok.target).toBeLessThanOrEqual(30);
      expect(log.ok.optimizer).toBeLessThanOrEqual(4);

      const fin = await fetch(proxy.url.replace(/\/v1$/, '/popbench/finish'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instruction: log.best }),
      });
      expect(fin.status).toBe(200);
      const body = (await fin.json()) as { test: { n: number } };
      expect(body.test.n).toBe(10);
      const cell = await proxy.done;
      await proxy.close();

      // The recorded cell equals the calls made.
      const events = readFileSync(path.join(out, 'cells', ext.id, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; role?: string; status?: string });
      const calls = events.filter((e) => e.type === 'call');
      expect(calls.filter((e) => e.status === 'ok' && e.role === 'target')).toHaveLength(log.ok.target);
      expect(calls.filter((e) => e.status === 'ok' && e.role === 'optimizer')).toHaveLength(log.ok.optimizer);
      expect(calls.filter((e) => e.status === 'budget')).toHaveLength(1);
      expect(cell.spent.targetCalls).toBe(log.ok.target);
      expect(cell.spent.optimizerCalls).toBe(log.ok.optimizer);
      expect(cell.stoppedBy).toBe('budget');
      expect(cell.best.instruction).toBe(log.best);
      // The calls reached serve-sim through the full stack: the usage meter saw them.
      expect(cell.usage.total.calls).toBeGreaterThanOrEqual(log.ok.target + log.ok.optimizer);

      // Both cells are finished, and one report holds them side by side.
      expect(readResults(out).map((r) => r.spec.optimizer).sort()).toEqual(['external', 'zero-shot-cot']);
      const rep = await buildReport(out, { formats: ['md'], png: false });
      const md = readFileSync(path.join(rep.out, 'report.md'), 'utf8');
      expect(md).toContain('mini-loop');
      expect(md).toContain('zero-shot-cot');
    } finally {
      session.close();
    }
  });

  it('answers plain HTTP: models, completions, status, and one clear error per bad request', async () => {
    const out = tmp('http');
    const session = new Session({ cache: false, seed: 0 });
    const ext = expandCells(suite).find((c) => c.optimizer === 'external')!;
    const proxy = await startProxy({ suite, cellId: ext.id, out, session });
    const base = proxy.url;
    const post = (p: string, body: unknown) =>
      fetch(base + p, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    try {
      const models = (await (await fetch(`${base}/models`)).json()) as { data: Array<{ id: string }> };
      expect(models.data.map((m) => m.id)).toEqual(['openai:sim-8b', 'openai:sim-opt-large', 'target', 'optimizer']);

      const c = await post('/completions', { model: 'target', prompt: 'Q: Take 1 step. Take 1 step back. Do you return to the start?\nA:', temperature: 0 });
      expect(c.status).toBe(200);
      const cj = (await c.json()) as { object: string; choices: Array<{ text: string }>; usage: { total_tokens: number } };
      expect(cj.object).toBe('text_completion');
      expect(typeof cj.choices[0]!.text).toBe('string');
      expect(cj.usage.total_tokens).toBeGreaterThan(0);

      const status = (await (await fetch(base.replace(/\/v1$/, '/popbench/status'))).json()) as { spent: { targetCalls: number } };
      expect(status.spent.targetCalls).toBe(1);

      // Identical requests are successive samples (fresh at temperature > 0, replayable from the cache).
      const same = { model: 'optimizer', messages: [{ role: 'user', content: 'Write an instruction in square brackets.' }], temperature: 1 };
      for (let i = 0; i < 2; i++) expect((await post('/chat/completions', same)).status).toBe(200);

      const bad = async (p: string, body: unknown, code: number, pattern: RegExp) => {
        const r = await post(p, body);
        expect(r.status).toBe(code);
        const j = (await r.json()) as { error: { message: string } };
        expect(j.error.message).toMatch(pattern);
      };
      await bad('/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }, 404, /model "gpt-4o" not found; available: openai:sim-8b/);
      await bad('/chat/completions', { model: 'target', messages: [{ role: 'user', content: 'hi' }], stream: true }, 400, /streaming is not supported/);
      await bad('/chat/completions', '{not json', 400, /not valid JSON/);
      await bad('/chat/completions', { model: 'target', messages: [] }, 400, /"messages" must be a non-empty array/);
      await bad('/../popbench/finish'.replace('/..', ''), { instruction: 3 }, 404, /no route/);
      const finishUrl = base.replace(/\/v1$/, '/popbench/finish');
      const f = await fetch(finishUrl, { method: 'POST', body: JSON.stringify({ instruction: 3 }) });
      expect(f.status).toBe(400);
      expect(((await f.json()) as { error: { message: string } }).error.message).toMatch(/^\/popbench\/finish: instruction: /);
      // Calls were refused before reaching the models: only the one completion is recorded.
      const ok = await fetch(finishUrl, { method: 'POST', body: JSON.stringify({ instruction: 'Track your position.' }) });
      expect(ok.status).toBe(200);
      const cell = await proxy.done;
      expect(cell.spent.targetCalls).toBe(1);
      expect(cell.spent.optimizerCalls).toBe(2);
      const calls = readFileSync(path.join(out, 'cells', ext.id, 'events.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; role?: string; request?: { sampleIndex?: number } })
        .filter((e) => e.type === 'call');
      expect(calls.map((e) => [e.role, e.request?.sampleIndex])).toEqual([
        ['target', 0],
        ['optimizer', 0],
        ['optimizer', 1],
      ]);
      await bad('/chat/completions', { model: 'target', messages: [{ role: 'user', content: 'hi' }] }, 409, /cell is finished/);
    } finally {
      await proxy.close();
      session.close();
    }
  });

  it('refuses cells it must not serve, with one line naming the cell', async () => {
    const out = tmp('refuse');
    const session = new Session({ cache: false, seed: 0 });
    try {
      const native = expandCells(suite).find((c) => c.optimizer !== 'external')!;
      await expect(startProxy({ suite, cellId: native.id, out, session })).rejects.toThrow(/serves cells of "external" entries only/);
      await expect(startProxy({ suite, cellId: 'nope', out, session })).rejects.toThrow(/has no cell "nope"; its external cells: mini-loop__/);
      await expect(startProxy({ suite, cellId: native.id, out, session, host: '0.0.0.0' })).rejects.toThrow(/loopback/);
    } finally {
      session.close();
    }
  });
});
