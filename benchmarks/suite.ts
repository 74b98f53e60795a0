/**
 * Declarative benchmark suites (compare lm-evaluation-harness task configs):
 * a YAML file names seeds, tasks, target models, the optimizer model, the
 * optimizers with their options and one budget; `expandCells` turns it into
 * the grid of cells (optimizer × task × target × seed) the runner executes.
 * Every problem is a one-line UserError naming file:line and the field.
 */
import { readFileSync } from 'node:fs';
import { parseYamlLocated } from '../core/yaml.js';
import { z } from 'zod';
import type { BudgetLimits } from '../core/budget.js';
import { UserError } from '../core/errors.js';
import { canonicalJson, sha256 } from '../core/hash.js';
import { checkOptions, paperPresetFor, resolveRun } from '../optimizers/setup.js';
import { LAYOUTS, POSITIONS, SCORINGS, type Layout, type Position, type Prompt, type Scoring } from '../core/types.js';
import { lookupModel, type PopbenchConfig } from '../llm/index.js';
import { checkTarget } from './session.js';
import { canonicalTaskId, likeParams, listTasks } from '../tasks/registry.js';
import { CAUSE_KINDS } from '../sim/causes.js';
import { WORLD_EFFECTS, type Effects, type OptimizerParams } from '../sim/params.js';

/** How a pairwise judge sees the two answers (benchmarks/pairwise.ts). */
export const PAIRWISE_ORDERS = ['random', 'both'] as const;

const count = z.int().positive();

const OptimizerEntrySchema = z.strictObject({
  name: z.string().min(1),
  /** Overrides of the optimizer's defaults (validated against its schema). */
  options: z.record(z.string(), z.unknown()).optional(),
  /** Name of this entry in cell ids and tables (default: the optimizer name). */
  label: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only')
    .optional(),
  /** Optimizer model for this entry only (default: the suite's optimizerModel). */
  optimizerModel: z.string().min(1).optional(),
  /**
   * Starting prompt: its text, or any of instruction / position / layout
   * (default: the optimizer's reference starting prompt, else empty).
   */
  initial: z
    .union([
      z.string(),
      z.strictObject({
        instruction: z.string().optional(),
        position: z.enum(POSITIONS as unknown as [Position, ...Position[]]).optional(),
        layout: z.enum(LAYOUTS as unknown as [Layout, ...Layout[]]).optional(),
      }),
    ])
    .optional(),
  /** 'paper': the paper's splits, starting prompt, position, scorer sample sizes and steps for each task. */
  preset: z.enum(['paper']).optional(),
  /**
   * Score on another optimizer's paper-preset splits (e.g. `splitsOf: opro` on
   * a baseline entry of an OPRO reproduction), so the baseline and the method
   * are paired on the same test examples.
   */
  splitsOf: z.string().min(1).optional(),
  /** Answer scoring: 'strict' (default) or 'paper' (tasks/scoring.ts). */
  scoring: z.enum(SCORINGS as unknown as [Scoring, ...Scoring[]]).optional(),
});

/**
 * A value the reproduced paper reports, set beside ours in the report
 * (reports/sections/paper.ts): the paper's accuracy of `optimizer` and of its
 * own `baseline` prompt on `task`, in percent.
 */
