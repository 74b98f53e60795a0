/**
 * `popbench estimate <suite>`: calls, tokens and USD per entry × task (or per
 * cell) and in total, from dry runs of the optimizers' schedules on sim
 * stand-ins (benchmarks/estimate.ts, docs/benchmarks.md "Estimating cost").
 */
import type { Command } from 'commander';
import { estimateSuite, type CellEstimate } from '../benchmarks/estimate.js';
import { loadSuite } from '../benchmarks/suite.js';
import { loadConfig } from '../llm/index.js';
import { Session, type SessionFlags } from './session.js';

export interface EstimateFlags extends SessionFlags {
  all?: boolean;
  perCell?: boolean;
}

const usd = (x: number | null) => (x === null ? '?' : `$${x.toFixed(x < 1 ? 4 : 2)}`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cols: string[]) => cols.map((c, i) => (i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export async function runEstimate(file: string, flags: EstimateFlags, print: (line: string) => void = console.log) {
  const suite = loadSuite(file, { config: loadConfig(flags.config) });
  const session = new Session({ ...flags, ...(flags.dataDir === undefined && suite.dataDir !== undefined ? { dataDir: suite.dataDir } : {}), seed: 0 });
  try {
    const est = await estimateSuite(suite, { session, all: flags.all === true });
    const groups = new Map<string, CellEstimate[]>();
    for (const c of est.cells) {
      const k = flags.perCell ? c.id : `${c.label}\t${c.task}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k)!.push(c);
    }
    const rows = [...groups.entries()].map(([k, list]) => {
      const s = (f: (c: CellEstimate) => number) => list.reduce((a, c) => a + f(c), 0);
      const cost = list.some((c) => c.costUsd === null) ? null : s((c) => c.costUsd!);
      const [a, b] = flags.perCell ? [k, list[0]!.basis] : k.split('\t');
      return [a!, b!, String(list.length), String(s((c) => c.targetCalls)), String(s((c) => c.optimizerCalls)), String(s((c) => c.promptTokens + c.completionTokens)), usd(cost)];
    });
    print(table([flags.perCell ? 'cell' : 'optimizer', flags.perCell ? 'basis' : 'task', 'cells', 'target calls', 'optimizer calls', 'tokens', 'USD'], rows));
    const t = est.total;
    print(
      `total: ${est.cells.length} cells, ${t.calls} calls (${t.targetCalls} target, ${t.optimizerCalls} optimizer), ${t.promptTokens} prompt + ${t.completionTokens} completion tokens, ${usd(t.costUsd)}` +
        ` (from ${est.dryRuns} dry run(s) on sim stand-ins${est.unpriced.length ? `; no price for ${est.unpriced.join(', ')}: set prices in the config` : ''})`,
    );
    return est;
  } finally {
    session.close();
  }
}

export function register(program: Command): void {
  program
    .command('estimate')
    .description("estimate a suite's model calls, tokens and USD before running it (dry runs of the schedules on sim stand-ins)")
    .argument('<suite>', 'suite YAML file')
    .option('--all', 'dry-run every cell (default: one cell per optimizer entry x task x target)')
    .option('--per-cell', 'one row per cell')
    .option('--data-dir <dir>', "dataset directory (default: the suite's dataDir, $POPBENCH_DATA or ../shared/datasets)")
    .option('--config <file>', 'config file with prices (default: popbench.config.yaml when present)')
    .action(async (file: string, opts: EstimateFlags) => {
      await runEstimate(file, { ...opts, cache: false });
    });
}
