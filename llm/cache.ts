/**
 * The call cache: an SQLite file (libsql, WAL journal) mapping the sha256 of
 * a request's canonical JSON to the provider's response. A run can be
 * replayed from this file alone (`offline`: read-only, a miss is an error).
 * Errors are never stored; neither are request headers or keys.
 *
 * A cache that cannot be used (a corrupt file, a read-only file or folder, a
 * full disk) never stops a run or loses a reply: one warning line on stderr,
 * and the run goes on without it (reads and/or writes). Only an offline
 * replay, which has nothing else to answer from, fails on an unusable file.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { LLM, LLMMiddleware, LLMRequest, LLMResponse } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { llmError } from './errors.js';
import { scrubKnownSecrets } from './secrets.js';

export type CacheMode = 'read-write' | 'read-only' | 'off';

export const DEFAULT_CACHE_PATH = '.popbench/cache.sqlite';

/**
 * Fields that decide a response, with defaults filled in so that an omitted
 * field and its default share one entry. The call's role is not among them.
 * `endpoint` is where the calls go (the server URL, `LLM.endpoint`), or the
 * label a model's config gives in `cacheEndpoint` to share entries across
 * servers on purpose; null for in-process models.
 */
export function cacheKeyFields(provider: string, model: string, req: LLMRequest, endpoint?: string) {
  // Keys in sorted order (and sorted within each message), so JSON.stringify of
  // this object is its canonical JSON (core/hash.ts canonicalJson): cacheKey
  // skips the key sort on every call (llm/cache.test.ts holds the two equal).
  // Log-probability fields enter the key only when asked for, so other requests keep their keys.
  return {
    ...(req.echo ? { echo: true } : {}),
    endpoint: endpoint ?? null,
    ...(req.logprobs ? { logprobs: true } : {}),
    maxTokens: req.maxTokens ?? null,
    messages: req.messages.map((m) => ({ content: m.content, role: m.role })),
    model,
    n: req.n ?? 1,
    // only when set, so chat requests keep their keys
    ...(req.prompt !== undefined ? { prompt: req.prompt } : {}),
    provider,
    sampleIndex: req.sampleIndex ?? 0,
    seed: req.seed ?? null,
    stop: req.stop && req.stop.length > 0 ? req.stop : null,
    temperature: req.temperature ?? 0,
    ...(req.logprobs && req.topLogprobs !== undefined ? { topLogprobs: req.topLogprobs } : {}),
    topP: req.topP ?? null,
  };
}

/** sha256 of the canonical JSON of cacheKeyFields. */
export function cacheKey(provider: string, model: string, req: LLMRequest, endpoint?: string): string {
  return sha256(JSON.stringify(cacheKeyFields(provider, model, req, endpoint)));
}

interface Statement {
  get(...params: unknown[]): unknown;
  run(...params: unknown[]): unknown;
}
interface Db {
  exec(sql: string): void;
  prepare(sql: string): Statement;
  close(): void;
}

export interface CacheOpenOptions {
  /** Where the one-line warning about an unusable cache goes (default: stderr). */
  warn?: (line: string) => void;
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];

export class CallCache {
  private db: Db | undefined;
  private getStmt: Statement | undefined;
  private putStmt: Statement | undefined;
  private readonly warn: (line: string) => void;
  private warned = false;
  /** Replies stored but not yet committed, by key: [key, provider, model, request, response]. */
  private readonly pending = new Map<string, [string, string, string, string, string]>();
  private flushScheduled = false;
  /** Calls answered from the file / stored into it by this process. */
  readonly stats = { hits: 0, misses: 0, writes: 0 };

