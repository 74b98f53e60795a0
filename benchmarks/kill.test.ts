/**
 * kill -9 at seeded random moments: a `run` or `merge` cut off anywhere
 * leaves a directory whose report counts only cells identical to an
 * uninterrupted run's, and resuming (rerunning) gives the uninterrupted
 * run's report exactly.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { buildReport } from '../reports/index.js';
import { loadRunDir } from '../reports/load.js';
import { mergeRuns } from './merge.js';
import { readResults, resultFingerprint, runSuite } from './runner.js';
import { parseSuiteYaml } from './suite.js';

const child = fileURLToPath(new URL('./testdata/kill-child.ts', import.meta.url));
const suiteText = readFileSync(path.resolve(import.meta.dirname, 'suites/smoke.yaml'), 'utf8').replace('seeds: [0, 1]', 'seeds: [0, 1, 2]');
const suite = parseSuiteYaml(suiteText);
const flags = { cache: false as const };
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-kill-${p}-`));
const fingerprints = (out: string) => Object.fromEntries(readResults(out).map((r) => [r.id, resultFingerprint(r)]));
const KILLS = 4;

/** Start the child; resolve with the ms from "go" to exit, killing it `killAfterMs` after "go" (or letting it finish). */
function runChild(args: string[], killAfterMs?: number): Promise<{ ms: number; signal: NodeJS.Signals | null; done: boolean }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let go = 0;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!go && out.includes('go\n')) {
        go = Date.now();
        if (killAfterMs !== undefined) setTimeout(() => p.kill('SIGKILL'), killAfterMs);
      }
    });
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (code && code !== 0) reject(new Error(`child failed (${code}): ${err}`));
      else resolve({ ms: Date.now() - (go || Date.now()), signal, done: out.includes('done\n') });
    });
  });
}

/** The CSV tables of a report (what a report counts), keyed by file name. */
async function reportTables(dir: string): Promise<Record<string, string>> {
  const out = tmp('report');
  await buildReport(dir, { out, formats: ['csv'], png: false });
  const csv = path.join(out, 'csv');
  return Object.fromEntries(readdirSync(csv).sort().map((f) => [f, readFileSync(path.join(csv, f), 'utf8')]));
}

/** What a report of a cut-off directory may show: only reference cells, each identical; the rest missing. */
function checkCutOff(dir: string, reference: Record<string, string>): number {
  if (!existsSync(path.join(dir, 'cells')) && !existsSync(path.join(dir, 'suite.json'))) return 0;
  const run = loadRunDir(dir);
  const counted = run.cells.map((c) => c.id);
  expect(new Set(counted).size).toBe(counted.length);
  const mine = fingerprints(dir);
  for (const id of counted) expect(mine[id]).toBe(reference[id]);
  if (run.grid !== undefined) {
    expect(run.grid).toBe(Object.keys(reference).length);
    expect(counted.length + run.missing.length).toBe(run.grid);
  }
  return counted.length;
}

describe('kill -9 at seeded random moments', () => {
  let suiteFile: string;
  let reference: Record<string, string>;
  let referenceTables: Record<string, string>;
  let shards: string[];
  beforeAll(async () => {
    const dir = tmp('ref');
    suiteFile = path.join(dir, 'suite.yaml');
    writeFileSync(suiteFile, suiteText);
    const full = path.join(dir, 'full');
    await runSuite(suite, { out: full, flags });
    reference = fingerprints(full);
    referenceTables = await reportTables(full);
    shards = [1, 2, 3].map((i) => path.join(dir, `shard${i}`));
    for (const [i, out] of shards.entries()) await runSuite(suite, { out, flags, shard: { index: i + 1, count: 3 } });
    // Large cells make a merge slow enough to be cut at many points.
    for (const out of shards)
      for (const id of readdirSync(path.join(out, 'cells'))) writeFileSync(path.join(out, 'cells', id, 'padding.bin'), Buffer.alloc(4 << 20, 7));
  }, 120_000);

  it('run: the report after each kill counts only identical cells; after resuming it equals the uninterrupted run', async () => {
    const whole = await runChild(['run', suiteFile, path.join(tmp('run-timing'), 'out')]);
    expect(whole.done).toBe(true);
    const rng = new Rng(8).derive('kill-run');
    const counts: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const out = path.join(tmp(`run${k}`), 'out');
      const at = Math.floor(rng.next() * whole.ms);
      const r = await runChild(['run', suiteFile, out], at);
      if (r.done) continue; // finished before the kill landed
      expect(r.signal).toBe('SIGKILL');
      counts.push(checkCutOff(out, reference));
      await runSuite(suite, { out, flags });
      expect(fingerprints(out)).toEqual(reference);
      expect(await reportTables(out)).toEqual(referenceTables);
    }
    // The moments were spread: at least one kill landed mid-run.
    expect(counts.length).toBeGreaterThan(0);
  }, 180_000);

  it('merge: the report after each kill counts only identical cells; after rerunning it equals the uninterrupted run', async () => {
    const whole = await runChild(['merge', path.join(tmp('merge-timing'), 'out'), ...shards]);
    expect(whole.done).toBe(true);
    const rng = new Rng(8).derive('kill-merge');
    let cut = 0;
    for (let k = 0; k < KILLS; k++) {
      const out = path.join(tmp(`merge${k}`), 'out');
      // Half the kills hit a merge into a directory that already holds the first shard.
      if (k % 2) cpSync(shards[0]!, out, { recursive: true });
      const at = Math.floor(rng.next() * whole.ms);
      const r = await runChild(['merge', out, ...shards], at);
      if (r.done) continue;
      cut++;
      checkCutOff(out, reference);
      mergeRuns(shards, out);
      expect(fingerprints(out)).toEqual(reference);
      expect(readdirSync(path.join(out, 'cells')).filter((n) => n.includes('.tmp-'))).toEqual([]);
      expect(await reportTables(out)).toEqual(referenceTables);
    }
    expect(cut).toBeGreaterThan(0);
  }, 180_000);
});
