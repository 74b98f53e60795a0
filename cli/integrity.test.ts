/** Command-line behaviour around finished work, pipes and the sim server (issue cases 6-12 beside the fuzz test). */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SimWorld } from '../sim/index.js';
import { startSimServer } from '../sim/server.js';
import { loadTask } from '../tasks/registry.js';
import { writeFixtureRun } from '../reports/fixture.js';
import { popbenchInProcess } from './testing.js';

const bin = path.resolve(import.meta.dirname, '..', 'bin', 'popbench.mjs');
const smoke = path.resolve(import.meta.dirname, '..', 'benchmarks', 'suites', 'smoke.yaml');
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-cli-int-${p}-`));

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `popbench args` with its stdout closed before it writes anything (as `| head -0` does). */
function closedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd: tmp('cwd') });
    p.stdout.destroy();
    let stderr = '';
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('pipes', () => {
  it('a closed stdout (EPIPE) ends cells, optimizers and report quietly', async () => {
    const run = writeFixtureRun(tmp('fixture'));
    for (const args of [['cells', smoke], ['optimizers'], ['report', run, '--format', 'csv', '--no-png', '--out', tmp('rep')]]) {
      const r = await closedPipe(args);
      expect({ args, ...r }).toEqual({ args, code: 0, stderr: '' });
    }
  });
});

describe('eval', () => {
  const task = loadTask('like/gsm?size=20', { seed: 0 });

  it('--ids evaluates exactly the chosen examples; --split all evaluates every split, each sample naming its split', async () => {
    const out = path.join(tmp('ids'), 'samples.jsonl');
    const ids = [task.splits.test[3]!.id, task.splits.test[1]!.id];
    const r = await popbenchInProcess(['eval', '--task', 'like/gsm?size=20', '--ids', ids.join(','), '--out', out, '--no-cache']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\(\d+\/2\)/);
    expect(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l).exampleId)).toEqual(ids);

    const all = await popbenchInProcess(['eval', '--task', 'like/gsm?size=20', '--split', 'all', '--out', out, '--no-cache']);
    expect(all.code).toBe(0);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string });
    const n = task.splits.train.length + task.splits.dev.length + task.splits.test.length;
    expect(rows).toHaveLength(n);
    expect(rows.filter((x) => x.split === 'train')).toHaveLength(task.splits.train.length);
    expect(rows.filter((x) => x.split === 'dev')).toHaveLength(task.splits.dev.length);
    expect(all.stdout).toContain(`(${rows.filter((x) => (x as unknown as { correct: boolean }).correct).length}/${n})`);
  });

  it('--out and optimize --events are not emptied by a failing rerun', async () => {
    const dir = tmp('rerun');
    const out = path.join(dir, 'samples.jsonl');
    const events = path.join(dir, 'events.jsonl');
    expect((await popbenchInProcess(['eval', '--task', 'like/gsm?size=20', '--limit', '3', '--out', out, '--no-cache'])).code).toBe(0);
    expect((await popbenchInProcess(['optimize', '--optimizer', 'opro', '--task', 'like/gsm?size=20', '--budget', '30', '--events', events, '--no-cache', '--no-progress', '--test-limit', '3'])).code).toBe(0);
    const kept = [readFileSync(out, 'utf8'), readFileSync(events, 'utf8')];
    const config = path.join(dir, 'dead.yaml');
    writeFileSync(config, `maxAttempts: 1\ntimeoutMs: 3000\nmodels:\n  - name: dead\n    provider: openai\n    model: x\n    baseURL: http://127.0.0.1:${await closedPort()}/v1\n    keyless: true\n`);
    const e = await popbenchInProcess(['eval', '--task', 'like/gsm?size=20', '--limit', '3', '--model', 'dead', '--config', config, '--out', out, '--no-cache']);
    expect(e.code).toBe(2);
    const o = await popbenchInProcess(['optimize', '--optimizer', 'opro', '--task', 'like/gsm?size=20', '--budget', '30', '--target', 'dead', '--config', config, '--events', events, '--no-cache', '--no-progress']);
    expect(o.code).toBe(2);
    expect([readFileSync(out, 'utf8'), readFileSync(events, 'utf8')]).toEqual(kept);
    expect(existsSync(`${out}.partial`)).toBe(true);
    expect(existsSync(`${events}.partial`)).toBe(true);
  });

  it('a serve-sim without the task: one warning naming the --tasks it needs', async () => {
    const world = new SimWorld();
    world.register(loadTask('like/navigate', { seed: 0 }));
    const server = await startSimServer({ world });
    try {
      const config = path.join(tmp('srv'), 'c.yaml');
      writeFileSync(config, `models:\n  - name: srv\n    provider: openai\n    model: sim-8b\n    baseURL: ${server.url}\n    keyless: true\n`);
      const r = await popbenchInProcess(['eval', '--task', 'like/gsm?size=20', '--limit', '4', '--model', 'srv', '--config', config, '--no-cache']);
      expect(r.code).toBe(0);
      expect(r.stderr.trim().split('\n')).toEqual([
        'popbench: warning: srv replied that it does not recognise the question (a sim server without this task); start it as `popbench serve-sim --tasks like/gsm?size=20`',
      ]);
      // With the task loaded there is no warning.
      world.register(loadTask('like/gsm?size=20', { seed: 0 }));
      const ok = await popbenchInProcess(['eval', '--task', 'like/gsm?size=20', '--limit', '4', '--model', 'srv', '--config', config, '--no-cache']);
      expect(ok.stderr).toBe('');
    } finally {
      await server.close();
    }
  });
});

describe('flags', () => {
  it('eval --tsk names the typo and its meaning although --task is then missing', async () => {
    const r = await popbenchInProcess(['eval', '--tsk', 'like/gsm']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("popbench: error: unknown option '--tsk' (Did you mean --task?) for `popbench eval`\n");
  });

  it('cells checks model names as run does', async () => {
    const suite = path.join(tmp('cells'), 's.yaml');
    writeFileSync(suite, readFileSync(smoke, 'utf8').replace('targets: [sim-8b]', 'targets: [mine]'));
    const r = await popbenchInProcess(['cells', suite]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/s\.yaml:\d+: targets\.0: .*mine/);
    const config = path.join(path.dirname(suite), 'c.yaml');
    writeFileSync(config, 'models:\n  - name: mine\n    provider: sim\n    model: sim-8b\n');
    const ok = await popbenchInProcess(['cells', suite, '--config', config]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim().split('\n')).toHaveLength(4);
  });
});
