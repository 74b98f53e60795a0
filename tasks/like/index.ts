/**
 * Generated "-like" task families (like/gsm, like/object_counting, …):
 * contamination-free, seeded, any size, with a difficulty knob. See
 * docs/like-tasks.md for the templates and what difficulty changes.
 */
import { UserError } from '../../core/errors.js';
import { Rng } from '../../core/rng.js';
import type { Example, SplitName, TaskSplits } from '../../core/types.js';
import { conceptsFor } from '../concepts.js';
import { makeTask, type LoadedTask } from '../task.js';
import { booleanExpressions } from './boolean_expressions.js';
import type { LikeGenerator } from './common.js';
import { date } from './date.js';
import { dyck } from './dyck.js';
import { gsm } from './gsm.js';
import { mmlu } from './mmlu.js';
import { navigate } from './navigate.js';
import { objectCounting } from './object_counting.js';
import { wordSorting } from './word_sorting.js';

export type { LikeGenerator, LikeRecord, LikeMeta } from './common.js';

export const LIKE_GENERATORS: Readonly<Record<string, LikeGenerator>> = {
  gsm,
  object_counting: objectCounting,
  boolean_expressions: booleanExpressions,
  navigate,
  dyck,
  word_sorting: wordSorting,
  date,
  mmlu,
};

/** Names without the "like/" prefix. */
export const LIKE_TASKS: readonly string[] = Object.keys(LIKE_GENERATORS);

/** Largest number of examples a split may ask for (a larger size is refused: generation would take hours). */
export const MAX_LIKE_SIZE = 100_000;

export const DEFAULT_LIKE_SIZES: Readonly<Record<SplitName, number>> = { train: 100, dev: 100, test: 300 };

export interface LikeOptions {
  /** Default 0. */
  seed?: number;
  /** Examples in EVERY split (train, dev and test each get `size`). Default: train 100, dev 100, test 300. */
  size?: number;
  /** Per-split sizes; override `size` for the splits given. */
  sizes?: Partial<Record<SplitName, number>>;
  /**
   * 0..1. When given, every example is generated at this difficulty; when
   * absent, each example draws its own difficulty uniformly from [0, 1].
   */
  difficulty?: number;
}

/** Splits are generated in this order; later splits skip inputs already used by earlier ones. */
const SPLIT_ORDER: readonly SplitName[] = ['test', 'dev', 'train'];

function checkOptions(name: string, opts: LikeOptions): { seed: number; sizes: Record<SplitName, number>; difficulty?: number } {
  const where = `like/${name}`;
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new UserError(`${where}: seed must be an integer, got ${String(opts.seed)}`);
  const sizes = { ...DEFAULT_LIKE_SIZES };
  if (opts.size !== undefined) {
    if (!Number.isInteger(opts.size) || opts.size < 0 || opts.size > MAX_LIKE_SIZE)
      throw new UserError(`${where}: size must be an integer in [0, ${MAX_LIKE_SIZE}], got ${String(opts.size)}`);
    sizes.train = sizes.dev = sizes.test = opts.size;
  }
  for (const [k, v] of Object.entries(opts.sizes ?? {})) {
    if (!(SPLIT_ORDER as readonly string[]).includes(k)) throw new UserError(`${where}: unknown split "${k}" in sizes (use train, dev, test)`);
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > MAX_LIKE_SIZE)
      throw new UserError(`${where}: sizes.${k} must be an integer in [0, ${MAX_LIKE_SIZE}], got ${String(v)}`);
    sizes[k as SplitName] = v as number;
  }
  const d = opts.difficulty;
  if (d !== undefined && !(typeof d === 'number' && Number.isFinite(d) && d >= 0 && d <= 1)) {
    throw new UserError(`${where}: difficulty must be a number in [0, 1], got ${String(d)}`);
  }
  return d === undefined ? { seed, sizes } : { seed, sizes, difficulty: d };
}

/**
 * The three splits of a generated family. Each split draws from its own stream
 * (`Rng(seed).derive(name).derive(split)`) and each candidate example from a
 * child stream of that (`.derive(attempt)`), so an example never depends on
 * how many draws earlier examples took. Duplicate inputs (within a split or
 * with an earlier split) are skipped.
 */
export function generateLikeSplits(name: string, opts: LikeOptions = {}): TaskSplits {
  const gen = LIKE_GENERATORS[name];
  if (!gen) throw new UserError(`unknown like task: like/${name} (known: ${LIKE_TASKS.join(', ')})`);
  const { seed, sizes, difficulty } = checkOptions(name, opts);
  const root = new Rng(seed).derive(`like/${name}`);
  const seen = new Set<string>();
  const splits: TaskSplits = { train: [], dev: [], test: [] };
  for (const split of SPLIT_ORDER) {
    const stream = root.derive(split);
    const want = sizes[split];
    const out: Example[] = splits[split];
    const maxAttempts = 50 * want + 100;
    for (let attempt = 0; out.length < want; attempt++) {
      if (attempt >= maxAttempts) {
        throw new UserError(`like/${name}: could only generate ${out.length} distinct ${split} examples of ${want} (difficulty ${difficulty ?? 'mixed'}); ask for fewer or use another difficulty`);
      }
      const rng = stream.derive(attempt);
      const d = difficulty ?? Math.round(rng.derive('difficulty').next() * 1000) / 1000;
      const rec = gen.generate(rng, d);
      if (seen.has(rec.input)) continue;
      seen.add(rec.input);
      const ex: Example = { id: `${split}-${out.length}`, input: rec.input, target: rec.target, meta: { ...rec.meta } };
      if (rec.options) ex.options = rec.options;
      if (rec.rationale) ex.rationale = rec.rationale;
      out.push(ex);
    }
  }
  return splits;
}

export function loadLikeTask(name: string, opts: LikeOptions = {}): LoadedTask {
  const gen = LIKE_GENERATORS[name];
  if (!gen) throw new UserError(`unknown like task: like/${name} (known: ${LIKE_TASKS.join(', ')})`);
  return makeTask({
    id: `like/${name}`,
    family: 'like',
    description: gen.description,
    answerFormat: gen.answerFormat,
    concepts: conceptsFor(`like/${name}`),
    splits: generateLikeSplits(name, opts),
  });
}
