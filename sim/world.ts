/**
 * SimWorld: the answer key of the simulated world. It indexes every example
 * input of every registered task so that a sim model can tell which examples a
 * chat request shows (demos) and which one it asks (the query = the registered
 * input occurring last in the text).
 */
import { hashUnit } from '../core/hash.js';
import type { Demo, Example, Task } from '../core/types.js';
import { INDEX_WINDOW, MAX_CONCEPTS, WORLD_EFFECTS, type Effects, type EffectDistributions, type OptimizerParams, UNIT_EFFECTS } from './params.js';

/** Multiplier of the polynomial window hash (odd, so multiplication mod 2^32 is invertible). */
const ROLL_BASE = 0x01000193;
/** ROLL_BASE^(INDEX_WINDOW - 1) mod 2^32: the weight of the character leaving the window. */
const ROLL_OUT = (() => {
  let p = 1;
  for (let k = 1; k < INDEX_WINDOW; k++) p = Math.imul(p, ROLL_BASE);
  return p;
})();
/** Map keys stay small integers (30 bits). */
const KEY_MASK = 0x3fffffff;

/**
 * Polynomial hash mod 2^32 of the INDEX_WINDOW characters (UTF-16 code units)
 * of `s` from `start`: Σ c_k · ROLL_BASE^(W-1-k). Masked to a map key unless `mask` is false.
 */
function windowKey(s: string, start: number, mask = true): number {
  let h = 0;
  for (let k = 0; k < INDEX_WINDOW; k++) h = (Math.imul(h, ROLL_BASE) + s.charCodeAt(start + k)) | 0;
  return mask ? h & KEY_MASK : h;
}

export interface Registered {
  task: Task;
  example: Example;
}

export interface Match extends Registered {
  start: number;
  end: number;
}

/** An indexed input: `anchor` is the offset of the window it is filed under. */
interface Indexed extends Registered {
  input: string;
  seq: number;
  anchor: number;
}

/** A registered input found at [start, end) of a text. */
interface Hit {
  e: Indexed;
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

