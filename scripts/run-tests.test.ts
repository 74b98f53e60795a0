/**
 * scripts/run-tests.mjs (`npm test`) closes with `N passed, N failed, N skipped`
 * read from vitest's JSON report, and never prints "0 failed" for a run that
 * failed: a type error, a test file that did not load, a missing report, or a
 * vitest exit code that is not 0 with every counted test green. Each case runs
 * the real script in a scratch project whose `tsc` and `vitest` are stubs.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const script = path.resolve(import.meta.dirname, 'run-tests.mjs');
const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

interface Stub {
  tscExit: number;
  vitestExit: number;
  /** vitest's JSON report, or undefined for none written. */
  report?: Record<string, unknown>;
}

/** Run run-tests.mjs in a scratch root with stub binaries; returns its last line and exit code. */
function run(stub: Stub): { last: string; status: number | null } {
  const root = mkdtempSync(path.join(tmpdir(), 'pb-run-tests-'));
  made.push(root);
  mkdirSync(path.join(root, 'scripts'));
  mkdirSync(path.join(root, 'node_modules', '.bin'), { recursive: true });
  copyFileSync(script, path.join(root, 'scripts', 'run-tests.mjs'));
  const bin = (name: string, body: string) => {
    const f = path.join(root, 'node_modules', '.bin', name);
    writeFileSync(f, `#!/usr/bin/env node\n${body}\n`);
    chmodSync(f, 0o755);
  };
  bin('tsc', `process.exit(${stub.tscExit});`);
  const write =
    stub.report === undefined
      ? ''
      : `const a = process.argv.find((x) => x.startsWith('--outputFile.json='));
require('node:fs').writeFileSync(a.slice('--outputFile.json='.length), ${JSON.stringify(JSON.stringify(stub.report))});`;
  bin('vitest', `${write}\nprocess.exit(${stub.vitestExit});`);
  writeFileSync(path.join(root, 'package.json'), '{"type":"commonjs"}\n');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'run-tests.mjs')], { encoding: 'utf8' });
  const lines = r.stdout.trim().split('\n');
  return { last: lines[lines.length - 1]!, status: r.status };
}

const green = { numPassedTests: 5, numFailedTests: 0, numPendingTests: 1, numTodoTests: 1, testResults: [] };

describe('npm test closing line', () => {
  it('a green run: counts from the report, exit 0', () => {
    expect(run({ tscExit: 0, vitestExit: 0, report: green })).toEqual({ last: '5 passed, 0 failed, 2 skipped', status: 0 });
  });

  it('failed tests are counted as they are', () => {
    expect(run({ tscExit: 0, vitestExit: 1, report: { ...green, numFailedTests: 3 } })).toEqual({ last: '5 passed, 3 failed, 2 skipped', status: 1 });
  });

  it('a type error adds one failure', () => {
    expect(run({ tscExit: 2, vitestExit: 0, report: green })).toEqual({ last: '5 passed, 1 failed, 2 skipped', status: 1 });
  });

  it('a test file that failed to load (no tests counted in it) is a failure', () => {
    const report = { ...green, testResults: [{ status: 'failed', assertionResults: [] }, { status: 'passed', assertionResults: [{}] }] };
    expect(run({ tscExit: 0, vitestExit: 1, report })).toEqual({ last: '5 passed, 1 failed, 2 skipped', status: 1 });
  });

  it('no report at all is a failure', () => {
    expect(run({ tscExit: 0, vitestExit: 1 })).toEqual({ last: '0 passed, 1 failed, 0 skipped', status: 1 });
  });

  it('vitest exiting non-zero with every counted test green (an unhandled error, a crashed worker) is a failure', () => {
    expect(run({ tscExit: 0, vitestExit: 1, report: green })).toEqual({ last: '5 passed, 1 failed, 2 skipped', status: 1 });
  });
});
