/**
 * Task registry: ids → loaded tasks.
 *   "gsm8k" · "bbh/<task>" (27) · "mmlu" (all subjects pooled) · "mmlu/<subject>" (57) · "like/<name>"
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../core/errors.js';
import type { Example } from '../core/types.js';
import { BBH_FORMATS, BBH_TASKS, loadBbh } from './bbh.js';
import { conceptsFor } from './concepts.js';
import { GSM8K_DESCRIPTION, loadGsm8k } from './gsm8k.js';
import { isDir, isFile } from './io.js';
import { LIKE_TASKS, loadLikeTask, MAX_LIKE_SIZE } from './like/index.js';
import { MMLU_SUBJECTS, loadMmluSubject, mmluFile } from './mmlu.js';
import { splitByFraction, splitGsm8k, splitMmlu } from './splits.js';
import { makeTask, type LoadedTask } from './task.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DATA_ENV = 'POPBENCH_DATA';

/**
 * The dataset directory: the --data-dir flag, else $POPBENCH_DATA, else
 * `../shared/datasets` next to the repository root or to the working directory.
 */
export function resolveDataDir(flag?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (flag !== undefined && flag !== '') {
    const dir = path.resolve(cwd, flag);
    if (!isDir(dir)) throw new UserError(`--data-dir: directory not found: ${dir}`);
    return dir;
  }
  const fromEnv = env[DATA_ENV];
  if (fromEnv) {
    const dir = path.resolve(cwd, fromEnv);
    if (!isDir(dir)) throw new UserError(`${DATA_ENV}: directory not found: ${dir}`);
    return dir;
  }
  for (const base of [REPO_ROOT, cwd]) {
    const dir = path.resolve(base, '../shared/datasets');
    if (isDir(dir)) return dir;
  }
  throw new UserError('data directory not found: pass --data-dir or set POPBENCH_DATA (or run `popbench data download`)');
}

function allIds(): string[] {
  return [
    'gsm8k',
    ...BBH_TASKS.map((t) => `bbh/${t}`),
    'mmlu',
    ...MMLU_SUBJECTS.map((s) => `mmlu/${s}`),
    ...LIKE_TASKS.map((t) => `like/${t}`),
  ];
}

/** Whether a real task's files are all present in dataDir. */
function available(id: string, dataDir: string): boolean {
  if (id.startsWith('like/')) return true;
  if (id === 'gsm8k') return ['train.jsonl', 'test.jsonl'].every((f) => isFile(path.join(dataDir, 'gsm8k', f)));
  if (id.startsWith('bbh/')) {
    const t = id.slice(4);
    return isFile(path.join(dataDir, 'bbh', 'tasks', `${t}.json`)) && isFile(path.join(dataDir, 'bbh', 'cot-prompts', `${t}.txt`));
  }
  const subjects = id === 'mmlu' ? MMLU_SUBJECTS : [id.slice(5)];
  return subjects.every((s) => (['dev', 'val', 'test'] as const).every((sp) => isFile(mmluFile(dataDir, s, sp))));
}

