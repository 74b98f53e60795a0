import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEvaluator } from '../core/evaluator.js';
import { buildStack, CallCache, LimiterPool } from '../llm/index.js';
import { loadTask } from '../tasks/registry.js';
import type { LLM } from '../core/types.js';
const task = loadTask('like/gsm?size=2000');
const items = [...task.splits.train, ...task.splits.dev, ...task.splits.test].slice(0, 2000);
for (let rep = 0; rep < 4; rep++) {
  let first = 0;
  const stub: LLM = { provider: 'openai', model: 'x', endpoint: 'http://x', complete: async () => { if (!first) first = performance.now(); return { model: 'x', choices: [{ text: 'so the answer is 3.' }], usage: { promptTokens: 1, completionTokens: 1 } }; } };
  const cache = CallCache.open(path.join(mkdtempSync(path.join(tmpdir(), 'pd-')), 'c.sqlite'));
  const mode = process.argv[2] ?? 'full';
  const llm = mode === 'bare' ? stub : buildStack(stub, { cache: mode === 'nocache' ? undefined : cache, limit: new LimiterPool().get('k', 32) });
  const t0 = performance.now();
  const p = createEvaluator(task, llm).evaluate({ instruction: 'x' + rep }, items);
  const sync = performance.now() - t0;
  await p;
  console.log(mode, `sync ${sync.toFixed(1)} ms, first provider call ${(first - t0).toFixed(1)} ms, total ${(performance.now() - t0).toFixed(0)} ms`);
}
