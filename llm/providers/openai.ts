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

export interface OpenAIProviderOptions {
  /** Model id sent to the server. */
  model: string;
  /** Server root including /v1, e.g. http://127.0.0.1:8000/v1. Default: the OpenAI API. */
  baseURL?: string;
  /** API key; omit only for keyless local servers. */
  apiKey?: string;
  /** Extra request headers (never stored anywhere). */
  headers?: Record<string, string>;
}

/** Longest timeout the package accepts without overflowing Node timers; the real one is middleware. */
const NO_TIMEOUT_MS = 2_147_483_647;

export function openaiProvider(opts: OpenAIProviderOptions): LLM {
  registerSecret(opts.apiKey);
  const client = new OpenAI({
    apiKey: opts.apiKey ?? 'keyless',
    baseURL: opts.baseURL,
    maxRetries: 0,
    timeout: NO_TIMEOUT_MS,
    defaultHeaders: opts.headers,
  });
  const where = `openai ${opts.model}`;
  return {
    provider: 'openai',
    model: opts.model,
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      let raw: unknown;
      try {
        // `as never`: the body is a plain (chat) completion request; extra fields stay typed in chat.ts.
        if (req.prompt !== undefined) raw = await client.completions.create(toCompletionBody(opts.model, req) as never, { signal });
        else raw = await client.chat.completions.create(toChatBody(opts.model, req) as never, { signal });
      } catch (err) {
        throw classifyOpenAIError(err, where);
      }
      return req.prompt !== undefined ? fromCompletionBody(raw, opts.model, where) : fromChatBody(raw, opts.model, where);
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
