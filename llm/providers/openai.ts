/**
 * OpenAI-compatible chat completions provider (raw `/v1/completions` for requests with `prompt`) (OpenAI, vLLM, Ollama,
 * llama.cpp server, popbench serve-sim) through the `openai` package.
 * The package's own retries and timeout are switched off: retry and timeout
 * are middleware (llm/retry.ts, llm/timeout.ts).
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type { LLM, LLMRequest, LLMResponse } from '../../core/types.js';
import { LLMError } from '../../core/errors.js';
import { errorText, isRetryableStatus, llmError, parseRetryAfter } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { fromChatBody, fromCompletionBody, toChatBody, toCompletionBody } from './chat.js';
import { checkedFetch, withCheckedFetch } from './http.js';

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
}

/** The OpenAI API, where requests go when no baseURL is given. */
export const OPENAI_API_URL = 'https://api.openai.com/v1';

/** Longest timeout the package accepts without overflowing Node timers; the real one is middleware. */
const NO_TIMEOUT_MS = 2_147_483_647;

export function openaiProvider(opts: OpenAIProviderOptions): LLM {
  registerSecret(opts.apiKey);
  const where = `openai ${opts.model}`;
  const client = new OpenAI({
    apiKey: opts.apiKey ?? 'keyless',
    baseURL: opts.baseURL,
    maxRetries: 0,
    timeout: NO_TIMEOUT_MS,
    // Keyless: the package insists on a key; make sure none goes out.
    defaultHeaders: { ...opts.headers, ...(opts.apiKey ? {} : { Authorization: null }) } as Record<string, string>,
    fetch: checkedFetch(where),
  });
  const endpoint = (opts.baseURL ?? OPENAI_API_URL).replace(/\/+$/, '');
  return {
    provider: 'openai',
    model: opts.model,
    endpoint,
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      let raw: unknown;
      try {
        // `as never`: the body is a plain (chat) completion request; extra fields stay typed in chat.ts.
        const opt = { maxTokensField: opts.maxTokensField };
        if (req.prompt !== undefined) raw = await withCheckedFetch(() => client.completions.create(toCompletionBody(opts.model, req, opt) as never, { signal }));
        else raw = await withCheckedFetch(() => client.chat.completions.create(toChatBody(opts.model, req, opt) as never, { signal }));
      } catch (err) {
        throw classifyOpenAIError(err, where);
      }
      return req.prompt !== undefined ? fromCompletionBody(raw, opts.model, where, req) : fromChatBody(raw, opts.model, where, req);
    },
  };
}

/** Turn anything the openai package throws into an LLMError saying whether to retry. */
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
