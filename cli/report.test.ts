import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFixtureRun } from '../reports/fixture.js';
import { expectOneLineError, popbench } from './testing.js';


describe('popbench report', () => {
  it('writes the requested formats', () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-cli-report-')));
    const out = path.join(dir, 'out');
    const r = popbench(['report', dir, '--out', out, '--format', 'md,csv', '--no-png']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/12 finished cells, 2 missing or failed/);
    expect(r.stdout).toMatch(/sim results are not research claims/);
    expect(existsSync(path.join(out, 'report.md'))).toBe(true);
    expect(existsSync(path.join(out, 'csv', 'comparisons.csv'))).toBe(true);
    expect(existsSync(path.join(out, 'report.html'))).toBe(false);
    expect(existsSync(path.join(out, 'plots', 'cd-diagram.png'))).toBe(false);
  });

  it('bad run directory: one-line error, exit 2', () => {
    expectOneLineError(popbench(['report', '/nonexistent/pb-run']), /run directory not found: \/nonexistent\/pb-run/);
    expectOneLineError(popbench(['report', mkdtempSync(path.join(tmpdir(), 'pb-empty-'))]), /not a run directory/);
  });

  it('a cell with an invalid samples line does not count and is listed as failed, naming file and line', () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-cli-report-')));
    const file = path.join(dir, 'cells', 'empty__like-gsm__sim-8b__s1', 'samples.jsonl');
    writeFileSync(file, '{"split":"test","exampleId":"e0","correct":"yes"}\n');
    const r = popbench(['report', dir, '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/11 finished cells, 3 missing or failed/);
    expect(r.stdout).toMatch(/failed empty__like-gsm__sim-8b__s1: invalid: .*samples\.jsonl:1: invalid correct/);
  });

  it('a run without the baseline says so and names the labels to choose from', () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-cli-report-')));
    for (const id of readdirSync(path.join(dir, 'cells'))) if (id.startsWith('empty__')) rmSync(path.join(dir, 'cells', id), { recursive: true });
    const r = popbench(['report', dir, '--format', 'csv']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/note: baseline "empty" has no finished cells here, so there are no paired comparisons; choose one with --baseline <label> \(labels: [a-z-]+(, [a-z-]+)+\)/);
  });

  it('bad flags', () => {
    const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-cli-report-')));
    expectOneLineError(popbench(['report', dir, '--format', 'md,pdf']), /--format: .*"pdf"/);
    expectOneLineError(popbench(['report', dir, '--alpha', '2']), /--alpha/);
  });
});
