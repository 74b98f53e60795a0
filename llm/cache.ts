/**
 * The call cache: an SQLite file (libsql, WAL journal) mapping the sha256 of
 * a request's canonical JSON to the provider's response. A run can be
 * replayed from this file alone (`offline`: read-only, a miss is an error).
 * Errors are never stored; neither are request headers or keys.
 */
import { mkdirSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { LLM, LLMMiddleware, LLMRequest, LLMResponse } from '../core/types.js';
import { UserError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { llmError } from './errors.js';

export type CacheMode = 'read-write' | 'read-only' | 'off';

export const DEFAULT_CACHE_PATH = '.popbench/cache.sqlite';

/**
 * Fields that decide a response, with defaults filled in so that an omitted
 * field and its default share one entry. The call's role is not among them.
 */
export function cacheKeyFields(provider: string, model: string, req: LLMRequest) {
  return {
    provider,
    model,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: req.temperature ?? 0,
    topP: req.topP ?? null,
    maxTokens: req.maxTokens ?? null,
    stop: req.stop && req.stop.length > 0 ? req.stop : null,
    n: req.n ?? 1,
    seed: req.seed ?? null,
    sampleIndex: req.sampleIndex ?? 0,
    // only when set, so chat requests keep their keys
    ...(req.prompt !== undefined ? { prompt: req.prompt } : {}),
  };
}

export function cacheKey(provider: string, model: string, req: LLMRequest): string {
  return sha256(cacheKeyFields(provider, model, req));
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

export class CallCache {
  private readonly db: Db | undefined;
  private readonly getStmt: Statement | undefined;
  private readonly putStmt: Statement | undefined;
  /** Calls answered from the file / stored into it by this process. */
  readonly stats = { hits: 0, misses: 0, writes: 0 };

  private constructor(
    readonly path: string,
    readonly mode: CacheMode,
  ) {
    if (mode === 'off') return;
    if (mode === 'read-only' && path !== ':memory:' && !existsSync(path))
      throw new UserError(`cache file not found for offline replay: ${path}`);
    if (mode === 'read-write' && path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Db;
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
      throw new UserError(`cannot open call cache ${path}: ${(err as Error).message}`);
    }
    this.db = db;
  }

  /** Open (creating if needed, unless read-only) the cache file. */
  static open(path: string = DEFAULT_CACHE_PATH, mode: CacheMode = 'read-write'): CallCache {
    return new CallCache(path, mode);
  }

  static off(): CallCache {
    return new CallCache('', 'off');
  }

  get enabled(): boolean {
    return this.mode !== 'off';
  }

  get(key: string): LLMResponse | undefined {
    if (!this.getStmt) return undefined;
    const row = this.getStmt.get(key) as { response: string } | undefined;
    if (!row) return undefined;
    try {
      return JSON.parse(row.response) as LLMResponse;
    } catch {
      throw new UserError(`corrupt entry ${key.slice(0, 12)} in call cache ${this.path}`);
    }
  }

  put(key: string, provider: string, model: string, req: LLMRequest, res: LLMResponse): void {
    if (!this.putStmt) return;
    const { cached: _cached, ...stored } = res;
    const request = JSON.stringify(cacheKeyFields(provider, model, req));
    this.putStmt.run(key, provider, model, request, JSON.stringify(stored));
    this.stats.writes++;
  }

  /** Number of stored entries. */
  size(): number {
    if (!this.db) return 0;
    return (this.db.prepare('SELECT COUNT(*) AS n FROM llm_calls').get() as { n: number }).n;
  }

  close(): void {
    this.db?.close();
  }
}

/**
 * Serve repeated requests from the cache; store fresh successful replies.
 * Concurrent identical requests share one provider call.
 */
export function cacheMiddleware(cache: CallCache): LLMMiddleware {
  return (next: LLM): LLM => {
    if (!cache.enabled) return next;
    const inFlight = new Map<string, Promise<LLMResponse>>();
    return {
      provider: next.provider,
      model: next.model,
      async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
        const key = cacheKey(next.provider, next.model, req);
        const hit = cache.get(key);
        if (hit) {
          cache.stats.hits++;
          return { ...hit, cached: true };
        }
        const pending = inFlight.get(key);
        if (pending) return { ...(await pending), cached: true };
        cache.stats.misses++;
        if (cache.mode === 'read-only')
          throw llmError(`cache miss in offline replay: ${next.provider} ${next.model} (key ${key.slice(0, 12)}) is not in ${cache.path}`);
        const call = next.complete(req, signal).then((res) => {
          cache.put(key, next.provider, next.model, req, res);
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
