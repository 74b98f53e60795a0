import type { Command } from 'commander';
import { UserError } from '../core/errors.js';
import { SimWorld } from '../sim/index.js';
import { startSimServer } from '../sim/server.js';
import { loadTask } from '../tasks/registry.js';
import { parseFloatFlag, parseIntFlag } from './session.js';

function num(flag: string, v: string | undefined, lo = 0, hi = Infinity): number | undefined {
  return v === undefined ? undefined : parseFloatFlag(`--${flag}`, v, { min: lo, max: hi });
}

export function register(program: Command): void {
  program
    .command('serve-sim')
    .description('serve the sim models as an OpenAI-compatible API on loopback, with optional fault injection (docs/sim.md)')
    .requiredOption('--tasks <ids>', 'comma-separated task ids whose examples the sim recognises, e.g. gsm8k,bbh/navigate,like/gsm')
    .option('--data-dir <dir>', 'dataset directory (default: $POPBENCH_DATA or ../shared/datasets)')
    .option('--seed <n>', 'split seed', '0')
    .option('--host <host>', 'loopback address to bind (127.0.0.1, localhost or ::1)', '127.0.0.1')
    .option('--port <n>', 'port (0 = any free port)', '8000')
    .option('--latency-ms <ms>', 'mean added latency per request')
    .option('--latency-jitter-ms <ms>', 'uniform latency jitter (±)')
    .option('--rate-429 <p>', 'probability of a 429 with retry-after')
    .option('--rate-500 <p>', 'probability of a 500')
    .option('--rate-timeout <p>', 'probability of hanging until the client aborts (bounded by --max-hang-ms)')
    .option('--rate-truncated <p>', 'probability of a truncated JSON reply')
    .option('--rate-garbage <p>', 'probability of a non-JSON reply')
    .option('--retry-after-ms <ms>', 'retry-after sent with a 429', '1000')
    .option('--max-faults-per-body <n>', 'after this many faults for the same body, it always succeeds', '3')
    .option('--max-hang-ms <ms>', 'longest a timeout fault holds a request', '10000')
    .option('--max-body-bytes <n>', 'largest accepted request body', String(2 * 1024 * 1024))
    .action(async (o: Record<string, string | undefined>) => {
      const ids = (o['tasks'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (ids.length === 0) throw new UserError('--tasks: give at least one task id');
      const seed = parseIntFlag('--seed', o['seed'] ?? '0', { min: 0 });
      const world = new SimWorld();
      for (const id of ids) world.register(loadTask(id, { dataDir: o['dataDir'], seed }));
      const server = await startSimServer({
        world,
        host: o['host'],
        port: o['port'] === undefined ? undefined : parseIntFlag('--port', o['port'], { min: 0, max: 65535 }),
        maxHangMs: num('max-hang-ms', o['maxHangMs'], 0, 600_000),
        maxBodyBytes: num('max-body-bytes', o['maxBodyBytes'], 1, 1 << 30),
        faults: {
          latencyMeanMs: num('latency-ms', o['latencyMs'], 0, 600_000),
          latencyJitterMs: num('latency-jitter-ms', o['latencyJitterMs'], 0, 600_000),
          rate429: num('rate-429', o['rate429'], 0, 1),
          rate500: num('rate-500', o['rate500'], 0, 1),
          rateTimeout: num('rate-timeout', o['rateTimeout'], 0, 1),
          rateTruncated: num('rate-truncated', o['rateTruncated'], 0, 1),
          rateGarbage: num('rate-garbage', o['rateGarbage'], 0, 1),
          retryAfterMs: num('retry-after-ms', o['retryAfterMs'], 0, 600_000),
          maxFaultsPerBody: num('max-faults-per-body', o['maxFaultsPerBody'], 0, 1000),
        },
      });
      process.stdout.write(`serve-sim: ${world.taskIds().length} task(s) on ${server.url} (Ctrl-C to stop)\n`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void server.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
