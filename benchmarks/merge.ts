/**
 * Merge run directories (e.g. the shards of one suite run on several machines)
 * by copying their cells. A cell id present in several directories must have
 * the same spec everywhere; a finished copy (result.json) wins over an
 * unfinished or failed one.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { cellDir, readJson, writeAtomic } from './runner.js';

export interface MergeSummary {
  out: string;
  /** Cells in `out` after the merge. */
  cells: number;
  /** Of them, finished (result.json). */
  done: number;
  copied: number;
}

interface Source {
  dir: string;
  spec: string;
  done: boolean;
}

const specText = (dir: string, id: string): string | undefined => {
  const f = path.join(cellDir(dir, id), 'spec.json');
  return existsSync(f) ? canonicalJson(readJson(f)) : undefined;
};

export function mergeRuns(dirs: readonly string[], out: string): MergeSummary {
  if (dirs.length === 0) throw new UserError('merge: give at least one run directory');
  const outAbs = path.resolve(out);
  const all = [...(existsSync(path.join(out, 'cells')) ? [out] : []), ...dirs.filter((d) => path.resolve(d) !== outAbs)];

  // The suite: every directory that has one must agree.
  let suite: { text: string; from: string; value: unknown } | undefined;
  for (const dir of all) {
    const f = path.join(dir, 'suite.json');
    if (!existsSync(dir) || !existsSync(path.join(dir, 'cells'))) throw new UserError(`merge: ${dir} is not a run directory (no cells/)`);
    if (!existsSync(f)) continue;
    const value = readJson(f);
    const text = canonicalJson(value);
    if (suite && suite.text !== text) throw new UserError(`merge: ${dir}/suite.json differs from ${suite.from}/suite.json; these are runs of different suites`);
    suite ??= { text, from: dir, value };
  }

  // Pick one source per cell, refusing a cell id whose spec differs between directories.
  const chosen = new Map<string, Source>();
  for (const dir of all) {
    for (const id of readdirSync(path.join(dir, 'cells')).sort()) {
      if (/\.tmp-\d+$/.test(id)) continue; // a copy cut off by an earlier merge
      const spec = specText(dir, id);
      if (spec === undefined) continue; // a folder cut off before its spec: nothing to keep
      const src: Source = { dir, spec, done: existsSync(path.join(cellDir(dir, id), 'result.json')) };
      const prev = chosen.get(id);
      if (!prev) chosen.set(id, src);
      else if (prev.spec !== spec) throw new UserError(`merge: cell ${id} has different specs in ${prev.dir} and ${dir}`);
      else if (!prev.done && src.done) chosen.set(id, src);
    }
  }

  mkdirSync(path.join(out, 'cells'), { recursive: true });
  if (suite) writeAtomic(path.join(out, 'suite.json'), JSON.stringify(suite.value, null, 2) + '\n');
  let copied = 0;
  for (const [id, src] of chosen) {
    if (path.resolve(src.dir) === outAbs) continue;
    const dest = cellDir(out, id);
    // Copy beside the destination, then swap it in: a merge cut short leaves no half-copied result.json.
    const tmp = `${dest}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    cpSync(cellDir(src.dir, id), tmp, { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    copied++;
  }
  const done = [...chosen.values()].filter((s) => s.done).length;
  return { out, cells: chosen.size, done, copied };
}