export const PaperValueSchema = z.strictObject({
  /** A task of this suite; with `tasks`, the name of the average (e.g. "BBH (average)"). */
  task: z.string().min(1),
  /**
   * When the paper reports a mean over tasks: the suite tasks it is compared with. Our
   * gain is then the mean of the per-task paired gains (reports/sections/paper.ts).
   */
  tasks: z.array(z.string().min(1)).min(1).optional(),
  /** Label of the suite entry the paper's method maps to. */
  optimizer: z.string().min(1),
  /** Label of the suite entry that runs the paper's baseline prompt. */
  baseline: z.string().min(1),
  /** The paper's accuracy (%) of its method and of its baseline prompt. */
  value: z.number().min(0).max(100),
  baselineValue: z.number().min(0).max(100),
  /** Where in the paper, e.g. "Table 2". */
  table: z.string().min(1),
  /** The paper (and the secondary source, when the number was not read in the paper itself). */
  source: z.string().min(1),
  /** true only when the number was read in the paper itself. */
  verified: z.boolean(),
  /** The paper's models and setting, in a few words. */
  setting: z.string().optional(),
  /**
   * What `value` and `baselineValue` are: `accuracy` (absent) = the two entries' accuracies;
   * `winrate` = the judged pairwise comparison of the two (suite `pairwise:`): `value` = the
   * share (%) of prompts where the method's answer wins, `baselineValue` = where the
   * baseline's wins, `tie` = ties (reports/pairwise.ts sets them beside ours).
   */
  metric: z.enum(['accuracy', 'winrate']).optional(),
  /** With `metric: winrate`: the paper's tie share (%). */
  tie: z.number().min(0).max(100).optional(),
});
export type PaperValue = z.infer<typeof PaperValueSchema>;

const rate = z.number().min(0).max(1);
/** A rate, or a list of rates: a list is a suite axis (one cell per value). */
const rateAxis = z.union([rate, z.array(rate).min(1)]);
const EFFECT_NAMES = Object.keys(WORLD_EFFECTS) as Array<keyof Effects>;

/** The sim optimizer's rates a suite may set (fields of `OptimizerParams`, sim/params.ts). */
export const SIM_RATE_KNOBS = ['recognise', 'harm', 'guessConcept', 'explore', 'conceptAccuracy'] as const;
export type SimRateKnob = (typeof SIM_RATE_KNOBS)[number];

/**
 * The suite's `sim:` block (docs/sim.md, "Knobs"): the sim optimizer's rates
 * (each a number in [0, 1] or a list of them, a suite axis), its prior over
 * causes (weights by cause kind) and the distributions worlds N > 0 draw their
 * effects from. They apply to every sim model of the suite's cells.
 */
export const SimKnobsSchema = z.strictObject({
  recognise: rateAxis.optional(),
  harm: rateAxis.optional(),
  guessConcept: rateAxis.optional(),
  explore: rateAxis.optional(),
  conceptAccuracy: rateAxis.optional(),
  prior: z
    .partialRecord(z.enum(CAUSE_KINDS), z.number().nonnegative())
    .refine((m) => Object.values(m).some((w) => (w ?? 0) > 0), 'at least one cause needs a weight above 0')
    .optional(),
  effects: z.partialRecord(z.enum(EFFECT_NAMES as [keyof Effects, ...Array<keyof Effects>]), z.strictObject({ mean: z.number(), sd: z.number().nonnegative() })).optional(),
});
export type SimKnobs = z.infer<typeof SimKnobsSchema>;

/** The sim settings of one cell: every rate a single number (cell spec `sim`). */
export interface CellSim {
  recognise?: number;
  harm?: number;
  guessConcept?: number;
  explore?: number;
  conceptAccuracy?: number;
  prior?: Partial<Record<(typeof CAUSE_KINDS)[number], number>>;
  effects?: Partial<Record<keyof Effects, { mean: number; sd: number }>>;
}

/** One cell's settings per combination of the rates given as lists (in knob order, first knob slowest); none without a block. */
export function simVariants(knobs: SimKnobs | undefined): Array<CellSim | undefined> {
  if (!knobs) return [undefined];
  let out: CellSim[] = [{}];
  for (const k of SIM_RATE_KNOBS) {
    const v = knobs[k];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    out = out.flatMap((c) => values.map((x) => ({ ...c, [k]: x })));
  }
  return out.map((c) => ({ ...c, ...(knobs.prior ? { prior: knobs.prior } : {}), ...(knobs.effects ? { effects: knobs.effects } : {}) }));
}

