/**
 * What every model-running command sets up once: config, the sim world, the
 * run's usage meter and call cache, and the task. Commands resolve models
 * through `session.model(name, role budget)` so all of them share one stack.
 */
import { Budget } from '../core/budget.js';
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { LLM } from '../core/types.js';
import { apiKeyFor, loadConfig, lookupModel, openCache, resolveModel, UsageMeter, type PopbenchConfig } from '../llm/index.js';
import type { CallCache } from '../llm/cache.js';
import { SIM_OPTIMIZER_MODELS, SIM_TARGET_MODELS, SIM_UNRECOGNISED, SimWorld, type SimWorldOptions } from '../sim/index.js';
import { canonicalJson } from '../core/hash.js';
import { simOptimizerOverrides, type CellSpec } from './suite.js';
import { loadTask, resolveDataDir } from '../tasks/registry.js';
import type { LoadedTask } from '../tasks/task.js';

export interface SessionFlags {
  config?: string;
  dataDir?: string;
  cache?: string | boolean;
  offline?: boolean;
  seed?: string | number;
  /** Sim world seed (--world; 0 = the documented default world). */
  world?: string | number;
}

export class Session {
  readonly config: PopbenchConfig;
  readonly world: SimWorld;
  readonly usage = new UsageMeter();
  readonly seed: number;
  private readonly tasks = new Map<string, LoadedTask>();
  private readonly worlds = new Map<string, SimWorld>();
  private openedCache: CallCache | undefined;

  constructor(readonly flags: SessionFlags) {
    // --offline answers every endpoint call from the cache file: without the cache there is nothing to answer from.
    if (flags.offline && flags.cache === false) throw new UserError('--offline and --no-cache: offline replay answers calls from the call cache; drop one of them');
    this.config = loadConfig(flags.config);
    this.seed = parseIntFlag('--seed', flags.seed ?? 0, { min: 0 });
    this.world = new SimWorld({ world: parseIntFlag('--world', flags.world ?? 0, { min: 0 }) });
  }

  /** The call cache, opened on first use (a run of sim models only never creates the file). */
  get cache(): CallCache {
    if (!this.openedCache) {
      const cacheOff = this.flags.cache === false;
      this.openedCache = openCache(cacheOff ? { ...this.config, cache: { ...this.config.cache, mode: 'off' } } : this.config, {
        offline: this.flags.offline,
        ...(typeof this.flags.cache === 'string' ? { path: this.flags.cache } : {}),
      });
    }
    return this.openedCache;
  }

  /**
   * Load a task (once per split seed) and make it known to the sim world. `splitSeed`
   * (default: the session seed) seeds the split, and for like/ tasks the examples.
   */
  task(id: string, splitSeed: number = this.seed): LoadedTask {
    const key = splitSeed === this.seed ? id : `${id}\u0000${splitSeed}`;
    let t = this.tasks.get(key);
    if (!t) {
      // An explicit --data-dir is checked here; otherwise loadTask validates the id first
      // and looks for the data only for a real dataset task.
      const dataDir = this.flags.dataDir !== undefined && !id.startsWith('like/') ? resolveDataDir(this.flags.dataDir) : undefined;
      t = loadTask(id, { ...(dataDir ? { dataDir } : {}), seed: splitSeed });
      this.world.register(t);
      for (const w of this.worlds.values()) w.register(t);
      this.tasks.set(key, t);
    }
    return t;
  }

  /**
   * The sim world of a suite cell (its `world` seed and `sim` knobs), one
   * instance per distinct setting, knowing every task loaded so far and later;
   * the session's own world when the cell asks for nothing else.
   */
  simWorld(opts: SimWorldOptions = {}): SimWorld {
    const world = opts.world ?? 0;
    const hasOptimizer = opts.optimizer !== undefined && Object.keys(opts.optimizer).length > 0;
    const hasEffects = opts.effects !== undefined && Object.keys(opts.effects).length > 0;
    if (world === this.world.world && !hasOptimizer && !hasEffects) return this.world;
    const key = canonicalJson({ world, optimizer: opts.optimizer ?? null, effects: opts.effects ?? null });
    let w = this.worlds.get(key);
    if (!w) {
      w = new SimWorld(opts);
      for (const t of this.tasks.values()) w.register(t);
      this.worlds.set(key, w);
    }
    return w;
  }

  /**
   * `usage` defaults to the session's meter; a suite cell passes its own to
   * report per-cell usage, and its sim world (`simWorld`) when it has one.
   */
  model(name: string, budget?: Budget, usage: UsageMeter = this.usage, world: SimWorld = this.world): LLM {
    const provider = lookupModel(name, this.config).provider;
    // sim calls of a non-default world (or with sim knobs) are never cached (the cache key carries neither)
    const cached = provider !== 'sim' || (this.config.cache.sim && world.isDefault);
    const llm = resolveModel(name, {
      config: this.config,
      world,
      usage,
      ...(cached ? { cache: this.cache } : {}),
      ...(budget ? { budget } : {}),
      rng: new Rng(this.seed).derive(`retry:${name}`),
    });
    return provider === 'sim' ? llm : this.watchUnrecognised(name, llm);
  }

