import { LLMError } from '../core/errors.js';
import { scrubSecrets } from './secrets.js';

/**
 * HTTP statuses worth another attempt: request timeout, conflict, rate limit
 * and server errors. Every other 4xx is final.
 */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true; // no status = network trouble
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

interface HeaderSource {
  get(name: string): string | null | undefined;
}

/**
 * Server's requested wait in ms from `retry-after-ms`, or `retry-after`
 * (delta-seconds or an HTTP date). Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: HeaderSource | undefined | null, now: number = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = headers.get('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return v;
  }
  const ra = headers.get('retry-after');
  if (ra == null || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? secs * 1000 : undefined;
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** An LLMError with its message cleaned of secrets and squeezed onto one line. */
export function llmError(message: string, status?: number, retryable = false, retryAfterMs?: number, fatal = false): LLMError {
  return new LLMError(oneLine(scrubSecrets(message)), status, retryable, retryAfterMs, fatal);
}

export function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Errors a caller caused by aborting the call; never retried. */
export function isAbortError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return name === 'AbortError' || name === 'APIUserAbortError';
}

/** The message of any thrown value, secrets removed. */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return oneLine(scrubSecrets(msg));
}
