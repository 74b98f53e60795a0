/**
 * Reads a run directory (format: docs/run-format.md) into typed, validated
 * records. Reports read only this; nothing here calls a model or reads
 * config or environment. A malformed file is a UserError naming the file
 * (and the line, for JSONL).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isTempName } from '../core/atomic.js';
import { UserError } from '../core/errors.js';
import { canonicalJson, sha256 } from '../core/hash.js';
import type { Trajectory } from '../optimizers/types.js';

/** A number, or "Infinity" / "-Infinity" as the runner writes them. */
const num = z.union([
  z.number(),
  z.literal('Infinity').transform(() => Number.POSITIVE_INFINITY),
  z.literal('-Infinity').transform(() => Number.NEGATIVE_INFINITY),
]);

const spent = z.object({ targetCalls: num, optimizerCalls: num, tokens: num });
const limits = z.object({ targetCalls: num.optional(), optimizerCalls: num.optional(), tokens: num.optional() });

export const specSchema = z.looseObject({
  id: z.string(),
  suite: z.string().optional(),
  optimizer: z.string(),
  /** The suite entry's own label (ablations: "opro-noscores-ex0"); unique within a suite. */
  label: z.string().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  task: z.string(),
  target: z.string(),
  optimizerModel: z.string().optional(),
  seed: z.number().int(),
  mode: z.enum(['equal', 'paper']).optional(),
  limits: limits.optional(),
  trainSize: z.number().optional(),
  devSize: z.number().optional(),
  testLimit: z.number().optional(),
  /** 'per-seed' when each seed drew its own split (suite splitSeed); absent = one split for every seed. */
  splitSeed: z.enum(['fixed', 'per-seed']).optional(),
  /** Sim world seed (absent = world 0). */
  world: z.number().int().nonnegative().optional(),
  /** The cell's sim knobs (suite `sim:` block). */
  sim: z.record(z.string(), z.unknown()).optional(),
  /**
   * Set by the loader, not stored: the task id as run, when `task` names the
   * block (`like/navigate @w3`, `like/navigate [recognise=0.5]`) because the
   * run has several sim worlds or knob settings.
   */
  taskId: z.string().optional(),
});
export type CellSpec = z.infer<typeof specSchema>;

/** { n, correct, accuracy } with 0 <= correct <= n and accuracy = correct / n (0 when n = 0). */
const splitScore = z
  .object({ n: z.number().int().nonnegative(), correct: z.number().int().nonnegative(), accuracy: z.number().min(0).max(1) })
  .superRefine((s, ctx) => {
    if (s.correct > s.n) ctx.addIssue({ code: 'custom', path: ['correct'], message: `correct ${s.correct} exceeds n ${s.n}` });
    else if (Math.abs(s.accuracy - (s.n ? s.correct / s.n : 0)) > 1e-9)
      ctx.addIssue({ code: 'custom', path: ['accuracy'], message: `accuracy ${s.accuracy} is not correct/n = ${s.correct}/${s.n}` });
  });

const candidate = z.looseObject({
  id: z.string(),
  score: num.optional(),
  step: z.number().optional(),
  origin: z.string().optional(),
  parents: z.array(z.string()).optional(),
  spentAtProposal: spent.optional(),
  spentAtScore: spent.optional(),
});
const reflection = z.looseObject({
  step: z.number(),
  parentId: z.string().optional(),
  shown: z.array(z.looseObject({ exampleId: z.string(), trueCause: z.string().optional() })),
  text: z.string(),
  editIds: z.array(z.string()).optional(),
  fixed: z.record(z.string(), z.array(z.string())).optional(),
  broke: z.record(z.string(), z.array(z.string())).optional(),
});
const stepRecord = z.looseObject({ step: z.number(), bestId: z.string().optional(), bestScore: num.optional(), spent: spent.optional() });

/** result.json `ceiling` (in-process sim targets): the world's best family prompt on the cell's test examples. */
export const ceilingSchema = z.looseObject({ instruction: z.string(), parts: z.array(z.string()), n: z.number().int().nonnegative(), correct: z.number().int().nonnegative(), accuracy: z.number().min(0).max(1) });
export type CellCeiling = z.infer<typeof ceilingSchema>;

export const resultSchema = z.looseObject({
  id: z.string(),
  ceiling: ceilingSchema.optional(),
  spec: specSchema.optional(),
  stoppedBy: z.string(),
  spent,
  best: z.looseObject({ instruction: z.string() }).optional(),
  bestScore: num.optional(),
  dev: splitScore.optional(),
  test: splitScore,
  trajectory: z
    .object({ candidates: z.array(candidate), reflections: z.array(reflection), steps: z.array(stepRecord) })
    .optional(),
});
export type CellResult = z.infer<typeof resultSchema>;