/** The sim optimizer overrides of a cell's `sim` settings (`prior` as OptimizerParams' list). */
export function simOptimizerOverrides(sim: CellSim | undefined): Partial<OptimizerParams> | undefined {
  if (!sim) return undefined;
  const o: Partial<OptimizerParams> = {};
  for (const k of SIM_RATE_KNOBS) if (sim[k] !== undefined) o[k] = sim[k];
  if (sim.prior) o.prior = CAUSE_KINDS.filter((c) => (sim.prior![c] ?? 0) > 0).map((cause) => ({ cause, weight: sim.prior![cause]! }));
  return Object.keys(o).length ? o : undefined;
}

export const SuiteSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only'),
  description: z.string().default(''),
  seeds: z.array(z.int().nonnegative()).min(1),
  tasks: z.array(z.string().min(1)).min(1),
  targets: z.array(z.string().min(1)).min(1),
  optimizerModel: z.string().min(1).default('sim-opt-large'),
  /** Embedding model (OpenAI-compatible /embeddings) for optimizers that compare texts (GPO relevance); default: their offline measure. */
  embeddingModel: z.string().min(1).optional(),
  optimizers: z.array(OptimizerEntrySchema).min(1),
  /** Sim world seeds, a suite axis (default [0], the documented default world; docs/sim.md "Worlds"). Needs sim targets. */
  worlds: z.array(z.int().nonnegative()).min(1).default([0]),
  /** Knobs of the sim optimizer and of the worlds' effect distributions; lists of rates are suite axes. */
  sim: SimKnobsSchema.optional(),
  budget: z.strictObject({
    mode: z.enum(['equal', 'paper']).default('equal'),
    targetCalls: count.optional(),
    /** Default: the same as targetCalls. */
    optimizerCalls: z.int().nonnegative().optional(),
    tokens: count.optional(),
    /** Cost cap in USD per cell (priced models only; see docs/models.md for prices). */
    maxCostUsd: z.number().positive().optional(),
  }),
  trainSize: count.optional(),
  devSize: count.optional(),
  testLimit: count.optional(),
  /**
   * fixed (default): every seed uses the task's split for seed 0, so all seeds score the
   * same test examples; per-seed: each cell draws its split (and, for like/ tasks, its
   * examples) with its own seed. The report analyses the two designs differently.
   */
  splitSeed: z.enum(['fixed', 'per-seed']).default('fixed'),
  /** Anytime checkpoints per cell: the incumbent scored on test at k shares of the target-call budget (default 10; 0 = none). benchmarks/checkpoints.ts. */
  checkpoints: z.int().nonnegative().optional(),
  /** Numbers the reproduced paper reports (reports/sections/paper.ts). */
  paper: z.array(PaperValueSchema).optional(),
  dataDir: z.string().min(1).optional(),
  /** Score every finished cell's best prompt on the suite's other targets too (outside the budget; benchmarks/transfer.ts). */
  transfer: z.boolean().default(false),
  /** Re-ask recorded reflection meta-prompts under placebo controls after the cells (outside the budget; benchmarks/placebo.ts). */
  placebo: z.boolean().default(false),
  /**
   * Pairwise win rate by a judge model after the cells (outside the budget; benchmarks/pairwise.ts):
   * each entry's test answers against the `baseline` entry's on the same prompts, target and seed.
   */
  pairwise: z
    .strictObject({
      /** The judge model (any model name; the sim's is a sim optimizer model). */
      judge: z.string().min(1),
      /** Label of the entry whose answers are the original prompts' (e.g. `empty`). */
      baseline: z.string().min(1),
      /** `random` (BPO's evaluation: one order per prompt by a coin flip) or `both` (both orders, MT-Bench's conservative rule). */
      order: z.enum(PAIRWISE_ORDERS).default('random'),
    })
    .optional(),
});

export type Suite = z.infer<typeof SuiteSchema>;
export type OptimizerEntry = z.infer<typeof OptimizerEntrySchema>;

