/**
 * The two commands together, as a user runs them: `popbench serve-sim` in one
 * process, `popbench eval --model openai:sim-8b` against it in another, under
 * injected faults — same per-example results as the in-process sim.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'popbench.mjs');

describe('popbench serve-sim + eval over HTTP', () => {
  it('gives the in-process per-example results through a faulty server, then stops on SIGTERM', async () => {
    const server = spawn(
      process.execPath,
      [bin, 'serve-sim', '--tasks', 'like/navigate', '--port', '0', '--rate-500', '0.05', '--rate-garbage', '0.05', '--retry-after-ms', '10'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout.on('data', (d) => {
          out += String(d);
          const m = /on (http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(out);
          if (m) resolve(m[1]!);
        });
        server.on('exit', (code) => reject(new Error(`serve-sim exited early (${code})`)));
      });
      const dir = mkdtempSync(path.join(tmpdir(), 'pb-serve-'));
      const run = (model: string, out: string, env: Record<string, string> = {}) =>
        spawnSync(process.execPath, [bin, 'eval', '--task', 'like/navigate', '--model', model, '--prompt', "Let's think step by step.", '--limit', '60', '--no-cache', '--out', out], {
          encoding: 'utf8',
          env: { ...process.env, OPENAI_API_KEY: '', ...env },
        });
      const remote = run('openai:sim-8b', path.join(dir, 'remote.jsonl'), { OPENAI_BASE_URL: url });
      expect(remote.status, remote.stderr).toBe(0);
      const local = run('sim-8b', path.join(dir, 'local.jsonl'));
      expect(local.status).toBe(0);
      const rows = (f: string) =>
        readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => {
          const r = JSON.parse(l);
          return [r.exampleId, r.output, r.correct, r.trueCause ?? null];
        });
      expect(rows('remote.jsonl')).toEqual(rows('local.jsonl'));
      expect(/accuracy .*/.exec(remote.stdout)![0]).toBe(/accuracy .*/.exec(local.stdout)![0]);
      expect(remote.stdout).toMatch(/Usage: 60 calls/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('exit', r));
    }
    expect(server.exitCode === 0 || server.signalCode === 'SIGTERM').toBe(true);
  });
});
