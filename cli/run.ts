/**
 * `popbench run <suite.yaml>` runs a benchmark suite (or one shard of it) into
 * a run directory; `popbench cells` lists a suite's cell ids (for array jobs);
 * `popbench merge` joins run directories. See docs/benchmarks.md.
 */
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { mergeRuns } from '../benchmarks/merge.js';
import { readResults, runSuite, type CellResult, type RunSummary } from '../benchmarks/runner.js';
import { cellState } from '../benchmarks/rundir.js';
import { OPTIMIZERS } from '../optimizers/index.js';
import { expandCells, loadSuite, parseShard, shardCells, type CellSpec } from '../benchmarks/suite.js';
import { loadConfig } from '../llm/index.js';
import { resolveDataDir } from '../tasks/registry.js';
import { checkOutDir } from './outpath.js';
import { parseIntFlag, Session, type SessionFlags } from './session.js';

export interface RunFlags extends SessionFlags {
  out?: string;
  shard?: string;
  resume: boolean;
  concurrency: string;
  progress: boolean;
}

const pct = (x: number) => (100 * x).toFixed(1) + '%';

/** Mean test accuracy over seeds: rows optimizer × task, one column per target. */
export function formatTable(cells: readonly CellSpec[], results: readonly CellResult[]): string {
  const byId = new Map(results.map((r) => [r.id, r]));
  const rows: string[] = [];
  const targets: string[] = [];
  const groups = new Map<string, number[]>();
  for (const c of cells) {
    const row = `${c.label ?? c.optimizer}\t${c.task}`;
    if (!rows.includes(row)) rows.push(row);
    if (!targets.includes(c.target)) targets.push(c.target);
    const r = byId.get(c.id);
    const key = `${row}\t${c.target}`;
    if (!groups.has(key)) groups.set(key, []);
    if (r) groups.get(key)!.push(r.test.accuracy);
  }
  const header = ['optimizer', 'task', ...targets];
  const body = rows.map((row) => [
    ...row.split('\t'),
    ...targets.map((t) => {
      const accs = groups.get(`${row}\t${t}`);
      if (!accs) return '';
      if (accs.length === 0) return '-';
      return `${pct(accs.reduce((a, b) => a + b, 0) / accs.length)} (${accs.length})`;
    }),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

export async function runRun(file: string, flags: RunFlags, print: (line: string) => void = console.log): Promise<RunSummary> {
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : undefined;
  const concurrency = parseIntFlag('--concurrency', flags.concurrency ?? '1', { min: 1 });
  if (flags.out !== undefined) checkOutDir('--out', flags.out);
  const suite = loadSuite(file, { config: loadConfig(flags.config) });
  if (flags.out === undefined) checkOutDir('run directory', path.join('runs', suite.name));
  // Checked up front, so a bad --data-dir is named even when every cell is already finished.
  if (flags.dataDir !== undefined) resolveDataDir(flags.dataDir);
  // Splits use seed 0 in every cell (the suite's seeds drive the optimizers), so all cells share test sets.
  const session = new Session({ ...flags, ...(flags.dataDir === undefined && suite.dataDir !== undefined ? { dataDir: suite.dataDir } : {}), seed: 0 });
  try {
    const out = flags.out ?? path.join('runs', suite.name);
    // Every model the cells still to run need is resolved (name, API key) before any cell starts.
    const todo = shardCells(expandCells(suite), shard).filter((c) => !OPTIMIZERS[c.optimizer]?.external && (flags.resume === false || cellState(out, c.id, c).status !== 'done'));
    session.checkModels(
      {
        targets: todo.map((c) => c.target),
        others: [...todo.map((c) => c.optimizerModel), ...(todo.length && suite.transfer ? suite.targets : [])],
      },
      `suite ${file}`,
    );
    const bar =
      flags.progress !== false && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `${suite.name} |{bar}| {value}/{total} cells · {cell}`, stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    let started = false;
    let summary: RunSummary;
    try {
      summary = await runSuite(suite, {
        out,
        ...(shard ? { shard } : {}),
        resume: flags.resume !== false,
        concurrency,
        session,
        onProgress(e) {
          if (!bar) return;
          if (!started) bar.start(e.total, 0, { cell: e.cell });
          started = true;
          bar.update(e.finished, { cell: e.status === 'start' ? e.cell : `${e.cell} ${e.status}` });
        },
      });
    } finally {
      bar?.stop();
    }
    const results = readResults(out, summary.cells.map((c) => c.id));
    print(formatTable(summary.cells, results));
    const what = shard ? `shard ${shard.index}/${shard.count}: ` : '';
    const busy = summary.busy.length ? `, ${summary.busy.length} running in another process` : '';
    print(
      `${what}${summary.cells.length} cells: ${summary.ran.length} ran, ${summary.skipped.length} already done${busy}, ${summary.failed.length} failed; ${summary.usage.total.calls} model calls`,
    );
    for (const i of summary.invalid) print(`redone (invalid result): ${i.reason}`);
    if (summary.external.length)
      print(`${summary.external.length} external cell(s) wait for \`popbench proxy --suite ${file} --cell <id> --out ${out}\` (docs/proxy.md): ${summary.external.join(', ')}`);
    print(`run directory: ${out}`);
    if (summary.failed.length) {
      const ids = summary.failed.map((f) => f.id);
      throw new UserError(
        `${ids.length} of ${summary.cells.length} cells failed (see cells/<id>/error.json in ${out}; rerun to retry them): ${ids.join(', ')}; first error: ${summary.failed[0]!.message}`,
      );
    }
    return summary;
  } finally {
    session.close();
  }
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run a benchmark suite (optimizer × task × target × seed cells) into a run directory; resumable and shardable')
    .argument('<suite>', 'suite YAML file, e.g. benchmarks/suites/smoke.yaml')
    .option('--out <dir>', 'run directory (default runs/<suite name>)')
    .option('--shard <i/n>', 'run only the cells whose grid index is i-1 modulo n')
    .option('--no-resume', 'redo cells that are already finished')
    .option('--concurrency <n>', 'cells run at once', '1')
    .option('--data-dir <dir>', 'dataset directory (default: the suite\'s dataDir, $POPBENCH_DATA or ../shared/datasets)')
    .option('--config <file>', 'config file (default: popbench.config.yaml when present)')
    .option('--cache <file>', 'call cache file (default from config: .popbench/cache.sqlite)')
    .option('--no-cache', 'do not read or write the call cache')
    .option('--offline', 'replay from the call cache only; a miss is an error')
    .option('--no-progress', 'no progress bar')
    .action(async (file: string, opts: RunFlags) => {
      await runRun(file, opts);
    });

  program
    .command('cells')
    .description("list a suite's cell ids in grid order (one per line), e.g. for array jobs")
    .argument('<suite>', 'suite YAML file')
    .option('--shard <i/n>', 'only the cells of this shard')
    .option('--config <file>', 'config file whose model names the suite may use (default: popbench.config.yaml when present)')
    .action((file: string, opts: { shard?: string; config?: string }) => {
      const shard = opts.shard !== undefined ? parseShard(opts.shard) : undefined;
      // Model names are checked as `run` checks them, so every listed cell is one `run` accepts.
      for (const c of shardCells(expandCells(loadSuite(file, { config: loadConfig(opts.config) })), shard)) console.log(c.id);
    });

  program
    .command('merge')
    .description('merge run directories (e.g. shards) into one; refuses cells whose specs differ')
    .argument('<dirs...>', 'run directories')
    .requiredOption('--out <dir>', 'merged run directory (may be one of the inputs)')
    .action((dirs: string[], opts: { out: string }) => {
      checkOutDir('--out', opts.out);
      const s = mergeRuns(dirs, opts.out);
      console.log(`merged ${dirs.length} run directories into ${s.out}: ${s.cells} cells (${s.done} finished), ${s.copied} copied`);
    });
}
