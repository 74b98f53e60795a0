/**
 * Exclusive locks by file: `tryLock(file)` creates the lock file with its
 * owner (pid, host, time) in one step (a hard link of a complete temp file,
 * which fails if the lock exists), so two processes can never both hold it.
 * A lock whose owner on this host is no longer running is stale and is taken
 * over; a lock held by a live process (or another host) is reported, not broken.
 */
import { hostname } from 'node:os';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { isAlive, tempPath, writeAtomic } from './atomic.js';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export type LockResult = { ok: true; release: () => void } | { ok: false; owner: LockOwner | undefined };

function readOwner(file: string): LockOwner | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as LockOwner;
    return typeof v?.pid === 'number' && typeof v.host === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Try to take the lock `file` (its folder is created). Never waits. */
export function tryLock(file: string): LockResult {
  mkdirSync(path.dirname(file), { recursive: true });
  const me: LockOwner = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    const tmp = tempPath(file);
    writeAtomic(tmp, JSON.stringify(me) + '\n');
    try {
      linkSync(tmp, file);
      rmSync(tmp, { force: true });
      return {
        ok: true,
        release: () => {
          if (readOwner(file)?.pid === me.pid) rmSync(file, { force: true });
        },
      };
    } catch (err) {
      rmSync(tmp, { force: true });
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(file);
    const stale = owner !== undefined && owner.host === me.host && !isAlive(owner.pid);
    if (!stale) return { ok: false, owner };
    // Take a stale lock over: only one process wins the rename; the others retry and find the new lock.
    const grave = tempPath(file);
    try {
      renameSync(file, grave);
    } catch {
      continue; // someone else took it over first
    }
    const moved = readOwner(grave);
    if (moved && (moved.pid !== owner.pid || moved.startedAt !== owner.startedAt)) {
      // We moved a lock taken over a moment ago by another process: put it back.
      try {
        linkSync(grave, file);
      } catch {
        // The lock was taken again meanwhile; that owner holds it.
      }
      rmSync(grave, { force: true });
      return { ok: false, owner: moved };
    }
    rmSync(grave, { force: true });
  }
  return { ok: false, owner: readOwner(file) };
}
