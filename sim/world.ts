/**
 * SimWorld: the answer key of the simulated world. It indexes every example
 * input of every registered task so that a sim model can tell which examples a
 * chat request shows (demos) and which one it asks (the query = the registered
 * input occurring last in the text).
 */
import { hashUnit } from '../core/hash.js';
import type { Demo, Example, Task } from '../core/types.js';
import { INDEX_WINDOW, MAX_CONCEPTS, WORLD_EFFECTS, type Effects, type EffectDistributions, type OptimizerParams, UNIT_EFFECTS } from './params.js';

export interface Registered {
  task: Task;
  example: Example;
}

export interface Match extends Registered {
  start: number;
  end: number;
}

/** Latent, content-derived properties of one example. */
export interface Latent {
  difficulty: number;
  concepts: string[];
}

export interface SimWorldOptions {
  /**
   * World seed: 0 (default) is the documented quick world with every effect
   * at its table value; N > 0 draws per-(world, task, model) feature effects
   * and a per-(world, task, prompt text) quality term (docs/sim.md, "Worlds").
   */
  world?: number;
  /**
   * Overrides of the sim optimizer's parameters (`OptimizerParams`) for every
   * sim optimizer model answering in this world (a suite's `sim:` block).
   */
  optimizer?: Partial<OptimizerParams>;
  /** Overrides of the effect distributions (`WORLD_EFFECTS`) that worlds N > 0 draw from; world 0 ignores them. */
  effects?: Partial<EffectDistributions>;
}

export class SimWorld {
  readonly world: number;
  /** Sim optimizer parameter overrides (undefined: each model's table values). */
  readonly optimizer: Partial<OptimizerParams> | undefined;
  /** The effect distributions worlds N > 0 draw from (the table's, with any overrides). */
  readonly effectDistributions: EffectDistributions;
  /** True for world 0 without overrides: the documented default, whose calls may be cached. */
  readonly isDefault: boolean;
  private readonly effectCache = new Map<string, Effects>();
  constructor(opts: SimWorldOptions = {}) {
    const w = opts.world ?? 0;
    if (!Number.isInteger(w) || w < 0) throw new Error(`sim world must be a non-negative integer, got ${w}`);
    this.world = w;
    this.optimizer = opts.optimizer && Object.keys(opts.optimizer).length ? { ...opts.optimizer } : undefined;
    this.effectDistributions = { ...WORLD_EFFECTS, ...(opts.effects ?? {}) };
    this.isDefault = w === 0 && !this.optimizer;
  }

  /** The feature effects of this world for one (task, target model); world 0 gives the unit effects. */
  effects(taskId: string, model: string): Effects {
    if (this.world === 0) return UNIT_EFFECTS;
    const key = `${taskId}\u0000${model}`;
    let e = this.effectCache.get(key);
    if (!e) this.effectCache.set(key, (e = drawEffects(this.world, taskId, model, this.effectDistributions)));
    return e;
  }

  private readonly byWindow = new Map<string, Registered[]>();
  private readonly short: Registered[] = [];
  private readonly tasks = new Map<string, Task>();
  private readonly latentCache = new Map<string, Latent>();
  private readonly registered = new WeakSet<Task>();
  /** Inputs indexed per task id (so a task id's examples are indexed once, whichever object brings them). */
  private readonly indexed = new Map<string, Set<string>>();

  /**
   * Index every example input of every split of `task`, and the worked demos the
   * dataset ships with it (BBH's chain-of-thought prompts, as `cot-demo-<i>`
   * with the answer their output gives), so they read as demos, not as
   * instruction text. Re-registering a task id replaces nothing; inputs already indexed
   * for that id are ignored, new ones (another split seed of a like/ task) are added.
   */
  register(task: Task): void {
    // A task id registers once per task object: the same id loaded with another split seed
    // (suite splitSeed: per-seed) brings examples of its own (like/ tasks generate them from the seed).
    if (this.registered.has(task)) return;
    this.registered.add(task);
    if (!this.tasks.has(task.id)) this.tasks.set(task.id, task);
    const seen = this.indexed.get(task.id) ?? new Set<string>();
    this.indexed.set(task.id, seen);
    const shipped: Example[] = [];
    for (const [i, d] of ((task as { fewShotCot?: readonly Demo[] }).fewShotCot ?? []).entries()) {
      const target = task.extract(d.output);
      if (target !== null) shipped.push({ id: `cot-demo-${i}`, input: d.input, target });
    }
    for (const examples of [task.splits.train, task.splits.dev, task.splits.test, shipped]) {
      for (const example of examples) {
        if (!example.input || seen.has(example.input)) continue;
        seen.add(example.input);
        const entry = { task, example };
        if (example.input.length < INDEX_WINDOW) {
          this.short.push(entry);
          continue;
        }
        const key = example.input.slice(0, INDEX_WINDOW);
        const list = this.byWindow.get(key);
        if (list) list.push(entry);
        else this.byWindow.set(key, [entry]);
      }
    }
  }

