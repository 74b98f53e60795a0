/**
 * One reading of HTTP replies for every provider that speaks the chat
 * completion format (the `openai` and `@huggingface/inference` packages are
 * given `checkedFetch` as their fetch). Servers report errors in many shapes:
 *   OpenAI     {"error": {"message", "type", "code"}}
 *   vLLM       {"object": "error", "message", "type", "code": 400}
 *   TGI / HF   {"error": "...", "error_type": "..."}
 *   FastAPI    {"detail": "..."} or {"detail": [{"msg": "..."}]}
 *   anything   plain text or HTML
 * and some send an error object with HTTP 200. All of them become one
 * LLMError carrying the server's own message, classified by status (from the
 * HTTP reply, or the body's numeric code when the HTTP status says 200):
 * 408/409/429/5xx retryable, other 4xx final; an exhausted quota or bad key
 * is final and `fatal` (no later call to the endpoint can succeed).
 * A 2xx body that is not JSON (cut off, garbled) is retryable.
 */
import { LLMError } from '../../core/errors.js';
import { isRetryableStatus, llmError, parseRetryAfter } from '../errors.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The error object inside a 2xx body, when the body is one. */
export function embeddedError(body: unknown): Record<string, unknown> | undefined {
  if (!isObject(body) || Array.isArray(body.choices)) return undefined;
  if (body.object === 'error') return body;
  if (body.error !== undefined && body.error !== null) return body;
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** The server's message, code and status from an error body of any known shape. */
export function readErrorBody(body: unknown): { message?: string; code?: string; status?: number } {
  if (typeof body === 'string') return { message: str(body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)) };
  if (!isObject(body)) return {};
  const inner = isObject(body.error) ? body.error : undefined;
  let message = str(inner?.message) ?? str(body.error) ?? str(body.message) ?? str(body.detail);
  if (!message && Array.isArray(body.detail)) message = body.detail.map((d) => (isObject(d) ? str(d.msg) : str(d))).filter(Boolean).join('; ') || undefined;
  const codeOf = (v: unknown) => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
  const code = codeOf(inner?.code) ?? codeOf(inner?.type) ?? codeOf(body.code) ?? codeOf(body.type) ?? codeOf(body.error_type);
  const statusOf = (v: unknown) => {
    const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : NaN;
    return n >= 400 && n <= 599 ? n : undefined;
  };
  const status = statusOf(inner?.code) ?? statusOf(body.code) ?? statusOf(inner?.status) ?? statusOf(body.status);
  return { message, code, status };
}

/** Quota and billing refusals: a 429 that waiting does not cure. */
const QUOTA = /insufficient_quota|exceeded your current quota|quota exceeded|billing|credit balance|out of credits|payment required/i;

/**
 * The LLMError for an error reply. `httpStatus` is the HTTP status (undefined
 * for an error object inside a 2xx reply, where the body's code gives it).
 */
export function errorFromBody(where: string, httpStatus: number | undefined, body: unknown, headers: { get(name: string): string | null | undefined } | undefined): LLMError {
  const { message, code, status: bodyStatus } = readErrorBody(body);
  const status = httpStatus !== undefined && httpStatus >= 400 ? httpStatus : bodyStatus;
  const quota = QUOTA.test(`${code ?? ''} ${message ?? ''}`) || status === 402;
  const fatal = quota || status === 401 || status === 403;
  const retryable = !fatal && (status === undefined ? false : isRetryableStatus(status));
  const what = message ?? (status !== undefined ? 'no message' : 'error reply without a message');
  const codePart = code && !/^\d+$/.test(code) && !what.includes(code) ? ` (${code})` : '';
  const statusPart = status !== undefined ? `HTTP ${status}` : 'error reply';
  const embedded = httpStatus === undefined || httpStatus < 400 ? ' in a 200 reply' : '';
  return llmError(`${where}: ${statusPart}${embedded}: ${what}${codePart}`, status, retryable, retryable ? parseRetryAfter(headers) : undefined, fatal);
}

/**
 * A fetch for the provider packages that reads each reply itself: an error
 * reply (HTTP or embedded) or a 2xx body that is not JSON throws the LLMError
 * above; a good reply is handed on unchanged. The LLMError it raised is also
 * put in `slot`, since packages wrap what fetch throws (see withCheckedFetch).
 */
export function checkedFetch(where: string, base: typeof fetch = fetch, slot?: { error?: LLMError }): typeof fetch {
  return async (input, init) => {
    try {
      return await readReply(where, await base(input, init));
    } catch (err) {
      if (slot && err instanceof LLMError) slot.error = err;
      throw err;
    }
  };
}

/**
 * Run one provider call with a checked fetch of its own; when the call
 * throws, the LLMError that fetch raised (if any) replaces whatever the
 * package made of it (openai: APIConnectionError; HF: its own error types).
 */
export async function withCheckedFetch<T>(where: string, call: (fetcher: typeof fetch) => Promise<T>, base: typeof fetch = fetch): Promise<T> {
  const slot: { error?: LLMError } = {};
  try {
    return await call(checkedFetch(where, base, slot));
  } catch (err) {
    throw slot.error ?? err;
  }
}

/** Header lookup by lower-case name (a fetch Headers, or a plain object adapted). */
export interface HeaderLookup {
  get(name: string): string | null | undefined;
}

/**
 * Read a whole reply: its parsed JSON body when it is a good one; otherwise
 * the LLMError for it (an HTTP error of any shape, an error object inside a
 * 2xx reply, or a 2xx body that is not JSON, which is retryable).
 */
export function readReplyText(where: string, status: number, text: string, headers: HeaderLookup | undefined): unknown {
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  const ok = status >= 200 && status < 300;
  if (!ok) throw errorFromBody(where, status, body, headers);
  if (typeof body === 'string') throw llmError(`${where}: malformed reply (not JSON): ${text.slice(0, 120)}`, undefined, true);
  if (embeddedError(body)) throw errorFromBody(where, undefined, body, headers);
  return body;
}

async function readReply(where: string, res: Response): Promise<Response> {
  const text = await res.text();
  readReplyText(where, res.status, text, res.headers);
  const headers = new Headers(res.headers);
  headers.delete('content-encoding');
  headers.delete('content-length');
  return new Response(text, { status: res.status, statusText: res.statusText, headers });
}
