/**
 * `npm run bench`: speed and memory measurements, reported as ratios measured
 * in one run on this machine (absolute numbers vary between machines; ratios
 * much less). Each line states its target; the script exits 1 if one is missed.
 *
 *   1. sim target: calls per CPU-second through the in-process evaluation path
 *      (provider + middleware stack + evaluator) on a mix of tasks, prompts, sizes
 *      and worlds (scripts/bench-sim.ts), against the goal of 20,000.
 *   2. evaluator memo: re-scoring a prompt vs scoring it the first time.
 *   3. call cache: replay from SQLite vs the first (provider) pass, zero provider calls on replay.
 *   4. serve-sim over HTTP vs in-process (the cost of exercising the real client).
 *   5. sim world: heap per registered example (all like/ tasks, and MMLU when the data is present).
 *   6. a real endpoint's speed: a local OpenAI-compatible server answering every
 *      request after a fixed L = 50 ms, configured concurrency C = 32, so the
 *      most any client can reach is C / L = 640 calls/s. Measured: an eval of
 *      2,000 items and an OPRO optimize run, as throughput / (C / L); and replay
 *      of the eval from the call cache, in calls/s.
 *   7. `report` on a generated run directory of 1,000,000 per-example test records
 *      (scripts/bench-report.ts, in a child process): wall time and peak RSS, absolute
 *      goals (< 10 s, < 1 GiB) printed beside the measured figures (docs/performance.md).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Budget } from '../core/budget.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEvaluator } from '../core/evaluator.js';
import type { LLM } from '../core/types.js';
import { buildStack, CallCache, createProvider, LimiterPool, lookupModel, openaiProvider, parseConfig, resolveModel } from '../llm/index.js';
import { OPTIMIZERS } from '../optimizers/index.js';
import { optimizerContext } from '../optimizers/common.js';
import { SimWorld } from '../sim/index.js';
import { startSimServer } from '../sim/server.js';
import { LIKE_TASKS } from '../tasks/like/index.js';
import { loadTask, resolveDataDir } from '../tasks/registry.js';
import { simThroughput, simThroughputLine } from './bench-sim.js';

interface Row {
  what: string;
  value: string;
  target: string;
  ok: boolean;
}
const rows: Row[] = [];
const time = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};

function counting(llm: LLM, counter: { n: number }): LLM {
  return { provider: llm.provider, model: llm.model, complete: (r, s) => (counter.n++, llm.complete(r, s)) };
}

async function main() {
  const task = loadTask('like/gsm?size=400');
  const world = new SimWorld();
  world.register(task);
  const examples = task.splits.test;
  const prompt = { instruction: "Let's think step by step." };
  const sim = createProvider(lookupModel('sim-8b'), { world });

  // 1. sim target throughput on the in-process evaluation path (scripts/bench-sim.ts)
  const simRate = await simThroughput();
  rows.push(simThroughputLine(simRate));
  console.log(`(sim throughput: ${simRate.calls} calls in ${(simRate.ms / 1000).toFixed(2)} s wall, ${(simRate.cpuMs / 1000).toFixed(2)} s CPU; tasks ${simRate.tasks.join(', ')})`);

  // 2. evaluator memo
  const ev = createEvaluator(task, sim);
  const first = await time(() => ev.evaluate(prompt, examples));
  const again = await time(() => ev.evaluate(prompt, examples));
  const memoRatio = first / Math.max(again, 0.01);
  rows.push({ what: 'evaluator memo speed-up (first / repeat)', value: `${memoRatio.toFixed(1)}×`, target: '≥ 5×', ok: memoRatio >= 5 });

  // 3. cache replay vs provider pass, through a slow-ish provider (serve-sim over HTTP)
  const server = await startSimServer({ world });
  try {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pb-bench-')), 'cache.sqlite');
    const calls = { n: 0 };
    const http = counting(openaiProvider({ model: 'sim-8b', baseURL: server.url }), calls);
    const cacheA = CallCache.open(file);
    const pass1 = await time(() => createEvaluator(task, buildStack(http, { cache: cacheA, timeoutMs: 0 })).evaluate(prompt, examples));
    cacheA.close();
    const before = calls.n;
    const cacheB = CallCache.open(file, 'read-only');
    const pass2 = await time(() => createEvaluator(task, buildStack(http, { cache: cacheB, timeoutMs: 0 })).evaluate(prompt, examples));
    cacheB.close();
    const replayRatio = pass1 / Math.max(pass2, 0.01);
    rows.push({ what: 'cache replay speed-up (HTTP pass / replay)', value: `${replayRatio.toFixed(1)}×`, target: '≥ 2×', ok: replayRatio >= 2 });
    rows.push({ what: 'provider calls during replay', value: String(calls.n - before), target: '= 0', ok: calls.n === before });

    // 4. HTTP vs in-process
    const httpFresh = await time(() => createEvaluator(task, buildStack(openaiProvider({ model: 'sim-8b', baseURL: server.url }), { timeoutMs: 0 })).evaluate(prompt, examples));
    const inproc = await time(() => createEvaluator(task, sim).evaluate(prompt, examples));
    const httpRatio = httpFresh / Math.max(inproc, 0.01);
    rows.push({ what: 'serve-sim HTTP / in-process time', value: `${httpRatio.toFixed(1)}×`, target: '≤ 50×', ok: httpRatio <= 50 });
  } finally {
    await server.close();
  }

  // 5. memory per registered example
  global.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const big = new SimWorld();
  let n = 0;
  for (const name of LIKE_TASKS) {
    const t = loadTask(`like/${name}`);
    big.register(t);
    n += t.splits.train.length + t.splits.dev.length + t.splits.test.length;
  }
  try {
    const dataDir = resolveDataDir();
    const mmlu = loadTask('mmlu', { dataDir });
    big.register(mmlu);
    n += mmlu.splits.train.length + mmlu.splits.dev.length + mmlu.splits.test.length;
  } catch {
    console.log('(datasets not found: MMLU left out of the memory measurement)');
  }
  global.gc?.();
  const perExample = (process.memoryUsage().heapUsed - heap0) / n;
  rows.push({ what: `sim world heap per registered example (${n} examples)`, value: `${(perExample / 1024).toFixed(1)} KiB`, target: '≤ 16 KiB', ok: perExample <= 16 * 1024 });

  // 6. a fixed-latency endpoint at its configured concurrency
  await endpointThroughput();

  // 7. report on 1M per-example records, measured in a child process (its own peak RSS).
  const runDir = mkdtempSync(path.join(tmpdir(), 'pb-bench-run-'));
  try {
    const child = (args: string[]) => {
      const t0 = performance.now();
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, 'bench-report.ts'), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`bench-report ${args[0]} failed: ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      const last = r.stdout.trim().split('\n').at(-1)!;
      return { wallMs: performance.now() - t0, ...(JSON.parse(last) as Record<string, number>) } as Record<string, number> & { wallMs: number };
    };
    const gen = child(['gen', runDir]);
    const rep = child(['report', runDir, path.join(runDir, 'report')]);
    const records = gen['records']!;
    const sec = rep.wallMs / 1000;
    const gib = (rep['maxRssKiB']! * 1024) / 2 ** 30;
    rows.push({ what: `report on ${records.toLocaleString('en-US')} per-example records: wall time (process)`, value: `${sec.toFixed(1)} s`, target: '< 10 s', ok: sec < 10 });
    rows.push({ what: `report on ${records.toLocaleString('en-US')} per-example records: peak RSS`, value: `${(gib * 1024).toFixed(0)} MiB`, target: '< 1 GiB', ok: gib < 1 });
    console.log(`(report phases: ${(rep['ms']! / 1000).toFixed(1)} s inside buildReport, ${((rep.wallMs - rep['ms']!) / 1000).toFixed(1)} s process start and module load; generating the run took ${(gen.wallMs / 1000).toFixed(1)} s)`);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }

  const w = Math.max(...rows.map((r) => r.what.length));
  for (const r of rows) console.log(`${r.ok ? 'ok  ' : 'MISS'}  ${r.what.padEnd(w)}  ${r.value.padStart(10)}  (target ${r.target})`);
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

/**
 * A local OpenAI-compatible server that answers every chat completion after
 * `latencyMs`, however many are in flight; it records the most in flight.
 * Target questions get a number; OPRO meta-prompts get a fresh <INS> instruction.
 */