/** grid.json: every cell of the suite, all shards (benchmarks/rundir.ts). */
const gridSchema = z.looseObject({ cells: z.array(specSchema) });

export const sampleSchema = z.looseObject({
  split: z.enum(['train', 'dev', 'test']),
  exampleId: z.string(),
  correct: z.boolean(),
  pred: z.string().nullable().optional(),
  gold: z.string().optional(),
  trueCause: z.string().optional(),
});
export type Sample = z.infer<typeof sampleSchema>;

/** A finished cell: result.json exists. */
export interface Cell {
  id: string;
  spec: CellSpec;
  /** Optimizer label used for grouping (optimizer, plus mode / options when they vary in the run). */
  label: string;
  result: CellResult;
  /** Trajectory in the optimizers' types (only fields the reports use are validated). */
  trajectory: Trajectory;
  /** Test-split outcomes from samples.jsonl (empty when the file is absent). */
  test: Sample[];
  dev: Sample[];
}

/**
 * A cell that does not count: failed (error.json, or files that fail
 * validation, or a folder that is not a cell of the suite's grid) or missing
 * (not finished, or in the grid but never started).
 */
export interface MissingCell {
  id: string;
  spec?: CellSpec;
  label?: string;
  status: 'failed' | 'missing';
  /** First line of error.json's message, when there is one. */
  reason: string;
}

export interface RunDir {
  dir: string;
  suite: unknown;
  /** Cells of the suite's grid (grid.json), when the run recorded it. */
  grid?: number;
  cells: Cell[];
  missing: MissingCell[];
}

export interface CellGroup {
  label: string;
  task: string;
  target: string;
  cells: Cell[];
}

function issueText(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return err.message;
  return `${first.path.length ? first.path.join('.') : 'value'}: ${first.message}`;
}

function readJson<T>(file: string, schema: z.ZodType<T>): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`${file}: malformed JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UserError(`${file}: invalid ${issueText(parsed.error)}`);
  return parsed.data;
}

/**
 * Reads a JSONL file; a malformed or invalid line is an error naming file:line.
 * A last line without a trailing newline is accepted when it parses. One that
 * does not parse (cut off mid-write) is skipped, or with `strict` (a file
 * written whole and atomically, such as samples.jsonl, where a cut-off line
 * means the file was damaged) an error naming file:line.
 */
export function readJsonl<T>(file: string, schema: z.ZodType<T>, opts: { strict?: boolean } = {}): T[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read ${file}`);
  }
  const lines = text.split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (i === lines.length - 1 && !opts.strict) return;
      throw new UserError(`${file}:${i + 1}: ${i === lines.length - 1 ? 'cut off (malformed last line without a newline)' : 'malformed JSON line'}`);
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new UserError(`${file}:${i + 1}: invalid ${issueText(parsed.error)}`);
    out.push(parsed.data);
  });
  return out;
}

/**
 * samples.jsonl must hold exactly the outcomes result.json counts: for dev
 * and test, as many rows as `n` (distinct example ids) and as many correct as
 * `correct`. Anything else (a truncated or padded file) is a UserError naming
 * the file and the first disagreement.
 */
export function checkSamples(file: string, samples: readonly Sample[], result: CellResult): void {
  for (const split of ['dev', 'test'] as const) {
    const score = result[split];
    if (!score) continue;
    const rows = samples.filter((s) => s.split === split);
    const ids = new Set(rows.map((s) => s.exampleId));
    const correct = rows.filter((s) => s.correct).length;
    if (rows.length !== score.n)
      throw new UserError(`${file}: ${rows.length} ${split} rows, but result.json ${split}.n is ${score.n}`);
    if (ids.size !== rows.length) throw new UserError(`${file}: ${rows.length - ids.size} repeated ${split} example id(s)`);
    if (correct !== score.correct)
      throw new UserError(`${file}: ${correct} correct ${split} rows, but result.json ${split}.correct is ${score.correct}`);
  }
}

const errorSchema = z.looseObject({ message: z.string().optional(), error: z.string().optional() });

function firstLine(s: string): string {
  return (s.split('\n').find((l) => l.trim()) ?? '').trim().slice(0, 200);
}

/**
 * Loads every cell of a run directory. Cells without result.json are
 * returned in `missing` (never dropped). Labels: the optimizer name, plus
 * "(paper)" for paper-mode cells and "#<hash>" of the options when one
 * optimizer runs with several option sets.
 */
