/**
 * Durable file writes for the run directory (docs/run-format.md): a file is
 * either absent or complete, also after `kill -9` or a power cut. Each write
 * goes to a temp file named `<name>.tmp-<pid>-<hex>` beside its target, is
 * fsynced, renamed over the target, and the folder is fsynced. Readers skip
 * temp names (`isTempName`); the next writer removes those of dead processes
 * (`cleanTemps`).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

const TEMP = /\.tmp-(\d+)(?:-[0-9a-f]+)?$/;

/** True for a temp file or folder left by a write or copy in progress (or cut off). */
export function isTempName(name: string): boolean {
  return TEMP.test(name);
}

/** A fresh temp path beside `target`, owned by this process. */
export function tempPath(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Flush a folder's entries (a rename) to disk; a no-op where folders cannot be opened. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a folder; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Write `text` to `file` atomically and durably: temp file, fsync, rename, fsync of the folder. */
export function writeAtomic(file: string, text: string | Uint8Array): void {
  const tmp = tempPath(file);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'w');
    writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(path.dirname(file));
}

/** Is process `pid` (on this machine) still running? */
export function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Remove the temp files and folders in `dir` left by processes that are no
 * longer running (a live writer's temps are kept). Returns the names removed.
 */
export function cleanTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