  private constructor(
    readonly path: string,
    readonly mode: CacheMode,
    opts: CacheOpenOptions = {},
  ) {
    this.warn = opts.warn ?? ((line) => process.stderr.write(`${line}\n`));
    if (mode === 'off') return;
    if (mode === 'read-only' && path !== ':memory:' && !existsSync(path))
      throw new UserError(`cache file not found for offline replay: ${path}`);
    if (mode === 'read-write' && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Db | undefined;
    try {
      db = new Database(path) as unknown as Db;
      db.exec('PRAGMA busy_timeout = 10000');
      if (mode === 'read-write') {
        db.exec('PRAGMA journal_mode = WAL');
        db.exec('PRAGMA synchronous = NORMAL');
        db.exec(
          'CREATE TABLE IF NOT EXISTS llm_calls (key TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL, request TEXT NOT NULL, response TEXT NOT NULL)',
        );
      }
      this.getStmt = db.prepare('SELECT response FROM llm_calls WHERE key = ?');
      this.putStmt = mode === 'read-write'
        ? db.prepare('INSERT OR REPLACE INTO llm_calls (key, provider, model, request, response) VALUES (?, ?, ?, ?, ?)')
        : undefined;
    } catch (err) {
      if (mode === 'read-only') throw new UserError(`cannot open call cache ${path}: ${firstLine(err)}`);
      this.disable(`cannot open it (${firstLine(err)})`, 'all');
      try {
        db?.close();
      } catch {
        // already unusable
      }
      return;
    }
    this.db = db;
  }

  /** Stop using the cache (reads and writes, or writes only) after a failure; warn once. */
  private disable(why: string, what: 'all' | 'writes'): void {
    if (what === 'all') {
      this.getStmt = undefined;
      this.putStmt = undefined;
    } else this.putStmt = undefined;
    if (this.warned) return;
    this.warned = true;
    this.warn(`popbench: warning: call cache ${this.path}: ${why}; continuing without ${what === 'all' ? 'the cache' : 'storing new replies'}`);
  }

  /** Open (creating if needed, unless read-only) the cache file. */
  static open(path: string = DEFAULT_CACHE_PATH, mode: CacheMode = 'read-write', opts: CacheOpenOptions = {}): CallCache {
    return new CallCache(path, mode, opts);
  }

  static off(): CallCache {
    return new CallCache('', 'off');
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  get(key: string): LLMResponse | undefined {
    if (!this.getStmt) return undefined;
    const waiting = this.pending.get(key);
    let row: { response: string } | undefined;
    try {
      row = waiting ? { response: waiting[4] } : (this.getStmt.get(key) as { response: string } | undefined);
    } catch (err) {
      if (this.mode === 'read-only') throw new UserError(`call cache ${this.path} cannot be read: ${firstLine(err)}`);
      this.disable(`cannot read it (${firstLine(err)})`, 'all');
      return undefined;
    }
    if (!row) return undefined;
    try {
      const v = JSON.parse(row.response) as LLMResponse;
      if (!v || !Array.isArray(v.choices)) throw new Error('not a response');
      return v;
    } catch {
      if (this.mode === 'read-only') throw new UserError(`corrupt entry ${key.slice(0, 12)} in call cache ${this.path}`);
      return undefined; // a corrupt entry is a miss; the fresh reply replaces it
    }
  }

  /**
   * Store a reply. Writes are committed together, one transaction per turn of
   * the event loop (setImmediate), instead of one commit per reply; until then
   * `get` answers from the replies waiting to be written. `flush` commits them now.
   */
  put(key: string, provider: string, model: string, req: LLMRequest, res: LLMResponse, endpoint?: string): void {
    if (!this.putStmt) return;
    const { cached: _cached, ...stored } = res;
    // Nothing a server echoed back (a key in any known form) is ever stored.
    const request = scrubKnownSecrets(JSON.stringify(cacheKeyFields(provider, model, req, endpoint)));
    const response = scrubKnownSecrets(JSON.stringify(stored));
    this.pending.set(key, [key, provider, model, request, response]);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Commit the replies waiting to be written (one transaction). */
  flush(): void {
    this.flushScheduled = false;
    if (this.pending.size === 0) return;
    const rows = [...this.pending.values()];
    this.pending.clear();
    if (!this.putStmt || !this.db) return;
    try {
      this.db.exec('BEGIN');
      for (const row of rows) this.putStmt.run(...row);
      this.db.exec('COMMIT');
      this.stats.writes += rows.length;
    } catch (err) {
      try {
        this.db.exec('ROLLBACK');
      } catch {
        // no transaction left to roll back
      }
      // The replies themselves are fine: they were returned; only storing them failed.
      this.disable(`cannot write to it (${firstLine(err)})`, 'writes');
    }
  }

  /** Number of stored entries. */
  size(): number {
    this.flush();
    if (!this.db || !this.getStmt) return 0;
    return (this.db.prepare('SELECT COUNT(*) AS n FROM llm_calls').get() as { n: number }).n;
  }

  close(): void {
    this.flush();
    try {
      this.db?.close();
    } catch {
      // closing an unusable file: nothing to keep
    }
  }
}

/**
 * Calls in flight in this process, by cache key: identical requests made at
 * the same time by any LLM of the process (several cells of a suite run at
 * once, several candidates scored at once) share one provider call.
 */
const inFlight = new Map<string, Promise<LLMResponse>>();

/**
 * Serve repeated requests from the cache; store fresh successful replies.
 * Concurrent identical requests share one provider call, process-wide.
 * `endpoint` replaces the LLM's own endpoint in the key (config `cacheEndpoint`).
 */
export function cacheMiddleware(cache: CallCache, opts: { endpoint?: string } = {}): LLMMiddleware {
  return (next: LLM): LLM => {
    if (!cache.enabled) return next;
    const endpoint = opts.endpoint ?? next.endpoint;
    return {
      provider: next.provider,
      model: next.model,
      ...(next.endpoint !== undefined ? { endpoint: next.endpoint } : {}),
      async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
        const key = cacheKey(next.provider, next.model, req, endpoint);
        const hit = cache.get(key);
        if (hit) {
          cache.stats.hits++;
          return { ...hit, cached: true };
        }
        const pending = inFlight.get(key);
        if (pending) {
          cache.stats.hits++;
          return { ...(await pending), cached: true };
        }
        cache.stats.misses++;
        if (cache.mode === 'read-only')
          throw llmError(`cache miss in offline replay: ${next.provider} ${next.model} (key ${key.slice(0, 12)}) is not in ${cache.path}`);
        const call = next.complete(req, signal).then((res) => {
          cache.put(key, next.provider, next.model, req, res, endpoint);
          return res;
        });
        inFlight.set(key, call);
        try {
          return await call;
        } finally {
          inFlight.delete(key);
        }
      },
    };
  };
}