export function loadRunDir(dir: string): RunDir {
  if (!existsSync(dir)) throw new UserError(`run directory not found: ${dir}`);
  if (!statSync(dir).isDirectory()) throw new UserError(`${dir} is a file, not a run directory`);
  const cellsDir = path.join(dir, 'cells');
  const suiteFile = path.join(dir, 'suite.json');
  if (!existsSync(suiteFile) && !existsSync(cellsDir)) throw new UserError(`${dir}: not a run directory (no suite.json or cells/)`);
  const suite = existsSync(suiteFile) ? readJson(suiteFile, z.unknown()) : undefined;
  const gridFile = path.join(dir, 'grid.json');
  const grid = existsSync(gridFile) ? readJson(gridFile, gridSchema).cells : undefined;
  const gridById = grid ? new Map(grid.map((c) => [c.id, c])) : undefined;
  // Cell folders only: temp copies of a killed merge and stray files are not cells.
  const ids = existsSync(cellsDir)
    ? readdirSync(cellsDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() && !isTempName(d.name))
        .map((d) => d.name)
        .sort()
    : [];

  const raw: Array<{ id: string; spec?: CellSpec; result?: CellResult; samples: Sample[]; reason: string; failed: boolean }> = [];
  for (const id of ids) {
    const cdir = path.join(cellsDir, id);
    const specFile = path.join(cdir, 'spec.json');
    const resultFile = path.join(cdir, 'result.json');
    const errorFile = path.join(cdir, 'error.json');
    const samplesFile = path.join(cdir, 'samples.jsonl');
    let spec: CellSpec | undefined;
    try {
      spec = existsSync(specFile) ? readJson(specFile, specSchema) : gridById?.get(id);
    } catch (err) {
      raw.push({ id, ...(gridById?.get(id) ? { spec: gridById.get(id)! } : {}), samples: [], reason: (err as Error).message, failed: true });
      continue;
    }
    const gridSpec = gridById?.get(id);
    if (gridById && !gridSpec) {
      raw.push({ id, ...(spec ? { spec } : {}), samples: [], reason: 'not a cell of the suite grid (grid.json); left out', failed: true });
      continue;
    }
    if (existsSync(resultFile)) {
      // A cell counts only when every file it is made of validates and agrees on its identity.
      let result: CellResult;
      let samples: Sample[];
      try {
        result = readJson(resultFile, resultSchema);
        if (result.id !== id) throw new UserError(`${resultFile}: id "${result.id}" is not the cell's folder name`);
        if (spec && spec.id !== id) throw new UserError(`${specFile}: id "${spec.id}" is not the cell's folder name`);
        if (spec && result.spec && canonicalJson(result.spec) !== canonicalJson(spec)) throw new UserError(`${resultFile}: spec differs from spec.json`);
        if (gridSpec && result.spec && canonicalJson(result.spec) !== canonicalJson(gridSpec)) throw new UserError(`${resultFile}: spec differs from the suite grid (grid.json)`);
        spec ??= result.spec;
        if (!spec) throw new UserError(`${resultFile}: no spec (neither spec.json nor result.spec)`);
        if (!existsSync(samplesFile)) throw new UserError(`${samplesFile}: samples.jsonl missing`);
        samples = readJsonl(samplesFile, sampleSchema, { strict: true });
        checkSamples(samplesFile, samples, result);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        raw.push({ id, ...(spec ? { spec } : {}), samples: [], reason: `invalid: ${err.message}`, failed: true });
        continue;
      }
      raw.push({ id, spec, result, samples, reason: '', failed: false });
    } else if (existsSync(errorFile)) {
      let reason = 'error.json present';
      try {
        const e = JSON.parse(readFileSync(errorFile, 'utf8')) as unknown;
        const p = errorSchema.safeParse(e);
        if (p.success) reason = firstLine(p.data.message ?? p.data.error ?? reason);
      } catch {
        reason = 'error.json present (unreadable)';
      }
      raw.push({ id, ...(spec ? { spec } : {}), samples: [], reason, failed: true });
    } else {
      raw.push({ id, ...(spec ? { spec } : {}), samples: [], reason: 'no result.json (not finished)', failed: false });
    }
  }
  // Cells of the grid that were never started (another shard, or a run cut short) are missing too.
  const present = new Set(ids);
  for (const c of grid ?? []) if (!present.has(c.id)) raw.push({ id: c.id, spec: c, samples: [], reason: 'not run (no folder)', failed: false });

  // Labels: the suite entry's label when it has one; otherwise the optimizer name,
  // plus "#hash" only when one unlabelled (optimizer, mode) runs with several option sets.
  const optionSets = new Map<string, Set<string>>();
  const baseLabel = (s: CellSpec) => (s.mode === 'paper' ? `${s.optimizer} (paper)` : s.optimizer);
  for (const r of raw) {
    if (!r.spec || r.spec.label !== undefined) continue;
    const key = baseLabel(r.spec);
    if (!optionSets.has(key)) optionSets.set(key, new Set());
    optionSets.get(key)!.add(canonicalJson(r.spec.options ?? {}));
  }
  const labelOf = (s: CellSpec) => {
    if (s.label !== undefined) return s.label;
    const base = baseLabel(s);
    return (optionSets.get(base)?.size ?? 0) > 1 ? `${base}#${sha256(s.options ?? {}).slice(0, 4)}` : base;
  };

  // Several sim worlds or knob settings: each (task, world, setting) is a block of its own.
  const blockOf = blockNamer(raw.flatMap((r) => (r.spec ? [r.spec] : [])));
  for (const r of raw) if (r.spec) r.spec = blockOf(r.spec);

  const cells: Cell[] = [];
  const missing: MissingCell[] = [];
  for (const r of raw) {
    if (r.result && r.spec) {
      const traj = r.result.trajectory ?? { candidates: [], reflections: [], steps: [] };
      cells.push({
        id: r.id,
        spec: r.spec,
        label: labelOf(r.spec),
        result: r.result,
        trajectory: traj as unknown as Trajectory,
        test: r.samples.filter((s) => s.split === 'test'),
        dev: r.samples.filter((s) => s.split === 'dev'),
      });
    } else {
      missing.push({
        id: r.id,
        ...(r.spec ? { spec: r.spec, label: labelOf(r.spec) } : {}),
        status: r.failed ? 'failed' : 'missing',
        reason: r.reason,
      });
    }
  }
  return { dir, suite, ...(grid ? { grid: grid.length } : {}), cells, missing };
}

