/**
 * Run stores: where the runner and optimizers record events (candidates,
 * evaluations, reflections, steps). Reports read only the store, so a report
 * can be rebuilt without re-running any model. The JSONL store appends one
 * line per event as it happens, so a crash loses no finished event.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './errors.js';
import type { EventSink, RunEvent } from './types.js';

export interface RunStore extends EventSink {
  /** Every event recorded so far, in order (optionally of one type). */
  events(type?: string): RunEvent[];
  close(): void;
}

const infinityAware = (_k: string, v: unknown) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v);

export class MemoryRunStore implements RunStore {
  private readonly list: RunEvent[] = [];
  emit(event: RunEvent): void {
    this.list.push(event);
  }
  events(type?: string): RunEvent[] {
    return type ? this.list.filter((e) => e.type === type) : this.list.slice();
  }
  close(): void {}
}

/** Append-only JSON-lines store. `resume: true` keeps (and re-reads) an existing file. */
export class JsonlRunStore implements RunStore {
  private readonly list: RunEvent[];
  constructor(
    readonly file: string,
    opts: { resume?: boolean } = {},
  ) {
    mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    if (opts.resume && existsSync(file)) this.list = readRunEvents(file);
    else {
      writeFileSync(file, '');
      this.list = [];
    }
  }
  emit(event: RunEvent): void {
    appendFileSync(this.file, JSON.stringify(event, infinityAware) + '\n');
    this.list.push(event);
  }
  events(type?: string): RunEvent[] {
    return type ? this.list.filter((e) => e.type === type) : this.list.slice();
  }
  close(): void {}
}

/**
 * Read a JSONL events file. A malformed line is a UserError naming file:line;
 * a last line cut off by a crash (no trailing newline) is skipped, since the
 * event it held never finished being written.
 */
export function readRunEvents(file: string): RunEvent[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`run store not found: ${file}`);
  }
  const lines = text.split('\n');
  // The piece after the last newline is '' or a line cut off mid-write: never an event.
  const complete = lines.length - 1;
  const out: RunEvent[] = [];
  for (let i = 0; i < complete; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new UserError(`${file}:${i + 1}: malformed JSON line in run store`);
    }
    if (typeof value !== 'object' || value === null || typeof (value as RunEvent).type !== 'string')
      throw new UserError(`${file}:${i + 1}: run store event has no "type"`);
    out.push(value as RunEvent);
  }
  return out;
}
