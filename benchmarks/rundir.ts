/**
 * What makes a run directory trustworthy (docs/run-format.md): the schema a
 * cell's result.json must pass before it counts as finished, the suite grid
 * recorded beside the cells (grid.json), per-cell locks, and the check that a
 * directory's recorded cells are the cells the suite now asks for.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { isTempName, writeAtomic } from '../core/atomic.js';
import { UserError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { tryLock, type LockResult } from '../core/lock.js';
import { cellId, infinityAware, plain, type CellSpec } from './suite.js';

const num = z.union([z.number(), z.literal('Infinity'), z.literal('-Infinity')]);
const count = z.int().nonnegative();
/** { n, correct, accuracy } with 0 <= correct <= n and accuracy = correct / n (0 when n = 0). */
const score = z.looseObject({ n: count, correct: count, accuracy: z.number().min(0).max(1) }).superRefine((s, ctx) => {
  if (s.correct > s.n) ctx.addIssue({ code: 'custom', path: ['correct'], message: `correct ${s.correct} exceeds n ${s.n}` });
  else if (Math.abs(s.accuracy - (s.n ? s.correct / s.n : 0)) > 1e-9)
    ctx.addIssue({ code: 'custom', path: ['accuracy'], message: `accuracy ${s.accuracy} is not correct/n = ${s.correct}/${s.n}` });
});
/** An anytime checkpoint's test counts (absent before checkpoints were recorded). */
const checkpoint = z.looseObject({ n: count, correct: count }).refine((c) => c.correct <= c.n, { message: 'correct exceeds n', path: ['correct'] });

/** cells/<id>/spec.json: the fields every spec has (others, such as label, are checked by comparison). */
export const CellSpecSchema = z.looseObject({
  id: z.string().min(1),
  suite: z.string(),
  optimizer: z.string().min(1),
  options: z.record(z.string(), z.unknown()),
  task: z.string().min(1),
  target: z.string().min(1),
  optimizerModel: z.string().min(1),
  seed: z.int().nonnegative(),
  mode: z.enum(['equal', 'paper']),
  limits: z.looseObject({ targetCalls: num.optional(), optimizerCalls: num.optional(), tokens: num.optional() }),
});

/** cells/<id>/result.json as the runner writes it (benchmarks/runner.ts CellResult). */
export const CellResultSchema = z.looseObject({
  id: z.string().min(1),
  spec: CellSpecSchema,
  stoppedBy: z.enum(['done', 'budget']),
  spent: z.looseObject({ targetCalls: count, optimizerCalls: count, tokens: count }),
  best: z.looseObject({ instruction: z.string() }),
  bestScore: num,
  perQueryRewriter: z.literal(true).optional(),
  dev: score,
  test: score,
  checkpoints: z.array(checkpoint).optional(),
  trajectory: z.looseObject({ candidates: z.array(z.looseObject({ id: z.string() })), reflections: z.array(z.unknown()), steps: z.array(z.unknown()) }),
  usage: z.looseObject({ total: z.looseObject({ calls: count }), byModel: z.record(z.string(), z.unknown()), byRole: z.record(z.string(), z.unknown()) }),
  // meta.usage / meta.checkpointUsage (cached calls, retries) are absent in results written before they moved there
  meta: z.looseObject({ startedAt: z.string(), finishedAt: z.string(), wallMs: z.number(), usage: z.looseObject({ total: z.looseObject({}) }).optional() }),
});

export const json = (v: unknown) => JSON.stringify(v, infinityAware, 2) + '\n';

export const cellDir = (out: string, id: string) => path.join(out, 'cells', id);
export const lockFile = (out: string, id: string) => path.join(out, 'locks', `${id}.lock`);

function issueText(err: z.ZodError): string {
  const first = err.issues[0];
  if (!first) return err.message;
  return `${first.path.length ? first.path.join('.') : '(top level)'}: ${first.message}`;
}

