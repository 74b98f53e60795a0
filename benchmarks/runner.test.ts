import { createServer } from 'node:net';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { readRunEvents } from '../core/store.js';
import { runRun } from '../cli/run.js';
import { mergeRuns } from './merge.js';
import { readResults, resultFingerprint, runSuite, type CellResult } from './runner.js';
import { optimizerNames } from '../optimizers/index.js';
import { expandCells, loadSuite, parseSuiteYaml, plain } from './suite.js';

const smokeFile = path.resolve(import.meta.dirname, 'suites/smoke.yaml');
const smoke = loadSuite(smokeFile);
const flags = { cache: false as const };
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-run-${p}-`));

const Totals = z.strictObject({
  calls: z.int().nonnegative(), failedCalls: z.int().nonnegative(),
  promptTokens: z.int().nonnegative(), completionTokens: z.int().nonnegative(), estimatedUsageCalls: z.int().nonnegative(), costUsd: z.number().nonnegative(),
});
const EndpointCounts = z.strictObject({ cachedCalls: z.int().nonnegative(), retries: z.int().nonnegative() });
const Score = z.strictObject({ n: z.int().positive(), correct: z.int().nonnegative(), accuracy: z.number().min(0).max(1) });
/** docs/run-format.md result.json. */
const ResultFormat = z.strictObject({
  id: z.string(),
  spec: z.looseObject({ id: z.string(), suite: z.string(), optimizer: z.string(), options: z.record(z.string(), z.unknown()), task: z.string(), target: z.string(), optimizerModel: z.string(), seed: z.int(), mode: z.enum(['equal', 'paper']), limits: z.strictObject({ targetCalls: z.int().optional(), optimizerCalls: z.int().optional(), tokens: z.int().optional() }) }),
  stoppedBy: z.enum(['done', 'budget']),
  spent: z.strictObject({ targetCalls: z.int().nonnegative(), optimizerCalls: z.int().nonnegative(), tokens: z.int().nonnegative() }),
  best: z.looseObject({ instruction: z.string() }),
  bestScore: z.number(),
  perQueryRewriter: z.literal(true).optional(),
  dev: Score,
  test: Score,
  trajectory: z.strictObject({ candidates: z.array(z.looseObject({ id: z.string() })).min(1), reflections: z.array(z.unknown()), steps: z.array(z.unknown()) }),
  checkpoints: z.array(z.strictObject({ fraction: z.number().gt(0).max(1), targetCalls: z.int().nonnegative(), candidateId: z.string().nullable(), score: z.number().nullable(), n: z.int().nonnegative(), correct: z.int().nonnegative() })).length(10),
  // suites over several sim worlds: the world's ceiling on the cell's test examples (sim/ceiling.ts; benchmarks/worlds-axis.test.ts)
  ceiling: z.strictObject({ instruction: z.string().min(1), parts: z.array(z.string()), n: z.int().nonnegative(), correct: z.int().nonnegative(), accuracy: z.number().min(0).max(1) }).optional(),
  checkpointUsage: Totals,
  usage: z.strictObject({ total: Totals, byModel: z.record(z.string(), Totals), byRole: z.record(z.string(), Totals) }),
  meta: z.strictObject({
    startedAt: z.iso.datetime(), finishedAt: z.iso.datetime(), wallMs: z.number().nonnegative(),
    usage: z.strictObject({ total: EndpointCounts, byModel: z.record(z.string(), EndpointCounts), byRole: z.record(z.string(), EndpointCounts) }),
    checkpointUsage: EndpointCounts,
  }),
});
const Sample = z.looseObject({ split: z.enum(['dev', 'test']), exampleId: z.string(), correct: z.boolean(), pred: z.string().nullable(), gold: z.string(), output: z.string() });

const fingerprints = (out: string) => Object.fromEntries(readResults(out).map((r) => [r.id, resultFingerprint(r)]));

describe('suite runner on the smoke suite', () => {
  let full: string;
  let ran: Awaited<ReturnType<typeof runSuite>>;
  beforeAll(async () => {
    full = tmp('full');
    ran = await runSuite(smoke, { out: full, flags });
  });

  it('writes suite.json and, per cell, spec.json, events.jsonl, samples.jsonl and a result.json in the documented format', () => {
    const cells = expandCells(smoke);
    expect(ran.ran).toEqual(cells.map((c) => c.id));
    expect(ran.failed).toEqual([]);
    expect(JSON.parse(readFileSync(path.join(full, 'suite.json'), 'utf8'))).toEqual(plain(smoke));
    expect(readdirSync(path.join(full, 'cells')).sort()).toEqual(cells.map((c) => c.id).sort());
    let calls = 0;
    for (const spec of cells) {
      const dir = path.join(full, 'cells', spec.id);
      expect(readdirSync(dir).sort()).toEqual(['events.jsonl', 'result.json', 'samples.jsonl', 'spec.json']);
      expect(JSON.parse(readFileSync(path.join(dir, 'spec.json'), 'utf8'))).toEqual(plain(spec));
      const result = ResultFormat.parse(JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'))) as unknown as CellResult;
      expect(result.id).toBe(spec.id);
      expect(result.spec).toEqual(plain(spec));
      expect(result.spent.targetCalls).toBeLessThanOrEqual(spec.limits.targetCalls!);
      expect(result.spent.optimizerCalls).toBeLessThanOrEqual(spec.limits.optimizerCalls!);
      expect(result.test.n).toBe(spec.testLimit);
      // Final scoring is outside the budget: the meter saw more target calls than the budget allowed for the search.
      expect(result.usage.byRole.target!.calls).toBeGreaterThan(result.spent.targetCalls);
      calls += result.usage.total.calls;
      const samples = readFileSync(path.join(dir, 'samples.jsonl'), 'utf8').trim().split('\n').map((l) => Sample.parse(JSON.parse(l)));
      expect(samples.filter((s) => s.split === 'dev')).toHaveLength(result.dev.n);
      expect(samples.filter((s) => s.split === 'test')).toHaveLength(result.test.n);
      expect(samples.filter((s) => s.split === 'test' && s.correct)).toHaveLength(result.test.correct);
      const events = readRunEvents(path.join(dir, 'events.jsonl'));
      expect(events.filter((e) => e.type === 'candidate')).toHaveLength(result.trajectory.candidates.length);
    }
    expect(ran.usage.total.calls).toBe(calls);
    // Seeds differ in the optimizer's random stream.
    const opro = readResults(full).filter((r) => r.spec.optimizer === 'opro');
    expect(resultFingerprint({ ...opro[0]!, id: 'x', spec: opro[1]!.spec })).not.toBe(resultFingerprint({ ...opro[1]!, id: 'x' }));
  });

  it('a rerun of the finished suite skips every cell and makes zero model calls', async () => {
    const before = fingerprints(full);
    const again = await runSuite(smoke, { out: full, flags });
    expect(again.ran).toEqual([]);
    expect(again.skipped).toHaveLength(4);
    expect(again.usage.total.calls).toBe(0);
    expect(fingerprints(full)).toEqual(before);
  });

  it('is deterministic: a second run (also with 2 cells at once) gives the same results except metadata', async () => {
    const other = tmp('conc');
    await runSuite(smoke, { out: other, flags, concurrency: 2 });
    expect(fingerprints(other)).toEqual(fingerprints(full));
  });

  it('n shards run disjoint cells; merging their directories equals the unsharded run', async () => {
    const dirs = [tmp('s1'), tmp('s2'), tmp('s3')];
    const seen: string[][] = [];
    for (const [i, out] of dirs.entries()) {
      const r = await runSuite(smoke, { out, flags, shard: { index: i + 1, count: 3 } });
      seen.push(r.ran);
    }
    expect(seen.map((s) => s.length)).toEqual([2, 1, 1]);
    expect(new Set(seen.flat()).size).toBe(4);
    const merged = path.join(tmp('merged'), 'run');
    const m = mergeRuns(dirs, merged);
    expect(m).toMatchObject({ cells: 4, done: 4, copied: 4 });
    expect(fingerprints(merged)).toEqual(fingerprints(full));
    expect(readFileSync(path.join(merged, 'suite.json'), 'utf8')).toBe(readFileSync(path.join(full, 'suite.json'), 'utf8'));
    // A merged run is finished: running the suite into it makes no calls.
    const again = await runSuite(smoke, { out: merged, flags });
    expect(again.usage.total.calls).toBe(0);
  });

  it('merge refuses a cell whose spec differs between directories', () => {
    const copy = tmp('tampered');
    cpSync(full, copy, { recursive: true });
    const id = readdirSync(path.join(copy, 'cells'))[0]!;
    const specFile = path.join(copy, 'cells', id, 'spec.json');
    const spec = JSON.parse(readFileSync(specFile, 'utf8'));
    writeFileSync(specFile, JSON.stringify({ ...spec, seed: 99 }));
    const resultFile = path.join(copy, 'cells', id, 'result.json');
    const result = JSON.parse(readFileSync(resultFile, 'utf8'));
    writeFileSync(resultFile, JSON.stringify({ ...result, spec: { ...spec, seed: 99 } }));
    expect(() => mergeRuns([full, copy], tmp('m2'))).toThrow(new RegExp(`cell ${id} has different specs in .* \\(seed \\([01] -> 99\\)\\)`));
    // Tampered in one directory only: its spec no longer matches the cell id's fingerprint.
    expect(() => mergeRuns([copy], tmp('m3'))).toThrow(/spec does not match the cell id's fingerprint|not a cell of the suite's grid/);
  });

  it('after a crash, resume redoes only the unfinished cells (partial ones from scratch) and no finished one', async () => {
    const out = tmp('crash');
    const cells = expandCells(smoke);
    let done = 0;
    await expect(
      runSuite(smoke, {
        out, flags,
        onProgress(e) {
          if (e.status === 'done' && ++done === 2) throw new Error('killed');
        },
      }),
    ).rejects.toThrow('killed');
    const finished = cells.slice(0, 2).map((c) => c.id);
    expect(readResults(out).map((r) => r.id)).toEqual(finished);
    const kept = finished.map((id) => readFileSync(path.join(out, 'cells', id, 'result.json'), 'utf8'));
    // The third cell was cut off mid-run: an events file with a torn line, no result.
    const partial = path.join(out, 'cells', cells[2]!.id);
    mkdirSync(partial, { recursive: true });
    writeFileSync(path.join(partial, 'events.jsonl'), '{"type":"stale"}\n{"type":"cand');

    const resumed = await runSuite(smoke, { out, flags });
    expect(resumed.skipped).toEqual(finished);
    expect(resumed.ran).toEqual(cells.slice(2).map((c) => c.id));
    expect(finished.map((id) => readFileSync(path.join(out, 'cells', id, 'result.json'), 'utf8'))).toEqual(kept);
    const redone = readResults(out, resumed.ran);
    expect(resumed.usage.total.calls).toBe(redone.reduce((a, r) => a + r.usage.total.calls, 0));
    expect(readRunEvents(path.join(partial, 'events.jsonl')).some((e) => e.type === 'stale')).toBe(false);
    expect(fingerprints(out)).toEqual(fingerprints(full));
  });

  it('--no-resume redoes finished cells', async () => {
    const out = tmp('noresume');
    const suite = parseSuiteYaml(readFileSync(smokeFile, 'utf8').replace('seeds: [0, 1]', 'seeds: [0]').replace(/  - name: protegi\n.*\n/, ''));
    await runSuite(suite, { out, flags });
    const r = await runSuite(suite, { out, flags, resume: false });
    expect(r.ran).toHaveLength(1);
    expect(r.usage.total.calls).toBeGreaterThan(0);
  });

  it('refuses to mix suites in one run directory', async () => {
    const suite = parseSuiteYaml(readFileSync(smokeFile, 'utf8').replace('name: smoke', 'name: other'));
    await expect(runSuite(suite, { out: full, flags })).rejects.toThrow(/holds a run of suite "smoke"/);
  });
});

/** A local port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('a cell that fails at call time', () => {
  it('is recorded as error.json, the other cells finish, and the CLI exits non-zero naming the failed cells', async () => {
    const dir = tmp('fail');
    const config = path.join(dir, 'popbench.config.yaml');
    writeFileSync(
      config,
      `maxAttempts: 1\ntimeoutMs: 5000\nmodels:\n  - name: dead\n    provider: openai\n    model: nothing\n    baseURL: http://127.0.0.1:${await closedPort()}/v1\n    keyless: true\n`,
    );
    const suiteFile = path.join(dir, 'fail.yaml');
    writeFileSync(
      suiteFile,
      `name: fail\nseeds: [0, 1]\ntasks: [like/navigate?size=10]\ntargets: [dead, sim-8b]\noptimizers:\n  - name: zero-shot-cot\nbudget: { mode: equal, targetCalls: 30 }\n`,
    );
    const out = path.join(dir, 'run');
    const lines: string[] = [];
    let err: unknown;
    try {
      await runRun(suiteFile, { out, config, cache: false, resume: true, concurrency: '1', progress: false }, (l) => lines.push(l));
    } catch (e) {
      err = e;
    }
    const cells = expandCells(loadSuite(suiteFile));
    const dead = cells.filter((c) => c.target === 'dead').map((c) => c.id);
    const alive = cells.filter((c) => c.target === 'sim-8b').map((c) => c.id);
    expect(err).toBeInstanceOf(UserError);
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toMatch(/^2 of 4 cells failed/);
    for (const id of dead) expect(msg).toContain(id);
    for (const id of alive) expect(msg).not.toContain(id);
    for (const id of dead) {
      const d = path.join(out, 'cells', id);
      expect(existsSync(path.join(d, 'result.json'))).toBe(false);
      expect(JSON.parse(readFileSync(path.join(d, 'error.json'), 'utf8')).message).toMatch(/connection/i);
    }
    expect(readResults(out).map((r) => r.id).sort()).toEqual([...alive].sort());
    // The table and the summary are still printed.
    const text = lines.join('\n');
    expect(text).toMatch(/zero-shot-cot\s+like\/navigate\?size=10\s+-\s+[\d.]+% \(2\)/);
    expect(text).toContain('2 ran, 0 already done, 2 failed');
    expect(text).toContain(`run directory: ${out}`);

    // A rerun retries only the failed cells.
    const again = await runSuite(loadSuite(suiteFile), { out, flags: { config, cache: false } });
    expect(again.skipped.sort()).toEqual([...alive].sort());
    expect(again.failed.map((f) => f.id)).toEqual(dead);
  });
});

describe('every registered optimizer as a cell', () => {
  it('runs under a small equal budget and writes a result in the documented format', async () => {
    const names = optimizerNames();
    const suite = parseSuiteYaml(
      `name: all\nseeds: [0]\ntasks: [like/navigate?size=20]\ntargets: [sim-8b]\noptimizers:\n${names.map((n) => `  - name: ${n}`).join('\n')}\nbudget: { mode: equal, targetCalls: 100, optimizerCalls: 20 }\ntestLimit: 10\n`,
    );
    const out = tmp('all');
    const r = await runSuite(suite, { out, flags });
    expect(r.failed).toEqual([]);
    const results = readResults(out, r.ran);
    expect(results.map((x) => x.spec.optimizer)).toEqual(names);
    for (const res of results) {
      ResultFormat.parse(res);
      expect(res.spent.targetCalls).toBeLessThanOrEqual(100);
      expect(res.spent.optimizerCalls).toBeLessThanOrEqual(20);
      expect(res.test.n).toBe(10);
    }
    // The per-query rewriter rewrote every scored input.
    const bpo = results.find((x) => x.spec.optimizer === 'bpo');
    if (bpo) expect(bpo.perQueryRewriter).toBe(true);
  });
});