  /**
   * Registered inputs of INDEX_WINDOW or more characters, by a hash
   * (`windowKey`) of one window of INDEX_WINDOW characters of theirs, the
   * *anchor*: of the windows at offsets 0, W, 2W, … and the last one, the
   * first whose bucket is empty when the input is registered, else the least
   * used (many inputs of a dataset share their first sentences, e.g. every
   * bbh/navigate question, so the first window alone would pile them into one
   * bucket). A bucket may hold several windows; a candidate is confirmed with
   * `startsWith`.
   */
  private readonly byWindow = new Map<number, Indexed[]>();
  /** One bit per 2^10 keys: is any key of that range in byWindow (most text positions are ruled out here). */
  private readonly keyBits = new Int32Array(1 << 15);
  private readonly short: Indexed[] = [];
  /** Registration order: ties (equal inputs of two tasks at one position) go to the first registered. */
  private seq = 0;
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
        const input = example.input;
        if (input.length < INDEX_WINDOW) {
          this.short.push({ input, task, example, seq: this.seq++, anchor: 0 });
          continue;
        }
        let anchor = 0;
        let key = 0;
        let least = Infinity;
        for (let o = 0; ; o += INDEX_WINDOW) {
          if (o > input.length - INDEX_WINDOW) o = input.length - INDEX_WINDOW;
          const k = windowKey(input, o);
          const used = this.byWindow.get(k)?.length ?? 0;
          if (used < least) [anchor, key, least] = [o, k, used];
          if (used === 0 || o === input.length - INDEX_WINDOW) break;
        }
        const entry: Indexed = { input, task, example, seq: this.seq++, anchor };
        const list = this.byWindow.get(key);
        if (list) list.push(entry);
        else this.byWindow.set(key, [entry]);
        this.keyBits[key >>> 15]! |= 1 << ((key >>> 10) & 31);
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
    const hits: Hit[] = [];
    const W = INDEX_WINDOW;
    // The window hash rolls along the text: one multiply-add per position, no substring.
    if (text.length >= W && this.byWindow.size > 0) {
      const bits = this.keyBits;
      let h = windowKey(text, 0, false);
      for (let p = 0; ; p++) {
        const key = h & KEY_MASK;
        const list = (bits[key >>> 15]! >>> ((key >>> 10) & 31)) & 1 ? this.byWindow.get(key) : undefined;
        if (list !== undefined) {
          for (let j = 0; j < list.length; j++) {
            const e = list[j]!;
            const at = p - e.anchor;
            if (at >= 0 && text.startsWith(e.input, at)) hits.push({ e, start: at, end: at + e.input.length });
          }
        }
        if (p + W >= text.length) break;
        h = (Math.imul(h - Math.imul(text.charCodeAt(p), ROLL_OUT), ROLL_BASE) + text.charCodeAt(p + W)) | 0;
      }
    }
    for (const e of this.short) {
      let at = text.indexOf(e.input);
      while (at >= 0) {
        hits.push({ e, start: at, end: at + e.input.length });
        at = text.indexOf(e.input, at + 1);
      }
    }
    hits.sort((x, y) => x.start - y.start || y.end - y.start - (x.end - x.start) || x.e.seq - y.e.seq);
    const out: Match[] = [];
    let last: Hit | undefined;
    for (const m of hits) {
      if (last && m.start < last.end) {
        // a longer match containing the previous one replaces it
        if (m.end - m.start > last.end - last.start && m.start === last.start) {
          last = m;
          out[out.length - 1] = { task: m.e.task, example: m.e.example, start: m.start, end: m.end };
        }
        continue;
      }
      last = m;
      out.push({ task: m.e.task, example: m.e.example, start: m.start, end: m.end });
    }
    return out;
  }

  /** The registered example asked about: the input occurring last in the text. */
  find(text: string): Registered | undefined {
    const all = this.findAll(text);
    const q = all[all.length - 1];
    return q ? { task: q.task, example: q.example } : undefined;
  }

  private readonly exampleDraws = new WeakMap<Example, ExampleDraws>();

  /**
   * An example's latent properties (`latent`) and its stage thresholds, kept
   * with the example object (while it lives), so a prompt's every call finds
   * them computed. Recomputed if the task id, id, input or meta of the example differ.
   */
  draws(task: Task, example: Example): ExampleDraws {
    const hit = this.exampleDraws.get(example);
    const meta = example.meta;
    if (
      hit &&
      hit.taskId === task.id &&
      hit.id === example.id &&
      hit.input === example.input &&
      hit.difficulty === meta?.['difficulty'] &&
      hit.concepts === meta?.['concepts']
    )
      return hit;
    const d = new ExampleDraws(task.id, example, this.latent(task, example));
    this.exampleDraws.set(example, d);
    return d;
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

/** Draws of one example that no prompt changes: its latent properties and stage thresholds. */
export class ExampleDraws {
  readonly taskId: string;
  readonly id: string;
  readonly input: string;
  readonly difficulty: unknown;
  readonly concepts: unknown;
  private readonly thresholds = new Map<string, number>();
  /** The target's correct replies to this example, by how they are written (trace kind, answer style; sim/target.ts). */
  readonly correctOutputs = new Map<string, string>();
  constructor(
    taskId: string,
    example: Example,
    readonly latent: Latent,
  ) {
    this.taskId = taskId;
    this.id = example.id;
    this.input = example.input;
    this.difficulty = example.meta?.['difficulty'];
    this.concepts = example.meta?.['concepts'];
  }

  /** The threshold u = hashUnit(task id, input, stage) a stage's success probability is compared with (docs/sim.md). */
  threshold(stage: string): number {
    let u = this.thresholds.get(stage);
    if (u === undefined) this.thresholds.set(stage, (u = hashUnit([this.taskId, this.input, stage])));
    return u;
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