/** One cell of the grid: everything that determines what it computes. */
export interface CellSpec {
  id: string;
  suite: string;
  optimizer: string;
  label?: string;
  /** Resolved options: defaults, equal-budget overrides (equal mode) and the suite's overrides. */
  options: Record<string, unknown>;
  task: string;
  target: string;
  optimizerModel: string;
  seed: number;
  mode: 'equal' | 'paper';
  limits: BudgetLimits;
  trainSize?: number;
  devSize?: number;
  testLimit?: number;
  /** Present only for `splitSeed: per-seed` suites (fixed-split cells keep their ids). */
  splitSeed?: 'per-seed';
  /** Anytime checkpoints (default 10). */
  checkpoints?: number;
  /** The starting prompt, when one is set (entry `initial`, preset or the optimizer's reference). */
  initial?: Prompt;
  /** 'paper' when the entry asks for the paper preset (its splits are applied when the cell runs). */
  preset?: 'paper';
  /** The optimizer whose paper-preset splits the cell scores on (entry `splitsOf`). */
  splitsOf?: string;
  /** Present when not 'strict'. */
  scoring?: Scoring;
  /** The suite's embedding model, when set. */
  embeddingModel?: string;
  /** Sim world seed; present only when not 0 (world-0 cells keep their ids). */
  world?: number;
  /** The suite's sim knobs for this cell (present only when the suite has a `sim:` block). */
  sim?: CellSim;
}

export interface LoadSuiteOptions {
  /** When given, model names are checked against it (config entries, sim, openai:, hf:). */
  config?: PopbenchConfig;
}

/** Infinity is written to JSON as the string "Infinity" (docs/run-format.md). */
export const infinityAware = (_k: string, v: unknown) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);

/** The value as it reads back from its JSON file. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, infinityAware)) as T;
}

/** Read and validate a suite file. */
export function loadSuite(file: string, opts: LoadSuiteOptions = {}): Suite {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`suite file not found: ${file}`);
    if (code === 'EISDIR') throw new UserError(`${file} is a directory; give a suite YAML file`);
    throw new UserError(`cannot read suite file ${file} (${code ?? String(err)})`);
  }
  return parseSuiteYaml(text, file, opts);
}

