/**
 * Merge run directories (e.g. the shards of one suite run on several machines)
 * by copying their cells. A cell id present in several directories must have
 * the same spec everywhere; a finished copy (valid result.json) wins over an
 * unfinished or failed one; a result.json that fails validation is refused.
 * Each cell is copied beside its destination and renamed into place, so a
 * merge killed at any moment leaves only temp copies, which every reader
 * ignores and the next merge or run removes. Every cell the merge writes in
 * `out` is locked first (the lock `run` takes, locks/<id>.lock): a cell that
 * a live `run` or another merge is writing there is refused with one line,
 * before anything is copied.
 */
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { cleanTemps, fsyncDir, tempPath, writeAtomic } from '../core/atomic.js';
import { UserError } from '../core/errors.js';
import { canonicalJson } from '../core/hash.js';
import { cellDir, cellIds, cellState, diffFields, fingerprintOk, lockCell, readGrid, readJson, writeGrid, type GridFile } from './rundir.js';
import type { CellSpec } from './suite.js';

export interface MergeSummary {
  out: string;
  /** Cells in `out` after the merge. */
  cells: number;
  /** Of them, finished (valid result.json). */
  done: number;
  copied: number;
}

interface Source {
  dir: string;
  spec: Record<string, unknown>;
  done: boolean;
}

export function mergeRuns(dirs: readonly string[], out: string): MergeSummary {
  if (dirs.length === 0) throw new UserError('merge: give at least one run directory');
  const outAbs = path.resolve(out);
  const all = [...(existsSync(path.join(out, 'cells')) ? [out] : []), ...dirs.filter((d) => path.resolve(d) !== outAbs)];
  for (const dir of all)
    if (!existsSync(dir) || !existsSync(path.join(dir, 'cells'))) throw new UserError(`merge: ${dir} is not a run directory (no cells/)`);
  // The merge writes only `out`: its own leftovers from a killed merge or run go first.
  if (existsSync(path.join(out, 'cells'))) {
    cleanTemps(out);
    cleanTemps(path.join(out, 'cells'));
  }

  // The suite: every directory that has one must agree.
  let suite: { text: string; from: string; value: unknown } | undefined;
  for (const dir of all) {
    const f = path.join(dir, 'suite.json');
    if (!existsSync(f)) continue;
    const value = readJson(f);
    const text = canonicalJson(value);
    if (suite && suite.text !== text)
      throw new UserError(
        `merge: ${dir}/suite.json differs from ${suite.from}/suite.json (${diffFields(suite.value, value).join(', ')}); these are runs of different suites`,
      );
    suite ??= { text, from: dir, value };
  }

  // The grid: the same cell id means the same spec everywhere.
  let grid: (GridFile & { from: string }) | undefined;
  for (const dir of all) {
    const g = readGrid(dir);
    if (!g) continue;
    if (grid && canonicalJson(grid.cells) !== canonicalJson(g.cells))
      throw new UserError(`merge: ${dir}/grid.json differs from ${grid.from}/grid.json; these are runs of different suites or popbench versions`);
    grid ??= { ...g, from: dir };
  }
  const inGrid = grid ? new Map(grid.cells.map((c) => [c.id, c])) : undefined;

  // Pick one source per cell, refusing a cell id whose spec differs between directories or from the grid.
  const chosen = new Map<string, Source>();
  for (const dir of all) {
    for (const id of cellIds(dir)) {
      const specFile = path.join(cellDir(dir, id), 'spec.json');
      if (!existsSync(specFile)) continue; // a folder cut off before its spec: nothing to keep
      const spec = readJson<Record<string, unknown>>(specFile);
      const prev = chosen.get(id);
      if (prev && canonicalJson(prev.spec) !== canonicalJson(spec))
        throw new UserError(`merge: cell ${id} has different specs in ${prev.dir} and ${dir} (${diffFields(prev.spec, spec).join(', ')})`);
      const st = cellState(dir, id);
      if (st.status === 'invalid') throw new UserError(`merge: ${st.reason}; rerun the suite into ${dir} to redo that cell`);
      if (st.status === 'done' && canonicalJson(st.result.spec) !== canonicalJson(spec))
        throw new UserError(`merge: ${specFile} differs from the spec in its result.json (${diffFields(spec, st.result.spec).join(', ')})`);
      const src: Source = { dir, spec, done: st.status === 'done' };
      if (!fingerprintOk(id, spec)) throw new UserError(`merge: ${specFile}: spec does not match the cell id's fingerprint`);
      const g = inGrid?.get(id);
      if (inGrid && (!g || canonicalJson(g) !== canonicalJson(spec)))
        throw new UserError(`merge: cell ${id} in ${dir} is not a cell of the suite's grid (grid.json)`);
      if (!prev || (!prev.done && src.done)) chosen.set(id, src);
    }
  }

  // Lock every cell this merge will write in `out`; a cell held by a live process is refused before any copy.
  const toCopy = [...chosen].filter(([, src]) => path.resolve(src.dir) !== outAbs);
  const held: Array<() => void> = [];
  try {
    for (const [id] of toCopy) {
      const lock = lockCell(out, id);
      if (!lock.ok) {
        const who = lock.owner ? `process ${lock.owner.pid} on ${lock.owner.host} (since ${lock.owner.startedAt})` : 'another process';
        throw new UserError(`merge: cell ${id} in ${out} is being written by ${who}; wait for it to finish, then merge again`);
      }
      held.push(lock.release);
    }
    return copyCells(out, suite?.value, grid, chosen, toCopy);
  } finally {
    for (const release of held) release();
  }
}

function copyCells(
  out: string,
  suiteValue: unknown,
  grid: (GridFile & { from: string }) | undefined,
  chosen: ReadonlyMap<string, Source>,
  toCopy: ReadonlyArray<readonly [string, Source]>,
): MergeSummary {
  mkdirSync(path.join(out, 'cells'), { recursive: true });
  if (suiteValue !== undefined) writeAtomic(path.join(out, 'suite.json'), JSON.stringify(suiteValue, null, 2) + '\n');
  if (grid) writeGrid(out, { suite: grid.suite, cells: grid.cells as CellSpec[] });
  let copied = 0;
  for (const [id, src] of toCopy) {
    const dest = cellDir(out, id);
    // Copy beside the destination, then swap it in: a merge cut short leaves no half-copied cell.
    const tmp = tempPath(dest);
    cpSync(cellDir(src.dir, id), tmp, { recursive: true });
    rmSync(dest, { recursive: true, force: true });
    renameSync(tmp, dest);
    copied++;
  }
  fsyncDir(path.join(out, 'cells'));
  const done = [...chosen.values()].filter((s) => s.done).length;
  return { out, cells: chosen.size, done, copied };
}

