import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEvaluator } from '../core/evaluator.js';
import { CallCache, LimiterPool, parseConfig, resolveModel } from '../llm/index.js';
import { Pool } from 'undici';
import { loadTask } from '../tasks/registry.js';

const url = process.argv[2]!;
let first = 0, last = 0, n = 0;
const orig = Pool.prototype.request;
(Pool.prototype as any).request = function (this: any, ...a: any[]) { n++; if (!first) first = performance.now(); last = performance.now(); return (orig as any).apply(this, a); };

const C = 32, L = 50;
const config = parseConfig({ models: [{ name: 'bench', provider: 'openai', model: 'bench', baseURL: url, keyless: true, concurrency: C }] });
const task = loadTask('like/gsm?size=2000');
const items = [...task.splits.train, ...task.splits.dev, ...task.splits.test].slice(0, 2000);
const prompt = { instruction: "Let's think step by step." };
for (let rep = 0; rep < Number(process.argv[3] ?? 1); rep++) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pb-bench-ep-')), 'cache.sqlite');
  const fill = CallCache.open(file);
  const llm = resolveModel('bench', { config, env: {}, limiters: new LimiterPool(), cache: fill });
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await createEvaluator(task, llm).evaluate({ ...prompt, instruction: prompt.instruction + rep }, items);
  const ms = performance.now() - t0;
  console.log(`first request after ${(first - t0).toFixed(0)} ms, last sent at ${(last - t0).toFixed(0)} ms`); first = 0;
  const cpu = process.cpuUsage(cpu0);
  fill.close();
  console.log(`ratio ${(items.length / (ms / 1000) / (C / (L / 1000))).toFixed(3)}  wall ${ms.toFixed(0)} ms  cpu/call ${((cpu.user + cpu.system) / 1000 / items.length).toFixed(3)} ms`);
}
