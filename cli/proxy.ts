/**
 * `popbench proxy`: serve one external cell's models as an OpenAI-compatible
 * API on loopback, metered against the cell's budget (benchmarks/proxy.ts,
 * docs/proxy.md). Either a cell of a suite (`--suite S --cell ID`, or
 * `--suite-cell S#ID`) or a one-cell suite made from flags (`--task`,
 * `--target`, `--budget`, ...).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { startProxy } from '../benchmarks/proxy.js';
import { loadSuite, parseSuiteYaml, expandCells, type Suite } from '../benchmarks/suite.js';
import { loadConfig } from '../llm/index.js';
import { withDataAndCacheOptions } from './eval.js';
import { checkOutDir } from './outpath.js';
import { parseIntFlag, Session, type SessionFlags } from './session.js';

export interface ProxyFlags extends SessionFlags {
  suite?: string;
  cell?: string;
  suiteCell?: string;
  task?: string;
  target: string;
  optimizerModel: string;
  budget?: string;
  optimizerBudget?: string;
  tokens?: string;
  label: string;
  client?: string;
  devSize?: string;
  testLimit?: string;
  out?: string;
  host: string;
  port: string;
}

/** The one-cell suite `popbench proxy --task ... --budget ...` runs. */
export function adHocSuite(f: ProxyFlags): Suite {
  const int = (flag: string, v: string | undefined) => (v === undefined ? undefined : parseIntFlag(flag, v, { min: 1 }));
  const targetCalls = int('--budget', f.budget);
  const optimizerCalls = f.optimizerBudget === undefined ? undefined : parseIntFlag('--optimizer-budget', f.optimizerBudget, { min: 0 });
  const tokens = int('--tokens', f.tokens);
  if (targetCalls === undefined && tokens === undefined) throw new UserError('proxy: give --budget (target calls) and/or --tokens, or --suite with --cell');
  const seed = parseIntFlag('--seed', f.seed ?? 0, { min: 0 });
  const doc = {
    name: `proxy-${f.label}`,
    description: `external optimizer ${f.label} through popbench proxy`,
    seeds: [seed],
    tasks: [f.task],
    targets: [f.target],
    optimizerModel: f.optimizerModel,
    optimizers: [{ name: 'external', label: f.label, options: { client: f.client ?? '' } }],
    budget: {
      mode: 'equal',
      ...(targetCalls !== undefined ? { targetCalls } : {}),
      ...(optimizerCalls !== undefined ? { optimizerCalls } : {}),
      ...(tokens !== undefined ? { tokens } : {}),
    },
    ...(f.devSize !== undefined ? { devSize: int('--dev-size', f.devSize) } : {}),
    ...(f.testLimit !== undefined ? { testLimit: int('--test-limit', f.testLimit) } : {}),
  };
  return parseSuiteYaml(JSON.stringify(doc), 'popbench proxy flags', { config: loadConfig(f.config) });
}

export async function runProxy(f: ProxyFlags, print: (line: string) => void = console.log): Promise<void> {
  let suite: Suite;
  let cellId: string;
  if (f.suiteCell !== undefined) {
    const i = f.suiteCell.lastIndexOf('#');
    if (i <= 0 || i === f.suiteCell.length - 1) throw new UserError(`--suite-cell: expected <suite.yaml>#<cell id>, got "${f.suiteCell}"`);
    f = { ...f, suite: f.suiteCell.slice(0, i), cell: f.suiteCell.slice(i + 1) };
  }
  if (f.suite !== undefined) {
    if (f.task !== undefined) throw new UserError('proxy: give either --suite with --cell or --task with --budget, not both');
    if (f.cell === undefined) throw new UserError('proxy: --suite needs --cell <id> (see `popbench cells <suite>`)');
    suite = loadSuite(f.suite, { config: loadConfig(f.config) });
    cellId = f.cell;
  } else {
    if (f.task === undefined) throw new UserError('proxy: give --suite <file> --cell <id>, or --task <id> --budget <n>');
    suite = adHocSuite(f);
    cellId = expandCells(suite)[0]!.id;
  }
  const out = f.out ?? path.join('runs', suite.name);
  checkOutDir(f.out !== undefined ? '--out' : 'run directory', out);
  const session = new Session({ ...f, ...(f.dataDir === undefined && suite.dataDir !== undefined ? { dataDir: suite.dataDir } : {}), seed: 0 });
  try {
    const cell = expandCells(suite).find((c) => c.id === cellId);
    if (cell) session.checkModels({ targets: [cell.target], others: [cell.optimizerModel] }, `cell ${cell.id}`);
    const proxy = await startProxy({ suite, cellId, out, session, host: f.host, port: parseIntFlag('--port', f.port, { min: 0, max: 65535 }) });
    const { spec } = proxy;
    print(`popbench proxy: cell ${spec.id} (${spec.task}, target ${spec.target}, optimizer ${spec.optimizerModel}) on ${proxy.url}`);
    print(`  budget: ${JSON.stringify(spec.limits)}; models: ${spec.target} (or "target"), ${spec.optimizerModel} (or "optimizer")`);
    print(`  finish with: POST ${proxy.url.replace(/\/v1$/, '')}/popbench/finish {"instruction": "..."}  (Ctrl-C leaves the cell unfinished)`);
    const interrupted = new Promise<'interrupted'>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        resolve('interrupted');
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    try {
      const r = await Promise.race([proxy.done, interrupted]);
      if (r === 'interrupted') {
        print(`popbench proxy: stopped; cell ${spec.id} left unfinished in ${out}`);
        return;
      }
      const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
      print(`popbench proxy: cell ${r.id} finished: dev ${pct(r.dev.accuracy)} (n=${r.dev.n}), test ${pct(r.test.accuracy)} (n=${r.test.n}); spent ${JSON.stringify(r.spent)}`);
      print(`run directory: ${out}`);
    } finally {
      await proxy.close();
    }
  } finally {
    session.close();
  }
}

export function register(program: Command): void {
  withDataAndCacheOptions(program.command('proxy'))
    .description("serve one external optimizer cell's models as an OpenAI-compatible API on loopback, metered against its budget (docs/proxy.md)")
    .option('--suite <file>', 'suite YAML with an `external` entry')
    .option('--cell <id>', 'the external cell to serve (see `popbench cells <suite>`)')
    .option('--suite-cell <file#id>', 'the same as --suite <file> --cell <id>')
    .option('--task <id>', 'without a suite: the task of a one-cell run')
    .option('--target <model>', 'without a suite: target model', 'sim-8b')
    .option('--optimizer-model <model>', 'without a suite: optimizer model', 'sim-opt-large')
    .option('--budget <n>', 'without a suite: target-model calls')
    .option('--optimizer-budget <n>', 'without a suite: optimizer-model calls (default: same as --budget)')
    .option('--tokens <n>', 'without a suite: total token limit')
    .option('--label <name>', 'without a suite: the entry label in reports', 'external')
    .option('--client <text>', 'without a suite: the program that runs the search, shown in reports')
    .option('--dev-size <n>', 'without a suite: use only the first n dev examples')
    .option('--test-limit <n>', 'without a suite: score on only the first n test examples')
    .option('--out <dir>', 'run directory (default runs/<suite name>)')
    .option('--host <host>', 'loopback address to bind (127.0.0.1, localhost or ::1)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '8100')
    .option('--seed <n>', 'without a suite: the cell seed', '0')
    .action(async (opts: ProxyFlags) => {
      await runProxy(opts);
    });
}