  /**
   * Check before any work that every model named can be resolved as it will
   * be (known name, API key present where one is needed); `targets` must also
   * be models that answer task questions (checkTarget). A one-line UserError
   * naming the first model that cannot; nothing is called.
   */
  checkModels(models: { targets?: readonly string[]; others?: readonly string[] }, what = 'model'): void {
    for (const name of new Set(models.targets ?? [])) checkTarget(what, name, this.config);
    for (const name of new Set([...(models.targets ?? []), ...(models.others ?? [])])) {
      const spec = lookupModel(name, this.config);
      if (spec.provider !== 'sim') apiKeyFor(spec, process.env);
    }
  }

  private warnedUnrecognised = new Set<string>();
  /** Where warnings go (stderr by default). */
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

  /**
   * An endpoint that is `popbench serve-sim` answers a question from a task it
   * was not started with by the sim's "I cannot answer this" reply; scored, that
   * is a silent 0%. Warn once per model, naming the `--tasks` serve-sim needs.
   */
  private watchUnrecognised(name: string, llm: LLM): LLM {
    return {
      ...llm,
      complete: async (req, signal) => {
        const res = await llm.complete(req, signal);
        if (!this.warnedUnrecognised.has(name) && res.choices.some((c) => c.text.startsWith(SIM_UNRECOGNISED))) {
          this.warnedUnrecognised.add(name);
          const tasks = [...this.tasks.keys()].join(',') || '<task>';
          this.warn(`popbench: warning: ${name} replied that it does not recognise the question (a sim server without this task); start it as \`popbench serve-sim --tasks ${tasks}\``);
        }
        return res;
      },
    };
  }

  close(): void {
    this.openedCache?.close();
  }
}

/** The sim world of a suite cell: its `world` seed (default 0) and its `sim` knobs (benchmarks/suite.ts). */
export function cellWorld(session: Session, spec: Pick<CellSpec, 'world' | 'sim'>): SimWorld {
  const optimizer = simOptimizerOverrides(spec.sim);
  return session.simWorld({ world: spec.world ?? 0, ...(optimizer ? { optimizer } : {}), ...(spec.sim?.effects ? { effects: spec.sim.effects } : {}) });
}

/**
 * A target must answer task questions: the sim optimizer models (sim-opt-*)
 * write prompts and reply to a question with no answer, so as a target they
 * would score a silent 0%. A one-line UserError naming `what` (a flag or a
 * suite field); any other model passes (its own errors come when resolved).
 */
export function checkTarget(what: string, name: string, config: PopbenchConfig): void {
  const spec = lookupModel(name, config);
  if (spec.provider === 'sim' && (SIM_OPTIMIZER_MODELS as readonly string[]).includes(spec.model))
    throw new UserError(
      `${what}: ${name} is a sim optimizer model, which writes prompts and cannot answer task questions; use a sim target (${SIM_TARGET_MODELS.join(', ')}) or a real model`,
    );
}

/** Largest value an integer flag takes unless it names a smaller `max` (2^31 - 1: counts, seeds, budgets). */
export const INT_FLAG_MAX = 2_147_483_647;

/**
 * Parse an integer flag: plain decimal digits (an optional leading minus), no
 * exponent, hex, fraction or sign-less blanks; within [min, max], `max`
 * defaulting to INT_FLAG_MAX. Anything else is a one-line UserError naming the
 * flag, the accepted range and the value.
 */
export function parseIntFlag(flag: string, value: string | number, range: { min?: number; max?: number } = {}): number {
  const max = range.max ?? INT_FLAG_MAX;
  const text = String(value).trim();
  const n = typeof value === 'number' ? value : /^-?[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || (range.min !== undefined && n < range.min) || n > max) {
    const bounds = range.min !== undefined ? ` in [${range.min}, ${max}]` : ` <= ${max}`;
    throw new UserError(`${flag}: expected an integer${bounds} (decimal digits), got "${value}"`);
  }
  return n;
}

/** Parse a number flag: plain decimal (optionally with an exponent, e.g. 1e-6), finite, within [min, max]. */
export function parseFloatFlag(flag: string, value: string | number, range: { min?: number; max?: number } = {}): number {
  const text = String(value).trim();
  const n = typeof value === 'number' ? value : /^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || (range.min !== undefined && n < range.min) || (range.max !== undefined && n > range.max))
    throw new UserError(`${flag}: expected a decimal number in [${range.min ?? '-inf'}, ${range.max ?? 'inf'}], got "${value}"`);
  return n;
}
