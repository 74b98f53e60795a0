/**
 * Output paths (`--out`, `--events`) are checked before a command does any
 * work, so a path that cannot be written is a one-line error (exit 2) at the
 * start rather than a crash after a long run. The checks touch nothing
 * outside a probe file, which is created and removed at once in the nearest
 * existing folder (no folder is created here; the command creates missing
 * parents when it writes).
 *
 * `writeOrRescue` is for the final write of a computed result: when it fails
 * anyway (disk full, the folder removed during the run), the result goes to a
 * file in the system temp folder, and the one-line error says where.
 */
import { closeSync, mkdirSync, openSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fsyncDir, tempPath, writeAtomic } from '../core/atomic.js';
import { UserError } from '../core/errors.js';

const code = (err: unknown) => (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch {
    return undefined;
  }
}

/** The nearest existing ancestor of `abs` (itself included) and its stats. */
function nearestExisting(abs: string): { at: string; stat: Stats } {
  for (let p = abs; ; p = path.dirname(p)) {
    const st = statOrUndefined(p);
    if (st) return { at: p, stat: st };
    if (path.dirname(p) === p) return { at: p, stat: statSync(p) };
  }
}

/** Can files be created in the existing folder `dir`? (A real probe: permission bits say little for root or read-only mounts.) */
function probeWritable(flag: string, shown: string, dir: string): void {
  const probe = tempPath(path.join(dir, '.popbench-probe'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (err) {
    throw new UserError(`${flag}: cannot write in ${dir} (${code(err)}), so ${shown} cannot be written`);
  }
  rmSync(probe, { force: true });
}

/** The folders above `abs` must be folders (or not exist yet, below an existing folder) that can be written. */
function checkParents(flag: string, shown: string, abs: string): void {
  const { at, stat } = nearestExisting(abs);
  if (!stat.isDirectory()) throw new UserError(`${flag}: ${shown}: ${at} is a file, not a directory`);
  probeWritable(flag, shown, at);
}

/**
 * Check an output FILE path up front: not empty, not a folder or other
 * non-regular file, every existing folder above it a folder, and the folder
 * it goes in (or the nearest existing one above) writable. Returns the path.
 */
export function checkOutFile(flag: string, file: string): string {
  if (file.trim() === '') throw new UserError(`${flag}: expected a file path, got ""`);
  const abs = path.resolve(file);
  const st = statOrUndefined(abs);
  if (st?.isDirectory()) throw new UserError(`${flag}: ${file} is a directory; give a file path`);
  if (st && !st.isFile()) throw new UserError(`${flag}: ${file} is not a regular file`);
  checkParents(flag, file, path.dirname(abs));
  return file;
}

/**
 * Check an output FOLDER path up front: not empty, not an existing file,
 * every existing folder above it a folder, and writable (itself when it
 * exists, else the nearest existing folder above). Returns the path.
 */
export function checkOutDir(flag: string, dir: string): string {
  if (dir.trim() === '') throw new UserError(`${flag}: expected a directory path, got ""`);
  const abs = path.resolve(dir);
  const st = statOrUndefined(abs);
  if (st && !st.isDirectory()) throw new UserError(`${flag}: ${dir} is a file, not a directory`);
  checkParents(flag, dir, abs);
  return dir;
}

/**
 * Write a computed result to `file` (atomically, creating missing parents).
 * If that fails, the text is saved to a fresh file in the system temp folder
 * and a one-line UserError names both; if even that fails, the text goes to
 * stdout before the error, so the result is never lost silently.
 */
export function writeOrRescue(flag: string, file: string, text: string, what: string): void {
  try {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    writeAtomic(file, text);
    return;
  } catch (err) {
    const rescue = path.join(tmpdir(), `popbench-${what.replace(/\W+/g, '-')}-${process.pid}-${Date.now()}${path.extname(file) || '.json'}`);
    try {
      writeAtomic(rescue, text);
    } catch {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
      throw new UserError(`${flag}: cannot write ${file} (${code(err)}); the ${what} was printed to stdout above`);
    }
    throw new UserError(`${flag}: cannot write ${file} (${code(err)}); the ${what} was saved to ${rescue}`);
  }
}

/**
 * Move a finished temp file (streamed samples or events) onto `file`. If the
 * rename fails, the temp file is kept and a one-line UserError says where.
 */
export function renameOrRescue(flag: string, tmp: string, file: string, what: string): void {
  try {
    renameSync(tmp, file);
  } catch (err) {
    throw new UserError(`${flag}: cannot write ${file} (${code(err)}); the ${what} are kept in ${tmp}`);
  }
  fsyncDir(path.dirname(path.resolve(file)));
}