/** Read a JSON file; a missing, unreadable or malformed file is a one-line UserError naming it. */
export function readJson<T>(file: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new UserError(`${file}: malformed JSON`);
  }
}

/** Read and validate a JSON file against `schema`; the error names the file and the first bad field. */
export function readValid<T>(file: string, schema: z.ZodType<T>, what: string): T {
  const value = readJson<unknown>(file);
  const r = schema.safeParse(value);
  if (!r.success) throw new UserError(`${file}: invalid ${what}: ${issueText(r.error)}`);
  return r.data;
}

/** Is `id` a fingerprinted cell id (…__<8 hex>), and does its hash match `spec`? */
export function fingerprintOk(id: string, spec: Record<string, unknown>): boolean {
  if (!/__[0-9a-f]{8}$/.test(id)) return true;
  const { id: _id, suite: _suite, ...rest } = spec;
  return cellId(rest as Omit<CellSpec, 'id' | 'suite'>) === id;
}

export type CellState =
  | { status: 'done'; result: z.infer<typeof CellResultSchema> }
  | { status: 'invalid'; reason: string }
  | { status: 'unfinished' };

/**
 * Is this cell finished? Only when its result.json parses, passes the schema,
 * names this cell and carries exactly `expected` (the spec the suite asks for)
 * — or, without `expected`, its own spec.json's spec with a matching fingerprint.
 */
export function cellState(out: string, id: string, expected?: CellSpec): CellState {
  const file = path.join(cellDir(out, id), 'result.json');
  if (!existsSync(file)) return { status: 'unfinished' };
  let result: z.infer<typeof CellResultSchema>;
  try {
    result = readValid(file, CellResultSchema, 'result.json');
  } catch (err) {
    return { status: 'invalid', reason: (err as Error).message };
  }
  if (result.id !== id) return { status: 'invalid', reason: `${file}: id "${result.id}" is not the cell's id` };
  const spec = canonicalJson(result.spec);
  if (expected && spec !== canonicalJson(plain(expected))) {
    const fields = diffFields(plain(expected), result.spec);
    return { status: 'invalid', reason: `${file}: spec differs from the suite's (${fields.join(', ')})` };
  }
  if (!fingerprintOk(id, result.spec)) return { status: 'invalid', reason: `${file}: spec does not match the cell id's fingerprint` };
  const samples = samplesDisagree(path.join(cellDir(out, id), 'samples.jsonl'), result);
  if (samples) return { status: 'invalid', reason: samples };
  return { status: 'done', result };
}

/**
 * Why a cell's samples.jsonl does not hold the outcomes its result.json counts
 * (missing, a cut-off or malformed line, other dev/test row or correct counts),
 * or undefined when it agrees: the same rule `report` applies
 * (reports/load.ts `checkSamples`), so `run` redoes what `report` would refuse.
 */
export function samplesDisagree(file: string, result: { dev: { n: number; correct: number }; test: { n: number; correct: number } }): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return `${file}: samples.jsonl missing`;
  }
  const count = { dev: { n: 0, correct: 0 }, test: { n: 0, correct: 0 } };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]!.trim()) continue;
    let row: { split?: unknown; correct?: unknown };
    try {
      row = JSON.parse(lines[i]!) as typeof row;
    } catch {
      return `${file}:${i + 1}: ${i === lines.length - 1 ? 'cut off (malformed last line without a newline)' : 'malformed JSON line'}`;
    }
    if (row.split === 'dev' || row.split === 'test') {
      count[row.split].n++;
      if (row.correct === true) count[row.split].correct++;
    }
  }
  for (const split of ['dev', 'test'] as const) {
    if (count[split].n !== result[split].n) return `${file}: ${count[split].n} ${split} rows, but result.json ${split}.n is ${result[split].n}`;
    if (count[split].correct !== result[split].correct)
      return `${file}: ${count[split].correct} correct ${split} rows, but result.json ${split}.correct is ${result[split].correct}`;
  }
  return undefined;
}

