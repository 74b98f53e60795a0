/**
 * `npm run bench` helper, run in a child process so that its peak RSS is the report's
 * alone: `node --import tsx scripts/bench-report.ts gen <dir>` writes a synthetic run
 * directory of 1,000,000 per-example test records; `... report <dir> <out>` builds the
 * report of a run directory as `popbench report` does (every format, PNG plots) and
 * prints {"ms": report time, "maxRssKiB": peak resident set size} as its last line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rng } from '../core/rng.js';
import { buildReport } from '../reports/index.js';

/** Size of the synthetic run: optimizers × tasks × seeds cells of `examples` test records each. */
export const BENCH_RUN = { optimizers: 8, tasks: 5, seeds: 5, examples: 5000 } as const;

function generate(dir: string): number {
  const { optimizers, tasks, seeds, examples } = BENCH_RUN;
  const rng = new Rng(7);
  mkdirSync(path.join(dir, 'cells'), { recursive: true });
  const labels = ['empty', ...Array.from({ length: optimizers - 1 }, (_, i) => `opt${i + 1}`)];
  const taskIds = Array.from({ length: tasks }, (_, t) => `like/gsm?size=${examples + t}`);
  writeFileSync(path.join(dir, 'suite.json'), JSON.stringify({ name: 'bench', seeds: Array.from({ length: seeds }, (_, s) => s), tasks: taskIds, targets: ['sim-8b'], optimizers: labels.map((name) => ({ name })) }));
  const limits = { targetCalls: 1000, optimizerCalls: 100 };
  let records = 0;
  for (const task of taskIds) {
    // Example difficulty shared by every optimizer and seed (one fixed test split).
    const difficulty = Array.from({ length: examples }, () => rng.normal());
    labels.forEach((label, k) => {
      for (let seed = 0; seed < seeds; seed++) {
        const id = `${label}__${task.replace(/[^A-Za-z0-9]+/g, '-')}__sim-8b__s${seed}`;
        const cdir = path.join(dir, 'cells', id);
        mkdirSync(cdir, { recursive: true });
        const spec = { id, suite: 'bench', optimizer: label, options: {}, task, target: 'sim-8b', optimizerModel: 'sim-opt-large', seed, mode: 'equal', limits };
        const shift = label === 'empty' ? 0 : 0.1 * k + 0.2 * rng.normal();
        const lines: string[] = [];
        let correct = 0;
        for (let i = 0; i < examples; i++) {
          const ok = difficulty[i]! + shift + 0.5 * rng.normal() > 0;
          if (ok) correct++;
          lines.push(JSON.stringify({ split: 'test', exampleId: `test-${i}`, correct: ok, pred: ok ? '1' : '0', gold: '1' }));
        }
        records += examples;
        writeFileSync(path.join(cdir, 'spec.json'), JSON.stringify(spec));
        writeFileSync(path.join(cdir, 'samples.jsonl'), lines.join('\n') + '\n');
        const candidates = [0.3, 0.4, 0.45].map((score, i) => ({ id: `c${i}`, prompt: { instruction: `p${i}` }, score, parents: [], step: i, origin: 'x', spentAtProposal: { targetCalls: 100 * i, optimizerCalls: i, tokens: 1000 * i }, spentAtScore: { targetCalls: 100 * i + 50, optimizerCalls: i, tokens: 1000 * i + 500 } }));
        const result = {
          id,
          spec,
          stoppedBy: 'budget',
          spent: { targetCalls: 1000, optimizerCalls: 100, tokens: 100_000 },
          best: { instruction: `best of ${label}` },
          bestScore: 0.45,
          test: { n: examples, correct, accuracy: correct / examples },
          trajectory: { candidates, reflections: [], steps: [] },
          usage: {},
        };
        writeFileSync(path.join(cdir, 'result.json'), JSON.stringify(result));
      }
    });
  }
  return records;
}

const [mode, dir, out] = process.argv.slice(2);
if (mode === 'gen' && dir) {
  console.log(JSON.stringify({ records: generate(dir) }));
} else if (mode === 'report' && dir && out) {
  const t0 = performance.now();
  await buildReport(dir, { out, png: true });
  const ms = performance.now() - t0;
  console.log(JSON.stringify({ ms, maxRssKiB: process.resourceUsage().maxRSS }));
} else {
  console.error('usage: bench-report.ts gen <dir> | report <dir> <out>');
  process.exitCode = 2;
}
