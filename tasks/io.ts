/** File reading shared by the loaders: missing or unreadable files become UserErrors naming the path. */
import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../core/errors.js';

export function readDataFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`data file not found: ${file}`);
    throw new UserError(`cannot read data file ${file}: ${(err as Error).message}`);
  }
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}