/** Validate suite YAML text; `source` names it in errors. */
export function parseSuiteYaml(text: string, source = 'suite.yaml', opts: LoadSuiteOptions = {}): Suite {
  const doc = parseYamlLocated(text, source);
  const locate = (path: PropertyKey[]): string => {
    const l = doc.line(path);
    return l ? `:${l}` : '';
  };
  const fail = (path: PropertyKey[], message: string): never => {
    const field = path.length ? path.map(String).join('.') : '(top level)';
    throw new UserError(`${source}${locate(path)}: ${field}: ${message}`);
  };

  const r = SuiteSchema.safeParse(doc.value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') fail([...issue.path, issue.keys[0]!], 'unknown field');
    fail([...issue.path], issue.message);
  }
  const suite = r.data!;

  const { mode, targetCalls, tokens } = suite.budget;
  if (mode === 'equal' && targetCalls === undefined && tokens === undefined)
    fail(['budget'], 'equal mode needs targetCalls or tokens (or use mode: paper)');

  const known = new Set(listTasks());
  suite.tasks.forEach((id, i) => {
    const [base, query] = id.split('?', 2) as [string, string | undefined];
    if (!known.has(base)) fail(['tasks', i], `unknown task "${id}"`);
    if (query !== undefined) {
      if (!base.startsWith('like/')) fail(['tasks', i], `only like/ tasks take parameters, got "${id}"`);
      try {
        likeParams(id, query);
      } catch (err) {
        fail(['tasks', i], (err as Error).message);
      }
    }
  });

  // One spelling per task, so `?size=20&difficulty=0.5` and `?difficulty=0.5&size=20` are one task (and a duplicate).
  suite.tasks = suite.tasks.map(canonicalTaskId);
  (suite.paper ?? []).forEach((p, i) => {
    try {
      p.task = canonicalTaskId(p.task);
    } catch (err) {
      fail(['paper', i, 'task'], (err as Error).message);
    }
  });

  const checkModel = (path: PropertyKey[], name: string, target = false) => {
    if (!opts.config) return;
    try {
      lookupModel(name, opts.config);
      if (target) checkTarget('target', name, opts.config);
    } catch (err) {
      fail(path, (err as Error).message);
    }
  };
  suite.targets.forEach((t, i) => checkModel(['targets', i], t, true));
  checkModel(['optimizerModel'], suite.optimizerModel);

  const seen = new Map<string, number>();
  suite.optimizers.forEach((o, i) => {
    for (const [k, taskId] of suite.tasks.entries()) {
      if (o.splitsOf !== undefined) {
        let splits: unknown;
        try {
          splits = paperPresetFor(o.splitsOf, taskId).splits;
        } catch (err) {
          fail(['optimizers', i, 'splitsOf'], `${(err as Error).message} (tasks.${k})`);
        }
        if (!splits) fail(['optimizers', i, 'splitsOf'], `${o.splitsOf} has no paper-preset splits for ${taskId} (tasks.${k})`);
      }
      let presetOptions: Record<string, unknown> = {};
      if (o.preset === 'paper') {
        try {
          presetOptions = paperPresetFor(o.name, taskId).options ?? {};
        } catch (err) {
          if (!(err as Error).message.startsWith('unknown optimizer')) fail(['optimizers', i, 'preset'], `${(err as Error).message} (tasks.${k})`);
        }
      }
      let res: ReturnType<typeof checkOptions>;
      try {
        res = checkOptions(o.name, mode, o.options ?? {}, presetOptions);
      } catch (err) {
        return fail(['optimizers', i, 'name'], (err as Error).message);
      }
      if ('issue' in res) {
        const option = res.issue.unknown ? res.issue.option.split(', ')[0]! : res.issue.option;
        fail(['optimizers', i, 'options', ...option.split('.')], res.issue.unknown ? 'unknown option' : res.issue.message);
      }
      try {
        entrySetup(o, taskId, mode);
      } catch (err) {
        fail(['optimizers', i, 'initial'], (err as Error).message);
      }
    }
    if (o.optimizerModel !== undefined) checkModel(['optimizers', i, 'optimizerModel'], o.optimizerModel);
    const key = entryLabel(o);
    const prev = seen.get(key);
    if (prev !== undefined) fail(['optimizers', i], `label "${key}" is also used by optimizers.${prev}; give each entry its own label`);
    seen.set(key, i);
  });
  if (suite.pairwise) {
    if (!seen.has(suite.pairwise.baseline)) fail(['pairwise', 'baseline'], `"${suite.pairwise.baseline}" is not the label of an entry in optimizers`);
    checkModel(['pairwise', 'judge'], suite.pairwise.judge);
  }
  (suite.paper ?? []).forEach((p, i) => {
    if (p.metric === 'winrate' && !suite.pairwise) fail(['paper', i, 'metric'], 'a winrate value needs the pairwise: section');
    if (p.metric !== 'winrate' && p.tie !== undefined) fail(['paper', i, 'tie'], 'tie is for metric: winrate only');
    if (p.tasks) p.tasks.forEach((t, j) => suite.tasks.includes(t) || fail(['paper', i, 'tasks', j], `"${t}" is not one of this suite's tasks`));
    else if (!suite.tasks.includes(p.task)) fail(['paper', i, 'task'], `"${p.task}" is not one of this suite's tasks`);
    if (!seen.has(p.optimizer)) fail(['paper', i, 'optimizer'], `"${p.optimizer}" is not the label of an entry in optimizers`);
    if (!seen.has(p.baseline)) fail(['paper', i, 'baseline'], `"${p.baseline}" is not the label of an entry in optimizers`);
  });
  checkSimAxes(suite, fail, opts);
  for (const [field, list] of [['seeds', suite.seeds], ['tasks', suite.tasks], ['targets', suite.targets], ['worlds', suite.worlds]] as const) {
    const dup = (list as readonly unknown[]).findIndex((v, i) => (list as readonly unknown[]).indexOf(v) !== i);
    if (dup >= 0) fail([field, dup], `duplicate ${JSON.stringify(list[dup])}`);
  }
  return suite;
}