const show = (v: unknown) => {
  const s = v === undefined ? 'absent' : JSON.stringify(v);
  return s.length > 40 ? s.slice(0, 37) + '...' : s;
};

/**
 * The dotted paths where two JSON values differ, each with both values, e.g.
 * `limits.targetCalls (120 -> 60)`. Arrays are compared whole.
 */
export function diffFields(a: unknown, b: unknown, prefix = ''): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return [];
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(a) && isObj(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => diffFields(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return [`${prefix || '(value)'} (${show(a)} -> ${show(b)})`];
}

/** The readable part of a cell id (entry, task, target, seed), without the fingerprint. */
export function cellKey(id: string): string {
  return id.replace(/__[0-9a-f]{8}$/, '');
}

/** grid.json: every cell of the suite (all shards), in grid order. */
export interface GridFile {
  suite: string;
  cells: CellSpec[];
}

export function readGrid(out: string): GridFile | undefined {
  const file = path.join(out, 'grid.json');
  if (!existsSync(file)) return undefined;
  const g = readJson<GridFile>(file);
  if (!g || typeof g !== 'object' || !Array.isArray(g.cells) || g.cells.some((c) => typeof c?.id !== 'string'))
    throw new UserError(`${file}: invalid grid (expected { suite, cells: [{ id, ... }] })`);
  return g;
}

export function writeGrid(out: string, grid: GridFile): void {
  writeAtomic(path.join(out, 'grid.json'), json(grid));
}

/** Cell folders of a run directory (temp copies and stray files left out), sorted. */
export function cellIds(out: string): string[] {
  const root = path.join(out, 'cells');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !isTempName(d.name))
    .map((d) => d.name)
    .sort();
}

/**
 * Refuse to reuse a run directory whose recorded cells (grid.json and every
 * cell's spec.json) are not cells of `grid`: a one-line UserError naming the
 * differing fields of the first such cell. Adding cells (more seeds, tasks,
 * targets or optimizer entries) is fine; changing or removing one is not.
 */
export function checkRecordedCells(out: string, grid: readonly CellSpec[]): void {
  const byId = new Map(grid.map((c) => [c.id, c]));
  const byKey = new Map(grid.map((c) => [cellKey(c.id), c]));
  const recorded: Array<{ spec: Record<string, unknown>; where: string }> = [];
  for (const c of readGrid(out)?.cells ?? []) recorded.push({ spec: c as unknown as Record<string, unknown>, where: 'grid.json' });
  for (const id of cellIds(out)) {
    const f = path.join(cellDir(out, id), 'spec.json');
    if (!existsSync(f)) continue; // cut off before its spec: nothing recorded
    let spec: Record<string, unknown>;
    try {
      spec = readJson<Record<string, unknown>>(f);
    } catch {
      continue; // unreadable spec of an unfinished cell: it is redone from scratch
    }
    recorded.push({ spec: { ...spec, id }, where: `cells/${id}/spec.json` });
  }
  for (const { spec, where } of recorded) {
    const id = String(spec.id);
    const now = byId.get(id);
    if (now && canonicalJson(plain(now)) === canonicalJson(spec)) continue;
    const same = now ?? byKey.get(cellKey(id));
    if (same) {
      const fields = diffFields(spec, plain(same)).filter((f) => !f.startsWith('id '));
      throw new UserError(
        `${out} holds cell ${cellKey(id)} with a different spec than the suite now asks (${where}: ${fields.join(', ')}); use another --out, or restore the suite`,
      );
    }
    throw new UserError(`${out} holds cell ${id} (${where}), which the suite no longer has; use another --out, or restore the suite`);
  }
}

/** Take the lock of one cell (locks/<id>.lock). */
export function lockCell(out: string, id: string): LockResult {
  return tryLock(lockFile(out, id));
}
