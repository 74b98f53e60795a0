/**
 * Child process for kill.test.ts: `run <suite.yaml> <out>` or
 * `merge <out> <dir>...`. Prints "go" on stdout just before the work starts
 * and "done" after it, so the parent can SIGKILL it at a chosen moment.
 */
import { writeSync } from 'node:fs';
import { mergeRuns } from '../merge.js';
import { runSuite } from '../runner.js';
import { loadSuite } from '../suite.js';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'run') {
  const suite = loadSuite(args[0]!);
  writeSync(1, 'go\n');
  await runSuite(suite, { out: args[1]!, flags: { cache: false } });
} else {
  writeSync(1, 'go\n');
  mergeRuns(args.slice(1), args[0]!);
}
writeSync(1, 'done\n');
