/**
 * OpenAI-compatible chat completions provider (raw `/v1/completions` for
 * requests with `prompt`) (OpenAI, vLLM, Ollama, llama.cpp server, SGLang,
 * popbench serve-sim), spoken directly over HTTP with an `undici` connection
 * pool: one pool per provider, as many keep-alive connections as the
 * endpoint's configured concurrency. popbench builds the request body
 * (llm/providers/chat.ts) and reads every reply itself (llm/providers/http.ts),
 * so no client package sits between; retry and timeout are middleware
 * (llm/retry.ts, llm/timeout.ts).
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { Pool } from 'undici';
import type { LLM, LLMRequest, LLMResponse } from '../../core/types.js';
import { LLMError } from '../../core/errors.js';
import { errorText, isRetryableStatus, llmError, parseRetryAfter } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { fromChatBody, fromCompletionBody, toChatBody, toCompletionBody } from './chat.js';
import { readReplyText } from './http.js';

export interface OpenAIProviderOptions {
  /** Model id sent to the server. */
  model: string;
  /** Server root including /v1, e.g. http://127.0.0.1:8000/v1. Default: the OpenAI API. */
  baseURL?: string;
  /** API key; omit for keyless servers (then no Authorization header is sent at all). */
  apiKey?: string;
  /** Extra request headers (never stored anywhere). */
  headers?: Record<string, string>;
  /** Request field for the answer length: max_tokens (default) or max_completion_tokens (OpenAI o-series, GPT-5). */
  maxTokensField?: 'max_tokens' | 'max_completion_tokens';
  /**
   * Keep-alive connections to the server: its configured concurrency (the
   * registry passes the model's `concurrency`). Default: as many as calls in flight.
   */
  connections?: number;
}

/** The OpenAI API, where requests go when no baseURL is given. */
export const OPENAI_API_URL = 'https://api.openai.com/v1';

/** Idle keep-alive connections are closed after this long (servers often close theirs after 5 s). */
const KEEP_ALIVE_MS = 4_000;

export function openaiProvider(opts: OpenAIProviderOptions): LLM {
  registerSecret(opts.apiKey);
  const where = `openai ${opts.model}`;
  const endpoint = (opts.baseURL ?? OPENAI_API_URL).replace(/\/+$/, '');
  let base: URL;
  try {
    base = new URL(endpoint);
  } catch {
    throw llmError(`${where}: base URL is not a URL: ${endpoint}`);
  }
  const pathOf = (route: string) => `${base.pathname.replace(/\/+$/, '')}/${route}${base.search}`;
  const chatPath = pathOf('chat/completions');
  const completionPath = pathOf('completions');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'user-agent': 'popbench',
    ...Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    // Keyless: no Authorization header at all.
    ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
  };
  let pool: Pool | undefined;
  const getPool = () =>
    (pool ??= new Pool(base.origin, {
      connections: opts.connections ?? null,
      keepAliveTimeout: KEEP_ALIVE_MS,
      keepAliveMaxTimeout: KEEP_ALIVE_MS,
      // No timeouts of the pool's own: the per-attempt timeout is middleware (it aborts the signal).
      headersTimeout: 0,
      bodyTimeout: 0,
    }));
  const opt = { maxTokensField: opts.maxTokensField };
  return {
    provider: 'openai',
    model: opts.model,
    endpoint,
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      const raw = req.prompt !== undefined;
      const body = JSON.stringify(raw ? toCompletionBody(opts.model, req, opt) : toChatBody(opts.model, req, opt));
      let status: number;
      let text: string;
      let replyHeaders: Record<string, string | string[] | undefined>;
      try {
        if (signal?.aborted) throw signal.reason ?? new Error('aborted');
        const res = await getPool().request({ method: 'POST', path: raw ? completionPath : chatPath, headers, body, signal });
        status = res.statusCode;
        replyHeaders = res.headers;
        text = await res.body.text();
      } catch (err) {
        if (signal?.aborted) throw llmError(`${where}: request aborted`, undefined, false);
        throw llmError(`${where}: connection error: ${connectionText(err)}`, undefined, true);
      }
      const parsed = readReplyText(where, status, text, {
        get: (name: string) => {
          const v = replyHeaders[name];
          return Array.isArray(v) ? v[0] : v;
        },
      });
      return raw ? fromCompletionBody(parsed, opts.model, where, req) : fromChatBody(parsed, opts.model, where, req);
    },
  };
}

/** What went wrong on the wire: the error code (ECONNREFUSED, UND_ERR_SOCKET, ...) and message. */
function connectionText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const cause = (err as { cause?: unknown } | null)?.cause;
  const msg = errorText(err);
  const causeText = cause instanceof Error ? `: ${errorText(cause)}` : '';
  return typeof code === 'string' && !msg.includes(code) ? `${code} ${msg}${causeText}` : `${msg}${causeText}`;
}

/**
 * Turn anything the `openai` package throws into an LLMError saying whether
 * to retry (for callers that use the package: embeddings).
 */
export function classifyOpenAIError(err: unknown, where: string): LLMError {
  if (err instanceof LLMError) return err;
  if (err instanceof APIUserAbortError) return llmError(`${where}: request aborted`, undefined, false);
  if (err instanceof APIConnectionTimeoutError) return llmError(`${where}: request timed out`, undefined, true);
  if (err instanceof APIConnectionError) return llmError(`${where}: connection error: ${errorText(err.cause ?? err)}`, undefined, true);
  if (err instanceof APIError) {
    const status = err.status;
    const retryable = isRetryableStatus(status);
    const retryAfterMs = parseRetryAfter(err.headers);
    return llmError(`${where}: HTTP ${status ?? '?'}: ${errorText(err)}`, status, retryable, retryAfterMs);
  }
  // A reply cut off or garbled in transit is worth another attempt; the retry layer bounds how many.
  if (err instanceof SyntaxError) return llmError(`${where}: malformed JSON in reply: ${errorText(err)}`, undefined, true);
  if ((err as { name?: string } | null)?.name === 'AbortError') return llmError(`${where}: request aborted`, undefined, false);
  return llmError(`${where}: ${errorText(err)}`, undefined, false);
}
