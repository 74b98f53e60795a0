/**
 * `popbench data …`: list tasks, show one, and download the datasets.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { parseIntFlag } from '../benchmarks/session.js';
import { checkOutDir } from './outpath.js';
import { downloadDatasets, parseOnly } from '../tasks/download.js';
import { DATA_ENV, REPO_ROOT, listTasks, loadTask, resolveDataDir } from '../tasks/registry.js';

/** Where `data download` writes: --data-dir, else $POPBENCH_DATA, else ../shared/datasets beside the repository. */
export function downloadDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return path.resolve(flag);
  if (env[DATA_ENV]) return path.resolve(env[DATA_ENV]!);
  return path.resolve(REPO_ROOT, '../shared/datasets');
}

function parseSeed(value: string | undefined): number {
  if (value === undefined) return 0;
  return parseIntFlag('--seed', value, { min: 0 });
}

export function register(program: Command): void {
  const data = program.command('data').description('datasets and tasks: list, show, download');

  data
    .command('download')
    .description('fetch GSM8K, BBH and MMLU from their official URLs and verify SHA-256 checksums')
    .option('--data-dir <dir>', `destination (default: $${DATA_ENV} or ../shared/datasets beside the repository)`)
    .option('--only <list>', 'comma-separated subset of gsm8k,bbh,mmlu')
    .option('--connect-timeout <s>', 'longest wait for a server to answer, in seconds', '30')
    .option('--idle-timeout <s>', 'longest silence while receiving a file, in seconds', '60')
    .action(async (flags: { dataDir?: string; only?: string; connectTimeout: string; idleTimeout: string }) => {
      const only = parseOnly(flags.only);
      const seconds = (flag: string, v: string) => {
        const n = Number(v);
        if (!(Number.isFinite(n) && n > 0)) throw new UserError(`${flag}: expected a number of seconds > 0, got "${v}"`);
        return Math.round(n * 1000);
      };
      const connectTimeoutMs = seconds('--connect-timeout', flags.connectTimeout);
      const idleTimeoutMs = seconds('--idle-timeout', flags.idleTimeout);
      const dir = checkOutDir('--data-dir', downloadDir(flags.dataDir));
      console.log(`downloading ${only.join(', ')} into ${dir}`);
      // Ctrl-C aborts the transfer, so the staging folder is removed on the way out.
      const ctl = new AbortController();
      const stop = () => ctl.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let rep: Awaited<ReturnType<typeof downloadDatasets>>;
      try {
        rep = await downloadDatasets({ dataDir: dir, only, connectTimeoutMs, idleTimeoutMs, signal: ctl.signal, log: (l) => console.log(l) });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      console.log(`done: ${rep.written.length} files written, ${rep.unchanged.length} already present`);
    });

  data
    .command('list')
    .description('list task ids (with --data-dir or a found data directory: only tasks whose files are present)')
    .option('--data-dir <dir>', 'dataset directory')
    .option('--all', 'list every known task id, present or not')
    .action((flags: { dataDir?: string; all?: boolean }) => {
      let ids: string[];
      if (flags.all) ids = listTasks();
      else {
        let dir: string | undefined;
        try {
          dir = resolveDataDir(flags.dataDir);
        } catch (err) {
          if (flags.dataDir !== undefined) throw err;
        }
        ids = listTasks(dir);
        if (dir === undefined) console.error('popbench: no data directory found; listing all known tasks');
      }
      for (const id of ids) console.log(id);
    });

  data
    .command('show <task>')
    .description('describe a task: answer format, concepts, split sizes and one rendered example')
    .option('--data-dir <dir>', 'dataset directory')
    .option('--seed <n>', 'split seed', '0')
    .action((id: string, flags: { dataDir?: string; seed?: string }) => {
      const seed = parseSeed(flags.seed);
      const task = loadTask(id, { ...(id.startsWith('like/') ? {} : { dataDir: resolveDataDir(flags.dataDir) }), seed });
      const s = task.splits;
      console.log(`task: ${task.id} (${task.family})`);
      console.log(`description: ${task.description.split('\n')[0]}`);
      console.log(`answer format: ${task.answerFormat}`);
      console.log(`format instruction: ${task.formatInstruction}`);
      console.log(`concepts: ${task.concepts.join('; ')}`);
      console.log(`splits (seed ${seed}): train ${s.train.length}, dev ${s.dev.length}, test ${s.test.length}`);
      const ex = s.test[0] ?? s.dev[0] ?? s.train[0];
      if (ex) {
        console.log(`\nexample ${ex.id} (gold ${ex.target}):`);
        console.log(task.render({ instruction: task.formatInstruction }, ex)[0]!.content);
      }
    });
}