/** A suite over several sim worlds (or a world other than 0): its cells record the world's ceiling. */
export function overWorlds(suite: Pick<Suite, 'worlds'>): boolean {
  return suite.worlds.length > 1 || suite.worlds.some((w) => w !== 0);
}

/** Whether a model name resolves to the in-process sim provider. */
function isSimProvider(name: string, config?: PopbenchConfig): boolean {
  try {
    return lookupModel(name, config).provider === 'sim';
  } catch {
    return false;
  }
}

/**
 * `worlds:` and `sim:` act on sim models only: a world other than 0, or a
 * sim block, with a target (or, for the optimizer's knobs, an optimizer model)
 * that is not an in-process sim model is refused; effect distributions need
 * worlds N > 0 (world 0 always has the table's effects).
 */
function checkSimAxes(suite: Suite, fail: (path: PropertyKey[], message: string) => never, opts: LoadSuiteOptions): void {
  const nonDefaultWorlds = suite.worlds.some((w) => w !== 0);
  if (nonDefaultWorlds || suite.sim) {
    const what = nonDefaultWorlds ? 'worlds other than 0' : 'a sim: block';
    suite.targets.forEach((t, i) => {
      if (!isSimProvider(t, opts.config))
        fail(['targets', i], `"${t}" is not an in-process sim model, and ${what} act only on the sim (use sim-1b, sim-8b or sim-70b, or drop ${nonDefaultWorlds ? 'worlds' : 'sim'})`);
    });
  }
  const sim = suite.sim;
  if (!sim) return;
  if (SIM_RATE_KNOBS.some((k) => sim[k] !== undefined) || sim.prior) {
    const check = (path: PropertyKey[], name: string) => {
      if (!isSimProvider(name, opts.config)) fail(path, `"${name}" is not an in-process sim optimizer model, and the sim: block's optimizer knobs act only on sim-opt-small / sim-opt-large`);
    };
    check(['optimizerModel'], suite.optimizerModel);
    suite.optimizers.forEach((o, i) => o.optimizerModel !== undefined && check(['optimizers', i, 'optimizerModel'], o.optimizerModel));
  }
  if (sim.effects && suite.worlds.includes(0))
    fail(['sim', 'effects'], `world 0 always has the table's effects; effect distributions need worlds N > 0 (worlds lists 0)`);
  for (const k of SIM_RATE_KNOBS) {
    const v = sim[k];
    if (Array.isArray(v)) {
      const dup = v.findIndex((x, i) => v.indexOf(x) !== i);
      if (dup >= 0) fail(['sim', k, dup], `duplicate ${v[dup]}`);
    }
  }
}

/** An entry's `initial` as an override of the starting prompt. */
function initialOverride(o: OptimizerEntry): { instruction?: string; position?: Position; layout?: Layout } | undefined {
  if (o.initial === undefined) return undefined;
  return typeof o.initial === 'string' ? { instruction: o.initial } : o.initial;
}

/** Resolve one entry on one task (optimizers/setup.ts `resolveRun`). */
export function entrySetup(o: OptimizerEntry, taskId: string, mode: 'equal' | 'paper') {
  const initial = initialOverride(o);
  return resolveRun(
    {
      optimizer: o.name,
      taskId,
      mode,
      sets: o.options ?? {},
      ...(o.preset ? { preset: o.preset } : {}),
      ...(initial ? { initial } : {}),
      ...(o.scoring ? { scoring: o.scoring } : {}),
    },
    'option',
  );
}