/** Every known task id; with a dataDir, only the real tasks whose files are present there (generated tasks always). */
export function listTasks(dataDir?: string): string[] {
  const ids = allIds();
  return dataDir === undefined ? ids : ids.filter((id) => available(id, dataDir));
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/** Up to `k` known ids closest to `id` (substring matches first, then by edit distance). */
export function nearTaskIds(id: string, k = 3): string[] {
  const q = id.toLowerCase();
  const tail = q.includes('/') ? q.slice(q.indexOf('/') + 1) : q;
  return allIds()
    .map((cand) => {
      const c = cand.toLowerCase();
      const sub = tail.length >= 3 && c.includes(tail) ? 0 : 1;
      return { cand, sub, d: editDistance(q, c) };
    })
    .sort((a, b) => a.sub - b.sub || a.d - b.d || a.cand.localeCompare(b.cand))
    .slice(0, k)
    .map((x) => x.cand);
}

function unknownTask(id: string): UserError {
  return new UserError(`unknown task "${id}"; did you mean: ${nearTaskIds(id).join(', ')}? (\`popbench data list\` shows all)`);
}

export interface LoadTaskOptions {
  /** Dataset directory; default `resolveDataDir()`. Not needed for like/ tasks. */
  dataDir?: string;
  /** Split seed (default 0). */
  seed?: number;
}

/**
 * Generation parameters in a like/ task id: `like/gsm?difficulty=0.8&size=50`
 * (also `train=`, `dev=`, `test=` for per-split sizes). The id, parameters
 * included, names the task everywhere (reports, caches, the sim world).
 */
export function likeParams(id: string, query: string | undefined): { difficulty?: number; size?: number; sizes?: { train?: number; dev?: number; test?: number } } {
  if (!query) return {};
  const out: ReturnType<typeof likeParams> = {};
  const seen = new Set<string>();
  for (const [key, raw] of new URLSearchParams(query)) {
    if (seen.has(key)) throw new UserError(`task ${id}: parameter "${key}" given twice`);
    seen.add(key);
    const v = Number(raw);
    if (key === 'difficulty') {
      if (!(/^([0-9]+\.?[0-9]*|\.[0-9]+)$/.test(raw) && v >= 0 && v <= 1)) throw new UserError(`task ${id}: difficulty must be a number in [0, 1], got "${raw}"`);
      out.difficulty = v;
    } else if (key === 'size' || key === 'train' || key === 'dev' || key === 'test') {
      if (!(/^[0-9]+$/.test(raw) && v >= 1 && v <= MAX_LIKE_SIZE))
        throw new UserError(`task ${id}: ${key} must be a positive integer up to ${MAX_LIKE_SIZE} (decimal digits), got "${raw}"`);
      if (key === 'size') out.size = v;
      else (out.sizes ??= {})[key] = v;
    } else throw new UserError(`task ${id}: unknown parameter "${key}" (known: difficulty, size, train, dev, test)`);
  }
  return out;
}

const LIKE_PARAM_ORDER = ['difficulty', 'size', 'train', 'dev', 'test'] as const;

/**
 * The one spelling of a task id: a like/ task's parameters in the order
 * difficulty, size, train, dev, test, each number written as JavaScript
 * writes it (`size=020` -> `size=20`, `difficulty=.50` -> `difficulty=0.5`),
 * and no `?` when there are none. Other ids are returned as given. Two
 * spellings of the same task name the same task everywhere (cell ids, caches,
 * the sim world). Errors: the UserErrors of `likeParams`.
 */
export function canonicalTaskId(id: string): string {
  if (!id.startsWith('like/')) return id;
  const [name, query] = id.split('?', 2) as [string, string | undefined];
  const p = likeParams(id, query);
  const values: Record<string, number | undefined> = { difficulty: p.difficulty, size: p.size, ...p.sizes };
  const parts = LIKE_PARAM_ORDER.filter((k) => values[k] !== undefined).map((k) => `${k}=${values[k]}`);
  return parts.length ? `${name}?${parts.join('&')}` : name;
}

/** Load a task by id with its seeded splits (the id is read in its canonical spelling, `canonicalTaskId`). */
export function loadTask(givenId: string, opts: LoadTaskOptions = {}): LoadedTask {
  const id = canonicalTaskId(givenId);
  const seed = opts.seed ?? 0;
  if (!Number.isInteger(seed)) throw new UserError(`task seed must be an integer, got ${seed}`);
  if (id.startsWith('like/')) {
    const [name, query] = id.slice(5).split('?', 2) as [string, string | undefined];
    if (!LIKE_TASKS.includes(name)) throw unknownTask(id);
    const task = loadLikeTask(name, { seed, ...likeParams(id, query) });
    return query ? { ...task, id } : task;
  }
  const known = id === 'gsm8k' || id === 'mmlu' || (id.startsWith('bbh/') && BBH_TASKS.includes(id.slice(4))) ||
    (id.startsWith('mmlu/') && MMLU_SUBJECTS.includes(id.slice(5)));
  if (!known) throw unknownTask(id);
  const dataDir = opts.dataDir ?? resolveDataDir();

  if (id === 'gsm8k') {
    const { train, test } = loadGsm8k(dataDir);
    return makeTask({
      id, family: 'gsm8k', description: GSM8K_DESCRIPTION, answerFormat: 'integer',
      concepts: conceptsFor(id), splits: splitGsm8k(train, test, seed),
    });
  }
  if (id.startsWith('bbh/')) {
    const name = id.slice(4);
    const { examples, cot } = loadBbh(dataDir, name);
    return makeTask({
      id, family: 'bbh', description: cot.description, answerFormat: BBH_FORMATS[name]!,
      concepts: conceptsFor(id), splits: splitByFraction(examples, seed, id), fewShotCot: cot.demos,
    });
  }
  if (id === 'mmlu') {
    const pooled = { dev: [] as Example[], val: [] as Example[], test: [] as Example[] };
    for (const s of MMLU_SUBJECTS) {
      const parts = loadMmluSubject(dataDir, s, `${s}/`);
      for (const sp of ['dev', 'val', 'test'] as const)
        for (const e of parts[sp]) pooled[sp].push({ ...e, meta: { ...e.meta, subject: s } });
    }
    return makeTask({
      id, family: 'mmlu', description: 'Multiple-choice questions from 57 subjects (MMLU), all subjects pooled.',
      answerFormat: 'letter', concepts: conceptsFor(id), splits: splitMmlu(pooled),
    });
  }
  const subject = id.slice(5);
  return makeTask({
    id, family: 'mmlu', description: `Multiple-choice questions about ${subject.replace(/_/g, ' ')} (MMLU).`,
    answerFormat: 'letter', concepts: conceptsFor(id), splits: splitMmlu(loadMmluSubject(dataDir, subject)),
  });
}