  getTask(id: string): Task | undefined {
    return this.tasks.get(id);
  }

  taskIds(): string[] {
    return [...this.tasks.keys()];
  }

  /**
   * All registered inputs occurring in `text`, non-overlapping, in text order.
   * At one position the longest input wins; a match starting inside an
   * earlier match is dropped.
   */
  findAll(text: string): Match[] {
    const raw: Match[] = [];
    const W = INDEX_WINDOW;
    for (let i = 0; i + W <= text.length; i++) {
      const list = this.byWindow.get(text.slice(i, i + W));
      if (!list) continue;
      for (const e of list) {
        if (text.startsWith(e.example.input, i)) raw.push({ ...e, start: i, end: i + e.example.input.length });
      }
    }
    for (const e of this.short) {
      let at = text.indexOf(e.example.input);
      while (at >= 0) {
        raw.push({ ...e, start: at, end: at + e.example.input.length });
        at = text.indexOf(e.example.input, at + 1);
      }
    }
    raw.sort((x, y) => x.start - y.start || y.end - y.start - (x.end - x.start));
    const out: Match[] = [];
    for (const m of raw) {
      const last = out[out.length - 1];
      if (last && m.start < last.end) {
        // a longer match containing the previous one replaces it
        if (m.end - m.start > last.end - last.start && m.start === last.start) out[out.length - 1] = m;
        continue;
      }
      out.push(m);
    }
    return out;
  }

  /** The registered example asked about: the input occurring last in the text. */
  find(text: string): Registered | undefined {
    const all = this.findAll(text);
    const q = all[all.length - 1];
    return q ? { task: q.task, example: q.example } : undefined;
  }

  /** Difficulty and needed concepts: from example.meta when given, else from a hash of (task id, input). */
  latent(task: Task, example: Example): Latent {
    const key = `${task.id}\u0000${example.id}\u0000${example.input}\u0000${JSON.stringify([example.meta?.['difficulty'], example.meta?.['concepts']])}`;
    const hit = this.latentCache.get(key);
    if (hit) return hit;
    const lat = latentOf(task, example);
    this.latentCache.set(key, lat);
    return lat;
  }
}

export function latentOf(task: Task, example: Example): Latent {
  const meta = example.meta ?? {};
  const md = meta['difficulty'];
  const difficulty =
    typeof md === 'number' && Number.isFinite(md) ? Math.min(1, Math.max(0, md)) : hashUnit([task.id, example.input, 'difficulty']);
  const mc = meta['concepts'];
  let concepts: string[];
  if (Array.isArray(mc) && mc.every((c) => typeof c === 'string')) concepts = mc as string[];
  else {
    const pool = [...task.concepts];
    if (pool.length === 0) concepts = [];
    else {
      const k = 1 + Math.floor(hashUnit([task.id, example.input, 'nconcepts']) * Math.min(MAX_CONCEPTS, pool.length));
      concepts = pool
        .map((c) => ({ c, r: hashUnit([task.id, example.input, 'concept', c]) }))
        .sort((x, y) => x.r - y.r)
        .slice(0, k)
        .map((x) => x.c)
        .sort((x, y) => pool.indexOf(x) - pool.indexOf(y));
    }
  }
  return { difficulty, concepts };
}

/** Standard normal from a hash key (Box–Muller on two hash units). */
function zOf(key: unknown[]): number {
  let u = hashUnit([...key, 'z1']);
  if (u === 0) u = 2 ** -53;
  const v = hashUnit([...key, 'z2']);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Effects of world `w` for (task, model): each multiplier is mean + sd·z and
 * each interaction sd·z, with z a standard normal keyed by (world, task,
 * model, name) (distributions: `WORLD_EFFECTS`, docs/sim.md "Worlds").
 */
export function drawEffects(w: number, taskId: string, model: string, dists: EffectDistributions = WORLD_EFFECTS): Effects {
  const out: Record<string, number> = {};
  for (const [name, d] of Object.entries(dists)) out[name] = d.mean + d.sd * zOf(['world', w, taskId, model, name]);
  return out as unknown as Effects;
}