/** The entry's name in cell ids and tables. */
export function entryLabel(o: OptimizerEntry): string {
  return o.label ?? o.name;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');

/** Stable id: readable slug + 8 hex of the canonical spec (without id and suite name). */
export function cellId(spec: Omit<CellSpec, 'id' | 'suite'>): string {
  const hash = sha256(canonicalJson(plain(spec))).slice(0, 8);
  return [slug(spec.label ?? spec.optimizer), slug(spec.task), slug(spec.target), ...(spec.world ? [`w${spec.world}`] : []), `s${spec.seed}`, hash].join('__');
}

/** The budget limits of every cell: optimizerCalls defaults to targetCalls. */
export function suiteLimits(suite: Suite): BudgetLimits {
  const { targetCalls, optimizerCalls, tokens } = suite.budget;
  const limits: BudgetLimits = {};
  if (targetCalls !== undefined) limits.targetCalls = targetCalls;
  if (optimizerCalls !== undefined) limits.optimizerCalls = optimizerCalls;
  else if (targetCalls !== undefined) limits.optimizerCalls = targetCalls;
  if (tokens !== undefined) limits.tokens = tokens;
  if (suite.budget.maxCostUsd !== undefined) limits.costUsd = suite.budget.maxCostUsd;
  return limits;
}

/** The grid, in a fixed order: optimizer (suite order) × task × target × sim variant × world × seed. */
export function expandCells(suite: Suite): CellSpec[] {
  const limits = suiteLimits(suite);
  const cells: CellSpec[] = [];
  for (const o of suite.optimizers) {
    for (const task of suite.tasks) {
      let setup: ReturnType<typeof entrySetup>;
      try {
        setup = entrySetup(o, task, suite.budget.mode);
      } catch (err) {
        throw new UserError(`suite ${suite.name}: optimizer ${o.name}: ${(err as Error).message}`);
      }
      for (const target of suite.targets)
        for (const sim of simVariants(suite.sim))
        for (const world of suite.worlds)
        for (const seed of suite.seeds) {
          const spec: Omit<CellSpec, 'id' | 'suite'> = {
            optimizer: o.name,
            ...(o.label !== undefined ? { label: o.label } : {}),
            options: setup.options,
            task,
            target,
            optimizerModel: o.optimizerModel ?? suite.optimizerModel,
            seed,
            mode: suite.budget.mode,
            limits: { ...limits },
            ...(suite.trainSize !== undefined ? { trainSize: suite.trainSize } : {}),
            ...(suite.devSize !== undefined ? { devSize: suite.devSize } : {}),
            ...(suite.testLimit !== undefined ? { testLimit: suite.testLimit } : {}),
            ...(suite.splitSeed === 'per-seed' ? { splitSeed: 'per-seed' as const } : {}),
            ...(suite.checkpoints !== undefined ? { checkpoints: suite.checkpoints } : {}),
            ...(setup.initial ? { initial: setup.initial } : {}),
            ...(o.preset ? { preset: o.preset } : {}),
            ...(o.splitsOf !== undefined ? { splitsOf: o.splitsOf } : {}),
            ...(setup.scoring !== 'strict' ? { scoring: setup.scoring } : {}),
            ...(suite.embeddingModel !== undefined ? { embeddingModel: suite.embeddingModel } : {}),
            ...(world !== 0 ? { world } : {}),
            ...(sim ? { sim } : {}),
          };
          cells.push({ id: cellId(spec), suite: suite.name, ...spec });
        }
    }
  }
  return cells;
}

export interface Shard {
  /** 1-based. */
  index: number;
  count: number;
}

/** Parse `i/n` (1 ≤ i ≤ n). */
export function parseShard(value: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(value.trim());
  const index = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!m || n < 1 || index < 1 || index > n) throw new UserError(`--shard: expected i/n with 1 <= i <= n, got "${value}"`);
  return { index, count: n };
}

/** The cells of one shard: grid index ≡ i−1 (mod n); n shards partition the grid. */
export function shardCells<T>(cells: readonly T[], shard?: Shard): T[] {
  if (!shard) return cells.slice();
  return cells.filter((_, k) => k % shard.count === shard.index - 1);
}