/** The sim knobs whose value is a number (the rates a suite may sweep). */
function rateKnobs(spec: CellSpec): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(spec.sim ?? {})) if (typeof v === 'number') out[k] = v;
  return out;
}

/**
 * Block names for a run with several sim worlds or knob settings: the task id,
 * then ` @w<N>` when the run has a world other than 0 or several worlds, then
 * ` [knob=value, …]` for the rate knobs whose value differs between cells.
 * The spec keeps the task id as run in `taskId`. Runs with neither are unchanged.
 */
export function blockNamer(specs: readonly CellSpec[]): (spec: CellSpec) => CellSpec {
  const worlds = new Set(specs.map((s) => s.world ?? 0));
  const byWorld = worlds.size > 1 || !worlds.has(0);
  const values = new Map<string, Set<string>>();
  for (const s of specs) for (const [k, v] of Object.entries(rateKnobs(s))) (values.get(k) ?? values.set(k, new Set()).get(k)!).add(String(v));
  for (const s of specs) for (const k of values.keys()) if (!(k in rateKnobs(s))) values.get(k)!.add('default');
  const varying = [...values.entries()].filter(([, v]) => v.size > 1).map(([k]) => k);
  if (!byWorld && !varying.length) return (s) => s;
  return (s) => {
    if (s.taskId !== undefined) return s;
    const knobs = rateKnobs(s);
    const setting = varying.map((k) => `${k}=${k in knobs ? knobs[k] : 'default'}`).join(', ');
    const task = `${s.task}${byWorld ? ` @w${s.world ?? 0}` : ''}${setting ? ` [${setting}]` : ''}`;
    return { ...s, task, taskId: s.task };
  };
}

/** The task id of a block name (`like/navigate @w3 [recognise=0]` → `like/navigate`). */
export function baseTaskId(task: string): string {
  return task.replace(/(?: @w\d+)?(?: \[[^\]]*\])?$/, '');
}

/** Groups finished cells by (optimizer label, task, target); cells within a group sorted by seed. */
export function groupCells(cells: readonly Cell[]): CellGroup[] {
  const map = new Map<string, CellGroup>();
  for (const c of cells) {
    const key = JSON.stringify([c.label, c.spec.task, c.spec.target]);
    if (!map.has(key)) map.set(key, { label: c.label, task: c.spec.task, target: c.spec.target, cells: [] });
    map.get(key)!.cells.push(c);
  }
  const groups = [...map.values()];
  for (const g of groups) g.cells.sort((a, b) => a.spec.seed - b.spec.seed);
  return groups.sort((a, b) => a.task.localeCompare(b.task) || a.target.localeCompare(b.target) || a.label.localeCompare(b.label));
}
