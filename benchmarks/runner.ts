/**
 * The suite runner: runs the cells of a suite (or of one shard of it) and
 * writes the run directory of docs/run-format.md. A cell is done iff its
 * result.json is valid (schema, id, spec) — written last, atomically and
 * durably — so a run killed at any point loses no finished cell; on resume,
 * finished cells are skipped without a single model call and an unfinished or
 * invalid cell is redone from an empty folder. Each cell is run under its own
 * lock (locks/<id>.lock), so shards and repeated runs can share a directory.
 */
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { resolveEmbedder } from '../llm/embeddings.js';
import path from 'node:path';
import pLimit from 'p-limit';
import { cleanTemps, fsyncDir, tempPath, writeAtomic } from '../core/atomic.js';
import { Budget } from '../core/budget.js';
import { LLMError, UserError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { JsonlRunStore } from '../core/store.js';
import type { EvalResult, OptimizerContext, Prompt } from '../core/types.js';
import { emptyTotals, UsageMeter, type UsageSnapshot, type UsageTotals } from '../llm/index.js';
import { optimizerContext, resultScorer } from '../optimizers/common.js';
import { paperPresetFor } from '../optimizers/setup.js';
import { withScoring } from '../tasks/scoring.js';
import { OPTIMIZERS } from '../optimizers/index.js';
import type { OptimizeResult, Trajectory } from '../optimizers/types.js';
import { scoreCheckpoints, type Checkpoint } from './checkpoints.js';
import { cellDir, cellIds, cellState, checkRecordedCells, json, lockCell, readJson, writeGrid } from './rundir.js';
import { cellWorld, Session, type SessionFlags } from './session.js';
import { ceiling } from '../sim/ceiling.js';
import type { SimWorld } from '../sim/index.js';
import type { Example, Task } from '../core/types.js';
import { lookupModel } from '../llm/index.js';
import { runPlacebo, type PlaceboSummary } from './placebo.js';
import { runTransfers, type TransferSummary } from './transfer.js';
import { runPairwise, type PairwiseSummary } from './pairwise.js';
import { expandCells, overWorlds, plain, shardCells, type CellSpec, type Shard, type Suite } from './suite.js';

export { cellDir, readJson } from './rundir.js';
export { writeAtomic } from '../core/atomic.js';

export interface SplitScore {
  n: number;
  correct: number;
  accuracy: number;
}

/** cells/<id>/result.json (docs/run-format.md); `meta` is wall-clock metadata, never compared. */
export interface CellResult {
  id: string;
  spec: CellSpec;
  stoppedBy: 'done' | 'budget';
  spent: { targetCalls: number; optimizerCalls: number; tokens: number };
  best: Prompt;
  bestScore: number;
  /** True for per-query optimizers (BPO): every input was rewritten at scoring time. */
  perQueryRewriter?: boolean;
  dev: SplitScore;
  test: SplitScore;
  trajectory: Trajectory;
  /** Anytime checkpoints: the incumbent's test score at shares of the target-call budget (benchmarks/checkpoints.ts). */
  checkpoints: Checkpoint[];
  /**
   * In-process sim targets of suites with a world other than 0 or several
   * worlds: the sim world's printed ceiling on this cell's test examples (sim/ceiling.ts: the best of the documented prompt family,
   * chosen on these examples) and its test accuracy.
   */
  ceiling?: CellCeiling;
  /** Calls, tokens and cost of scoring the checkpoints (not in `usage`). */
  checkpointUsage: CellUsageTotals;
  /** The search and the final scoring; what depends on timing and on the cache's contents is in `meta.usage`. */
  usage: CellUsage;
  meta: CellMeta;
}

/** Usage totals of result.json: the UsageMeter's without `cachedCalls` and `retries` (those are in `meta`). */
export type CellUsageTotals = Omit<UsageTotals, 'cachedCalls' | 'retries'>;
export interface CellUsage {
  total: CellUsageTotals;
  byModel: Record<string, CellUsageTotals>;
  byRole: Partial<Record<keyof UsageSnapshot['byRole'], CellUsageTotals>>;
}
/** What the endpoints and the cache did rather than what the cell computed: depends on timing and on the cache. */
export interface EndpointCounts {
  /** Calls answered from the call cache or by an identical call in flight at the same time (any cell's). */
  cachedCalls: number;
  /** Attempts retried after a retryable failure. */
  retries: number;
}

/**
 * result.json `meta`: wall-clock and endpoint facts only. Nothing computed
 * depends on them, and comparisons of runs ignore them: a run at any
 * `--concurrency`, or replayed from the cache, differs from another only here.
 */
export interface CellMeta {
  startedAt: string;
  finishedAt: string;
  wallMs: number;
  usage: { total: EndpointCounts; byModel: Record<string, EndpointCounts>; byRole: Record<string, EndpointCounts> };
  checkpointUsage: EndpointCounts;
}

/** Split a UsageMeter snapshot into its deterministic part (result.json `usage`) and its endpoint counts (`meta.usage`). */
export function splitUsage(s: UsageSnapshot): { usage: CellUsage; endpoint: CellMeta['usage'] } {
  const split = (t: UsageTotals): [CellUsageTotals, EndpointCounts] => {
    const { cachedCalls, retries, ...rest } = t;
    return [rest, { cachedCalls, retries }];
  };
  const map = <K extends string>(m: Partial<Record<K, UsageTotals>>) => {
    const a: Record<string, CellUsageTotals> = {};
    const b: Record<string, EndpointCounts> = {};
    for (const [k, v] of Object.entries(m) as Array<[string, UsageTotals | undefined]>) if (v) [a[k], b[k]] = split(v);
    return [a, b] as const;
  };
  const [total, totalE] = split(s.total);
  const [byModel, byModelE] = map(s.byModel);
  const [byRole, byRoleE] = map(s.byRole);
  return { usage: { total, byModel, byRole }, endpoint: { total: totalE, byModel: byModelE, byRole: byRoleE } };
}

/** result.json `ceiling`: the best family prompt of the cell's sim world on its test examples. */
export interface CellCeiling {
  instruction: string;
  parts: string[];
  n: number;
  correct: number;
  accuracy: number;
}

const CEILINGS = new WeakMap<SimWorld, Map<string, CellCeiling>>();
/** The ceiling of (world, task, target) on `test`, computed once per session world and test set. */
export function cellCeiling(world: SimWorld, task: Task, target: string, test: readonly Example[]): CellCeiling {
  let m = CEILINGS.get(world);
  if (!m) CEILINGS.set(world, (m = new Map()));
  const key = JSON.stringify([task.id, target, test.map((e) => e.id), test.length ? test[0]!.input : '']);
  let c = m.get(key);
  if (!c) {
    const best = ceiling(world, task, target, test).best;
    c = { instruction: best.instruction, parts: best.parts, n: test.length, correct: Math.round(best.accuracy * test.length), accuracy: best.accuracy };
    m.set(key, c);
  }
  return c;
}

export interface ProgressEvent {
  /** Cells of this shard finished so far (done, skipped or failed). */
  finished: number;
  total: number;
  cell: string;
  /** `busy`: another process holds the cell's lock (it is running it). */
  status: 'start' | 'done' | 'skipped' | 'busy' | 'failed';
}

export interface RunSuiteOptions {
  out: string;
  shard?: Shard;
  /** Skip cells whose result.json exists (default true); false redoes every cell of the shard. */
  resume?: boolean;
  /** Cells run at once (default 1). */
  concurrency?: number;
  /** Called when a cell starts and when it ends; an exception stops the run (finished cells stay). */
  onProgress?: (e: ProgressEvent) => void;
  /** Session flags (config, cache, offline, data dir); ignored when `session` is given. */
  flags?: SessionFlags;
  session?: Session;
}

export interface RunSummary {
  out: string;
  /** Cells of this shard, in grid order. */
  cells: CellSpec[];
  ran: string[];
  skipped: string[];
  /** Cells left alone because another process holds their lock. */
  busy: string[];
  /** Cells whose result.json was invalid and which were therefore redone (or attempted), with the reason. */
  invalid: Array<{ id: string; reason: string }>;
  /** Cells of `external` entries, left for `popbench proxy` (optimizers/external.ts). */
  external: string[];
  failed: Array<{ id: string; message: string }>;
  /** With `transfer: true`: cells whose prompt was scored on other targets, and cells skipped (benchmarks/transfer.ts). */
  transfer?: TransferSummary;
  /** With `placebo: true`: cells whose reflections were probed (benchmarks/placebo.ts). */
  placebo?: PlaceboSummary;
  /** With `pairwise:`: cells judged against their baseline cell, and cells skipped (benchmarks/pairwise.ts). */
  pairwise?: PairwiseSummary;
  /** Model calls made by this invocation (finished cells' calls are not repeated). */
  usage: UsageSnapshot;
}

/** Run (the shard of) a suite into `opts.out`. Cell failures are returned, not thrown. */
export async function runSuite(suite: Suite, opts: RunSuiteOptions): Promise<RunSummary> {
  const out = opts.out;
  const resume = opts.resume ?? true;
  const all = expandCells(suite);
  const cells = shardCells(all, opts.shard);

  mkdirSync(path.join(out, 'cells'), { recursive: true });
  // Leftovers of killed writers (temp files and copies) are removed by the next writer.
  cleanTemps(out);
  cleanTemps(path.join(out, 'cells'));
  cleanTemps(path.join(out, 'locks'));
  const suiteFile = path.join(out, 'suite.json');
  if (existsSync(suiteFile)) {
    const prev = readJson<{ name?: string }>(suiteFile);
    if (prev?.name !== suite.name)
      throw new UserError(`${out} holds a run of suite "${prev?.name}", not "${suite.name}"; choose another --out`);
  }
  // Recorded cells must be cells of this grid (same full spec); new cells may be added.
  checkRecordedCells(out, all);
  writeAtomic(suiteFile, json(suite));
  writeGrid(out, { suite: suite.name, cells: all.map(plain) });

  const session = opts.session ?? new Session({ ...(suite.dataDir ? { dataDir: suite.dataDir } : {}), ...opts.flags, seed: 0 });
  const used: UsageSnapshot[] = [];
  const summary: RunSummary = { out, cells, ran: [], skipped: [], busy: [], invalid: [], external: [], failed: [], usage: sumUsage([]) };
  let finished = 0;
  const progress = (cell: string, status: ProgressEvent['status']) => opts.onProgress?.({ finished, total: cells.length, cell, status });
  const limit = pLimit(Math.max(1, opts.concurrency ?? 1));
  let stop: unknown;
  // The report compares worlds against their ceilings: recorded when the suite has a world other than 0 or several.
  const withCeilings = overWorlds(suite);

  const one = async (spec: CellSpec) => {
    if (stop !== undefined) return;
    const dir = cellDir(out, spec.id);
    if (OPTIMIZERS[spec.optimizer]?.external) {
      summary.external.push(spec.id);
      finished++;
      progress(spec.id, 'skipped');
      return;
    }
    const skip = () => {
      const st = cellState(out, spec.id, spec);
      if (st.status === 'invalid' && !summary.invalid.some((i) => i.id === spec.id)) summary.invalid.push({ id: spec.id, reason: st.reason });
      return resume && st.status === 'done';
    };
    if (skip()) {
      summary.skipped.push(spec.id);
      finished++;
      progress(spec.id, 'skipped');
      return;
    }
    const lock = lockCell(out, spec.id);
    if (!lock.ok) {
      summary.busy.push(spec.id);
      finished++;
      progress(spec.id, 'busy');
      return;
    }
    try {
      // Another process may have finished the cell between the check and the lock.
      const done = cellState(out, spec.id, spec).status === 'done';
      if (resume && done) {
        summary.skipped.push(spec.id);
        finished++;
        progress(spec.id, 'skipped');
        return;
      }
      progress(spec.id, 'start');
      // A cell left unfinished, failed or invalid by an earlier run starts again from an empty folder.
      // A finished cell redone (resume off) runs in a temp folder beside it, which replaces it only
      // once finished: until then the earlier result stays (a kill loses nothing finished).
      const work = done ? tempPath(dir) : dir;
      if (!done) rmSync(dir, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      writeAtomic(path.join(work, 'spec.json'), json(spec));
      const usage = new UsageMeter();
      try {
        await runCell(spec, work, session, usage, undefined, { ceiling: withCeilings });
        if (done) replaceDir(work, dir);
        summary.ran.push(spec.id);
        finished++;
        used.push(usage.snapshot());
        progress(spec.id, 'done');
      } catch (err) {
        used.push(usage.snapshot());
        if (done) rmSync(work, { recursive: true, force: true });
        if (!(err instanceof UserError || err instanceof LLMError)) throw err;
        if (!done) writeAtomic(path.join(dir, 'error.json'), json({ message: err.message }));
        summary.failed.push({ id: spec.id, message: done ? `${err.message} (the earlier finished result is kept)` : err.message });
        finished++;
        progress(spec.id, 'failed');
      }
    } finally {
      lock.release();
    }
  };

  try {
    await Promise.all(
      cells.map((c) =>
        limit(async () => {
          try {
            await one(c);
          } catch (err) {
            stop ??= err;
          }
        }),
      ),
    );
    if (suite.placebo && stop === undefined) {
      // Reflection placebo probes: recorded reflection meta-prompts re-asked under controls, outside the budget.
      const usage = new UsageMeter();
      try {
        summary.placebo = await runPlacebo(out, cells, session, usage);
      } finally {
        used.push(usage.snapshot());
      }
    }
    if (suite.pairwise && stop === undefined) {
      // Pairwise win rate: a judge compares each cell's test answers with its baseline cell's, outside the budget.
      const usage = new UsageMeter();
      try {
        summary.pairwise = await runPairwise(suite, out, cells, session, usage);
      } finally {
        used.push(usage.snapshot());
      }
    }
    if (suite.transfer && stop === undefined) {
      // Cross-model transfer: every finished cell's prompt on the suite's other targets, outside the budget.
      const usage = new UsageMeter();
      try {
        summary.transfer = await runTransfers(suite, out, cells, session, usage);
      } finally {
        used.push(usage.snapshot());
      }
    }
  } finally {
    summary.usage = sumUsage(used);
    if (!opts.session) session.close();
  }
  if (stop !== undefined) throw stop;
  return summary;
}

/**
 * Put the finished folder `fresh` in the place of the folder `dir`: `dir` is
 * renamed to a temp name (which readers skip), `fresh` renamed into place, the
 * old one removed. Both renames are immediate, so `dir` holds a finished cell
 * at every moment but the instant between them.
 */
function replaceDir(fresh: string, dir: string): void {
  const old = tempPath(dir);
  renameSync(dir, old);
  renameSync(fresh, dir);
  fsyncDir(path.dirname(dir));
  rmSync(old, { recursive: true, force: true });
}

/** Sum usage snapshots (calls, tokens, cost) over cells. */
export function sumUsage(list: readonly UsageSnapshot[]): UsageSnapshot {
  type Totals = UsageSnapshot['total'];
  const zero = emptyTotals;
  const add = (a: Totals, b: Totals): Totals => {
    const out = { ...a };
    for (const k of Object.keys(out) as Array<keyof Totals>) out[k] += b[k] ?? 0;
    return out;
  };
  const addInto = (into: Record<string, Totals>, from: Record<string, Totals | undefined>) => {
    for (const [k, v] of Object.entries(from)) if (v) into[k] = add(into[k] ?? zero(), v);
  };
  const total = list.reduce((acc, s) => add(acc, s.total), zero());
  const byModel: Record<string, Totals> = {};
  const byRole: Record<string, Totals> = {};
  for (const s of list) {
    addInto(byModel, s.byModel);
    addInto(byRole, s.byRole);
  }
  const sorted = (m: Record<string, Totals>) => Object.fromEntries(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
  return { total, byModel: sorted(byModel), byRole: sorted(byRole) as UsageSnapshot['byRole'] };
}

const slice = <T>(list: readonly T[], n: number | undefined) => (n === undefined ? list.slice() : list.slice(0, n));
const score = (r: EvalResult): SplitScore => ({ n: r.n, correct: r.correct, accuracy: r.accuracy });

/**
 * One cell: its own budget and usage meter; target and optimizer LLMs through
 * the session's stack; events streamed to events.jsonl; the best prompt scored
 * on dev and test outside the budget; samples.jsonl; result.json last.
 */
export async function runCell(
  spec: CellSpec,
  dir: string,
  session: Session,
  usage: UsageMeter,
  /** Runs the search instead of the registered optimizer (`popbench proxy` drives an external one). */
  optimize?: (ctx: OptimizerContext) => Promise<OptimizeResult>,
  /** ceiling: record the sim world's ceiling on the test examples (in-process sim targets; suites over several worlds). */
  opts: { ceiling?: boolean } = {},
): Promise<CellResult> {
  const started = Date.now();
  const startedAt = new Date(started).toISOString();
  const reg = OPTIMIZERS[spec.optimizer];
  if (!reg) throw new UserError(`cell ${spec.id}: unknown optimizer "${spec.optimizer}"`);
  const splitSeed = spec.splitSeed === 'per-seed' ? spec.seed : session.seed;
  const loaded = session.task(spec.task, splitSeed);
  const presetSplits =
    spec.preset === 'paper' ? paperPresetFor(spec.optimizer, spec.task).splits : spec.splitsOf !== undefined ? paperPresetFor(spec.splitsOf, spec.task).splits : undefined;
  const task = withScoring(presetSplits ? { ...loaded, splits: presetSplits(loaded, splitSeed) } : loaded, spec.scoring ?? 'strict');
  // The config's maxCostUsd caps cells whose suite sets no cost limit.
  const cap = session.config.maxCostUsd;
  const budget = new Budget({ ...(cap !== undefined ? { costUsd: cap } : {}), ...spec.limits });
  const world = cellWorld(session, spec);
  world.register(loaded);
  const target = session.model(spec.target, budget, usage, world);
  const optimizerLLM = session.model(spec.optimizerModel, budget, usage, world);
  const train = slice(task.splits.train, spec.trainSize);
  const dev = slice(task.splits.dev, spec.devSize);
  const test = slice(task.splits.test, spec.testLimit);
  const store = new JsonlRunStore(path.join(dir, 'events.jsonl'));
  const ctx = optimizerContext({ optimizerName: spec.optimizer, seed: spec.seed, task, train, dev, target, optimizer: optimizerLLM, budget, log: store, ...(spec.initial ? { initial: spec.initial } : {}) });
  if (spec.embeddingModel !== undefined) ctx.embedder = resolveEmbedder(spec.embeddingModel, { config: session.config });
  let result: OptimizeResult;
  try {
    result = await (optimize ? optimize(ctx) : reg.optimizer.optimize(ctx, spec.options));
  } finally {
    store.close();
  }

  // Final scoring is outside the search budget: a fresh, unbudgeted stack (same usage meter).
  const scorer = resultScorer(task, result, session.model(spec.target, undefined, usage, world), session.model(spec.optimizerModel, undefined, usage, world));
  const devRes = await scorer.evaluate(dev);
  const testRes = await scorer.evaluate(test);
  // Anytime checkpoints, also outside the budget, on the same test examples; metered on their own
  // (checkpointUsage) so `usage` stays the search and the final scoring.
  const checkpointMeter = new UsageMeter();
  const checkpoints = await scoreCheckpoints({
    k: spec.checkpoints ?? 10,
    task,
    result,
    test,
    limit: spec.limits.targetCalls,
    spent: budget.spent.targetCalls,
    target: session.model(spec.target, undefined, checkpointMeter, world),
    rewriterModel: session.model(spec.optimizerModel, undefined, checkpointMeter, world),
  });
  // The printed ceiling of the cell's sim world (in-process sim targets only), outside the budget and the meters.
  const simTarget = opts.ceiling === true && lookupModel(spec.target, session.config).provider === 'sim';
  const ceil = simTarget ? cellCeiling(world, task, lookupModel(spec.target, session.config).model, test) : undefined;
  const samples = [
    ...devRes.outcomes.map((o) => ({ split: 'dev', ...o })),
    ...testRes.outcomes.map((o) => ({ split: 'test', ...o })),
  ];
  writeAtomic(path.join(dir, 'samples.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + (samples.length ? '\n' : ''));

  const finished = Date.now();
  const searchUsage = splitUsage(usage.snapshot());
  const checkpointUsage = splitUsage(checkpointMeter.snapshot());
  const cell: CellResult = {
    id: spec.id,
    spec,
    stoppedBy: result.stoppedBy,
    spent: { ...budget.spent },
    best: result.best,
    // A search that scored nothing itself (an external one, through the proxy) gets its dev accuracy.
    bestScore: Number.isNaN(result.bestScore) ? devRes.accuracy : result.bestScore,
    ...(scorer.perQuery ? { perQueryRewriter: true } : {}),
    dev: score(devRes),
    test: score(testRes),
    trajectory: result.trajectory,
    checkpoints,
    ...(ceil ? { ceiling: ceil } : {}),
    checkpointUsage: checkpointUsage.usage.total,
    usage: searchUsage.usage,
    meta: {
      startedAt,
      finishedAt: new Date(finished).toISOString(),
      wallMs: finished - started,
      usage: searchUsage.endpoint,
      checkpointUsage: checkpointUsage.endpoint.total,
    },
  };
  writeAtomic(path.join(dir, 'result.json'), json(cell));
  return plain(cell);
}

/**
 * The results of the finished cells of a run directory (optionally only the
 * given ids): those whose result.json is valid; temp copies and cells with an
 * invalid result are left out.
 */
export function readResults(out: string, ids?: readonly string[]): CellResult[] {
  const outList: CellResult[] = [];
  for (const id of ids ?? cellIds(out)) {
    const st = cellState(out, id);
    if (st.status === 'done') outList.push(st.result as unknown as CellResult);
  }
  return outList;
}

/** Canonical JSON of a cell result without its wall-clock metadata: equal iff the cell computed the same thing. */
export function resultFingerprint(r: CellResult): string {
  const { meta: _meta, ...rest } = plain(r);
  return canonicalJson(rest);
}
