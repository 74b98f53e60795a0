import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../core/atomic.js';
import { UserError } from '../core/errors.js';
import { tryLock } from '../core/lock.js';
import { loadRunDir } from '../reports/load.js';
import { mergeRuns } from './merge.js';
import { readResults, resultFingerprint, runSuite } from './runner.js';
import { diffFields } from './rundir.js';
import { snapshotDir } from '../test/fixtures.js';
import { Session } from './session.js';
import { expandCells, parseSuiteYaml } from './suite.js';

const smokeText = readFileSync(path.resolve(import.meta.dirname, 'suites/smoke.yaml'), 'utf8');
const smoke = parseSuiteYaml(smokeText);
const flags = { cache: false as const };
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-rundir-${p}-`));
const fingerprints = (out: string) => Object.fromEntries(readResults(out).map((r) => [r.id, resultFingerprint(r)]));
/** A pid that no process has now. */
const deadPid = () => {
  let pid = 4_000_000;
  while (isAlive(pid)) pid--;
  return pid;
};

describe('run directories that cannot lie', () => {
  let full: string;
  beforeAll(async () => {
    full = tmp('full');
    await runSuite(smoke, { out: full, flags });
  });

  it('(1) an edited suite is refused with the differing fields named, and the directory is left as it was', async () => {
    const out = tmp('edited');
    cpSync(full, out, { recursive: true });
    const before = snapshotDir(out);
    const edited = parseSuiteYaml(smokeText.replace('targetCalls: 120', 'targetCalls: 60'));
    const err = await runSuite(edited, { out, flags }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toMatch(/holds cell opro__like-navigate-size-20__sim-8b__s0 with a different spec .*limits\.targetCalls \(120 -> 60\)/);
    expect(snapshotDir(out)).toEqual(before);
    // The old grid is what the report compares against: nothing pooled.
    const run = loadRunDir(out);
    expect(run.cells).toHaveLength(4);
    expect(run.missing).toEqual([]);
  });

  it('(1) adding seeds is fine: only the new cells run; the report counts the new grid', async () => {
    const out = tmp('moreseeds');
    cpSync(full, out, { recursive: true });
    const more = parseSuiteYaml(smokeText.replace('seeds: [0, 1]', 'seeds: [0, 1, 2]'));
    const r = await runSuite(more, { out, flags });
    expect(r.skipped).toHaveLength(4);
    expect(r.ran).toHaveLength(2);
    expect(r.ran.every((id) => id.includes('__s2__'))).toBe(true);
    const run = loadRunDir(out);
    expect(run.grid).toBe(6);
    expect(run.cells).toHaveLength(6);
    // Removing them again is a removal of recorded cells: refused.
    await expect(runSuite(smoke, { out, flags })).rejects.toThrow(/holds cell .*__s2__[0-9a-f]{8} \(grid\.json\), which the suite no longer has/);
  });

  it('(2) temp copies left by a killed merge are ignored by report and run, and removed by the next writer', async () => {
    const out = tmp('temps');
    cpSync(full, out, { recursive: true });
    const ids = readdirSync(path.join(out, 'cells'));
    const pid = deadPid();
    // A whole copy, a half copy (no result), and a torn file copy, as a killed merge leaves them.
    cpSync(path.join(out, 'cells', ids[0]!), path.join(out, 'cells', `${ids[0]}.tmp-${pid}-abcd1234`), { recursive: true });
    mkdirSync(path.join(out, 'cells', `${ids[1]}.tmp-${pid}`));
    writeFileSync(path.join(out, 'cells', `${ids[1]}.tmp-${pid}`, 'result.json'), '{"id":');
    writeFileSync(path.join(out, 'cells', ids[2]!, `result.json.tmp-${pid}-0000ffff`), '{"id":');
    const run = loadRunDir(out);
    expect(run.cells.map((c) => c.id).sort()).toEqual(ids.sort());
    expect(run.missing).toEqual([]);
    const merged = mergeRuns([out], out);
    expect(merged).toMatchObject({ cells: 4, done: 4 });
    expect(readdirSync(path.join(out, 'cells')).sort()).toEqual(ids.sort());
    expect(fingerprints(out)).toEqual(fingerprints(full));
  });

  it('(2) merge locks the cells it writes: a cell a live process holds in the destination is refused before anything is copied', () => {
    const out = tmp('merge-locked');
    const ids = readdirSync(path.join(full, 'cells')).sort();
    const held = tryLock(path.join(out, 'locks', `${ids[1]}.lock`));
    expect(held.ok).toBe(true);
    const err = (() => {
      try {
        mergeRuns([full], out);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toMatch(new RegExp(`^merge: cell ${ids[1]} in .* is being written by process ${process.pid} on ${hostname()}`));
    expect(existsSync(path.join(out, 'cells'))).toBe(false);
    // The merge released the locks it took; once the other writer is done the same merge goes through.
    expect(readdirSync(path.join(out, 'locks'))).toEqual([`${ids[1]}.lock`]);
    if (held.ok) held.release();
    expect(mergeRuns([full], out)).toMatchObject({ cells: 4, done: 4, copied: 4 });
    expect(readdirSync(path.join(out, 'locks'))).toEqual([]);
    expect(fingerprints(out)).toEqual(fingerprints(full));
  });

  it('(3) a cell whose samples.jsonl is missing, cut off or disagrees with result.json is not finished: run redoes it, merge refuses it', async () => {
    const cells = expandCells(smoke);
    const id = cells[1]!.id;
    const damage: Array<[string, (f: string) => void]> = [
      ['missing', (f) => rmSync(f)],
      ['cut off', (f) => writeFileSync(f, readFileSync(f, 'utf8').slice(0, -30))],
      ['a row short', (f) => writeFileSync(f, readFileSync(f, 'utf8').trim().split('\n').slice(1).join('\n') + '\n')],
    ];
    for (const [what, harm] of damage) {
      const out = tmp(`samples-${what.replace(/ /g, '-')}`);
      cpSync(full, out, { recursive: true });
      harm(path.join(out, 'cells', id, 'samples.jsonl'));
      expect(() => mergeRuns([out], tmp('m'))).toThrow(/samples\.jsonl/);
      const r = await runSuite(smoke, { out, flags });
      expect(r.ran).toEqual([id]);
      expect(r.invalid.map((i) => i.id)).toEqual([id]);
      expect(fingerprints(out)).toEqual(fingerprints(full));
      expect(loadRunDir(out).missing).toEqual([]);
    }
  });

  it('(3) a truncated, empty or wrong-schema result.json is not finished: run redoes it, merge refuses it, report lists it', async () => {
    const cells = expandCells(smoke);
    for (const [k, bad] of ['{"id": "x", "stoppedBy": "do', '', JSON.stringify({ id: cells[0]!.id, stoppedBy: 'done' })].entries()) {
      const out = tmp(`bad${k}`);
      cpSync(full, out, { recursive: true });
      const file = path.join(out, 'cells', cells[0]!.id, 'result.json');
      writeFileSync(file, bad);
      expect(() => mergeRuns([out], tmp('m'))).toThrow(new RegExp(`merge: .*${cells[0]!.id}/result\\.json: (malformed JSON|invalid result\\.json: \\S+)`));
      const rep = loadRunDir(out);
      expect(rep.cells).toHaveLength(3);
      expect(rep.missing).toEqual([expect.objectContaining({ id: cells[0]!.id, status: 'failed', reason: expect.stringMatching(/^invalid: .*result\.json/) })]);
      const r = await runSuite(smoke, { out, flags });
      expect(r.ran).toEqual([cells[0]!.id]);
      expect(r.invalid.map((i) => i.id)).toEqual([cells[0]!.id]);
      expect(fingerprints(out)).toEqual(fingerprints(full));
    }
  });

  it('(3) a result.json with impossible counts (correct > n, accuracy != correct/n) is not finished', () => {
    const id = expandCells(smoke)[0]!.id;
    for (const [test, field] of [
      [{ n: 20, correct: 999, accuracy: 49.95 }, 'test.'],
      [{ n: 20, correct: 21, accuracy: 1 }, 'test.correct'],
      [{ n: 20, correct: 10, accuracy: 0.6 }, 'test.accuracy'],
    ] as const) {
      const out = tmp('counts');
      cpSync(full, out, { recursive: true });
      const file = path.join(out, 'cells', id, 'result.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), test }));
      expect(readResults(out).map((r) => r.id)).not.toContain(id);
      expect(() => mergeRuns([out], tmp('m'))).toThrow(new RegExp(`invalid result\\.json: ${field.replace('.', '\\.')}`));
    }
  });

  it('(6) --no-resume keeps every finished result until its replacement is written, also when killed mid-cell', async () => {
    const out = tmp('noresume');
    cpSync(full, out, { recursive: true });
    // A session whose target calls end the process's work abruptly (an error that is not bad input: a crash).
    const session = new Session({ cache: false, seed: 0 });
    const model = session.model.bind(session);
    session.model = (name, budget, usage) => ({ ...model(name, budget, usage), complete: async () => { throw new Error('killed'); } });
    await expect(runSuite(smoke, { out, flags, resume: false, session })).rejects.toThrow('killed');
    session.close();
    expect(fingerprints(out)).toEqual(fingerprints(full));
    // A --no-resume run that finishes replaces every cell (same results) and leaves no temp folder.
    const r = await runSuite(smoke, { out, flags, resume: false });
    expect(r.ran).toHaveLength(expandCells(smoke).length);
    expect(fingerprints(out)).toEqual(fingerprints(full));
    expect(readdirSync(path.join(out, 'cells')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('(3) a result.json copied from another cell is not that cell\'s result', async () => {
    const out = tmp('swapped');
    cpSync(full, out, { recursive: true });
    const [a, b] = expandCells(smoke);
    cpSync(path.join(out, 'cells', a!.id, 'result.json'), path.join(out, 'cells', b!.id, 'result.json'));
    const r = await runSuite(smoke, { out, flags });
    expect(r.ran).toEqual([b!.id]);
    expect(r.invalid[0]!.reason).toMatch(/is not the cell's id/);
    expect(fingerprints(out)).toEqual(fingerprints(full));
  });

  it('(4) the report of one shard counts the whole grid: finished and missing', async () => {
    const out = tmp('shard');
    await runSuite(smoke, { out, flags, shard: { index: 1, count: 2 } });
    const run = loadRunDir(out);
    expect(run.grid).toBe(4);
    expect(run.cells).toHaveLength(2);
    expect(run.missing).toHaveLength(2);
    expect(run.missing.every((m) => m.status === 'missing' && m.spec !== undefined)).toBe(true);
    // A stray folder that is not a grid cell is left out and named.
    mkdirSync(path.join(out, 'cells', 'stray'));
    expect(loadRunDir(out).missing.find((m) => m.id === 'stray')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not a cell of the suite grid/) });
  });

  it('(5) two runs on one directory at once: every cell runs exactly once, results as a single run', async () => {
    const out = tmp('twice');
    const [r1, r2] = await Promise.all([runSuite(smoke, { out, flags }), runSuite(smoke, { out, flags })]);
    expect([...r1.ran, ...r2.ran].sort()).toEqual(expandCells(smoke).map((c) => c.id).sort());
    expect(new Set([...r1.ran, ...r2.ran]).size).toBe(4);
    expect(fingerprints(out)).toEqual(fingerprints(full));
    for (const id of r1.ran) {
      const events = readFileSync(path.join(out, 'cells', id, 'events.jsonl'), 'utf8');
      expect(events).toBe(readFileSync(path.join(full, 'cells', id, 'events.jsonl'), 'utf8'));
    }
    expect(existsSync(path.join(out, 'locks')) ? readdirSync(path.join(out, 'locks')) : []).toEqual([]);
  });

  it('locks: exclusive while held, taken over when the owner is gone', () => {
    const dir = tmp('lock');
    const file = path.join(dir, 'a.lock');
    const first = tryLock(file);
    expect(first.ok).toBe(true);
    expect(tryLock(file)).toMatchObject({ ok: false, owner: { pid: process.pid } });
    if (first.ok) first.release();
    expect(existsSync(file)).toBe(false);
    writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), startedAt: 'x' }));
    const again = tryLock(file);
    expect(again.ok).toBe(true);
    // A live owner on another host is never broken.
    writeFileSync(path.join(dir, 'c.lock'), JSON.stringify({ pid: deadPid(), host: 'elsewhere', startedAt: 'x' }));
    expect(tryLock(path.join(dir, 'c.lock')).ok).toBe(false);
  });

  it('diffFields names every differing path with both values', () => {
    expect(diffFields({ a: 1, b: { c: [1, 2], d: 'x' } }, { a: 1, b: { c: [1, 3] }, e: true })).toEqual(['b.c ([1,2] -> [1,3])', 'b.d ("x" -> absent)', 'e (absent -> true)']);
  });
});
