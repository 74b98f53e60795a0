/**
 * Test helpers for running the `popbench` command as a user does: a child
 * process from a fresh working directory, and the bad-input contract (exit 2,
 * exactly one `popbench: error: …` line on stderr, no stack trace).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';

const bin = path.resolve(import.meta.dirname, '..', 'bin', 'popbench.mjs');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `popbench args…`; `env` entries override the environment, `undefined` removes a variable. */
export function popbench(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const clean = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete clean[k];
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: clean, cwd: mkdtempSync(path.join(tmpdir(), 'pb-cwd-')) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn.*\n/gm, '') };
}

/** A bad-input run: exit 2, exactly one line on stderr matching `pattern`, no stack trace. */
export function expectOneLineError(r: CliRun, pattern: RegExp): void {
  expect(r.code).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^popbench: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

/**
 * Run `popbench args…` inside this process (no child, no tsx start-up):
 * stdout and stderr are captured while it runs. For fast bad-input tests;
 * commands that call models should use `popbench` (a child) instead.
 */
export async function popbenchInProcess(args: string[]): Promise<CliRun> {
  const { main } = await import('./main.js');
  let stdout = '';
  let stderr = '';
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const log = console.log;
  const error = console.error;
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write;
  console.log = (...a: unknown[]) => void (stdout += a.map(String).join(' ') + '\n');
  console.error = (...a: unknown[]) => void (stderr += a.map(String).join(' ') + '\n');
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
    console.log = log;
    console.error = error;
  }
}
