/**
 * `popbench placebo <run dir>`: re-ask the recorded reflection meta-prompts of
 * a finished run under placebo controls (benchmarks/placebo.ts), outside the
 * budget; `popbench report` then scores them (reports/placebo.ts).
 */
import type { Command } from 'commander';
import { runPlacebo } from '../benchmarks/placebo.js';
import { readResults } from '../benchmarks/runner.js';
import { UserError } from '../core/errors.js';
import { withDataAndCacheOptions } from './eval.js';
import { parseIntFlag, Session, type SessionFlags } from './session.js';

export function register(program: Command): void {
  withDataAndCacheOptions(program.command('placebo'))
    .description('re-ask recorded reflection meta-prompts under placebo controls (correct examples as failures, shuffled golds, no examples); `report` scores them')
    .argument('<run-dir>', 'run directory of `popbench run`')
    .option('--max-per-cell <n>', 'reflections probed per cell (the first ones)', '8')
    .action(async (dir: string, opts: SessionFlags & { maxPerCell: string }) => {
      const results = readResults(dir);
      if (results.length === 0) throw new UserError(`${dir}: no finished cells (run \`popbench run\` first)`);
      const session = new Session({ ...opts, seed: 0 });
      try {
        const s = await runPlacebo(dir, results.map((r) => r.spec), session, session.usage, { maxPerCell: parseIntFlag('--max-per-cell', opts.maxPerCell, { min: 1 }) });
        console.log(`placebo probes: ${s.probed.length} cell(s) probed${s.skipped.length ? `, ${s.skipped.length} skipped (${s.skipped.map((x) => `${x.id}: ${x.reason}`).join('; ')})` : ''}; ${session.usage.snapshot().total.calls} model calls`);
        console.log(`next: popbench report ${dir}`);
      } finally {
        session.close();
      }
    });
}