async function latencyServer(latencyMs: number) {
  let inFlight = 0;
  let maxInFlight = 0;
  let requests = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      requests++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const parsed = JSON.parse(body) as { messages: { content: string }[]; seed?: number };
      const last = parsed.messages.at(-1)?.content ?? '';
      const content = last.includes('<INS>')
        ? `<INS>Work it out step by step, variant ${requests}.</INS>`
        : `Adding up: so the answer is ${last.length % 97}.`;
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'chat.completion', model: 'bench', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage: { prompt_tokens: 50, completion_tokens: 10 } }));
      }, latencyMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    stats: () => ({ requests, maxInFlight }),
    reset: () => {
      requests = 0;
      maxInFlight = 0;
    },
    close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

async function endpointThroughput() {
  const L = 50;
  const C = 32;
  const limit = C / (L / 1000); // calls/s
  const server = await latencyServer(L);
  const config = parseConfig({ models: [{ name: 'bench', provider: 'openai', model: 'bench', baseURL: server.url, keyless: true, concurrency: C }] });
  const model = (opts: { cache?: CallCache; budget?: Budget } = {}) => resolveModel('bench', { config, env: {}, limiters: new LimiterPool(), ...opts });
  try {
    const task = loadTask('like/gsm?size=2000');
    const items = [...task.splits.train, ...task.splits.dev, ...task.splits.test].slice(0, 2000);
    const prompt = { instruction: "Let's think step by step." };

    // eval: 2,000 items, cache filled on the way for the replay below
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'pb-bench-ep-')), 'cache.sqlite');
    const fill = CallCache.open(file);
    server.reset();
    const evalMs = await time(() => createEvaluator(task, model({ cache: fill })).evaluate(prompt, items));
    fill.close();
    const evalStats = server.stats();
    const evalRatio = items.length / (evalMs / 1000) / limit;
    rows.push({
      what: `eval of ${items.length} items, throughput / (C/L) (C=${C}, L=${L} ms; max in flight ${evalStats.maxInFlight})`,
      value: evalRatio.toFixed(2),
      target: '≥ 0.90',
      ok: evalRatio >= 0.9,
    });

    // OPRO optimize run (reference defaults, a call budget), target and optimizer on the same endpoint
    const { optimizer: opro } = OPTIMIZERS['opro']!;
    const budget = new Budget({ targetCalls: 3000, optimizerCalls: 200 });
    const llm = model({ budget });
    const ctx = optimizerContext({
      optimizerName: 'opro',
      seed: 0,
      task,
      train: task.splits.train.slice(0, 50),
      dev: task.splits.dev.slice(0, 100),
      target: llm,
      optimizer: llm,
      budget,
      log: { emit: () => {} },
    });
    server.reset();
    const oproMs = await time(() => opro.optimize(ctx, opro.schema.parse({ ...opro.defaults })));
    const oproStats = server.stats();
    const oproRatio = oproStats.requests / (oproMs / 1000) / limit;
    rows.push({
      what: `OPRO optimize (${oproStats.requests} calls), throughput / (C/L) (max in flight ${oproStats.maxInFlight})`,
      value: oproRatio.toFixed(2),
      target: '≥ 0.60',
      ok: oproRatio >= 0.6,
    });

    // replay of the eval from the call cache (read-only: a miss would be an error)
    const replay = CallCache.open(file, 'read-only');
    server.reset();
    const replayMs = await time(() => createEvaluator(task, model({ cache: replay })).evaluate(prompt, items));
    replay.close();
    const perSec = items.length / (replayMs / 1000);
    rows.push({ what: `cached replay of the eval, calls/s (${server.stats().requests} sent)`, value: perSec.toFixed(0), target: '≥ 20000', ok: perSec >= 20_000 && server.stats().requests === 0 });
  } finally {
    await server.close();
  }
}

await main();
