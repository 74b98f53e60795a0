/**
 * Hugging Face provider: `@huggingface/inference` chat completion against a
 * Hub model id (Inference Providers router) or a dedicated `endpointUrl`
 * (Inference Endpoints, TGI, any OpenAI-compatible server).
 * The library's own 503 retry is off; retries are middleware.
 */
import { InferenceClient, InferenceClientProviderApiError, InferenceClientProviderOutputError } from '@huggingface/inference';
import type { LLM, LLMRequest, LLMResponse } from '../../core/types.js';
import { LLMError } from '../../core/errors.js';
import { errorText, isRetryableStatus, llmError, parseRetryAfter } from '../errors.js';
import { registerSecret } from '../secrets.js';
import { fromChatBody, toChatBody } from './chat.js';
import { withCheckedFetch } from './http.js';

/** The part of InferenceClient this provider uses (injectable for tests). */
export interface HFChatClient {
  chatCompletion(args: Record<string, unknown>, options?: Record<string, unknown>): Promise<unknown>;
}

export interface HFProviderOptions {
  /** Hub model id, e.g. meta-llama/Llama-3.1-8B-Instruct. */
  model: string;
  /** Dedicated endpoint URL; when set, requests go there instead of the router. */
  endpointUrl?: string;
  /** Access token (HF_TOKEN). Optional for local endpoints. */
  accessToken?: string;
  /** Replace the real client (tests). */
  client?: HFChatClient;
}

/** Where Hub model ids are served when no endpointUrl is given. */
export const HF_ROUTER_URL = 'https://router.huggingface.co';

export function hfProvider(opts: HFProviderOptions): LLM {
  registerSecret(opts.accessToken);
  const client: HFChatClient =
    opts.client ?? (new InferenceClient(opts.accessToken) as unknown as HFChatClient);
  const where = `hf ${opts.model}`;
  return {
    provider: 'hf',
    model: opts.model,
    endpoint: (opts.endpointUrl ?? HF_ROUTER_URL).replace(/\/+$/, ''),
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      if (req.prompt !== undefined) throw llmError(`hf ${opts.model}: raw completions (prompt) are not supported by this provider; use an OpenAI-compatible endpoint`, undefined, false);
      const { model: _model, ...body } = toChatBody(opts.model, req);
      const args: Record<string, unknown> = { ...body, model: opts.model };
      if (opts.endpointUrl) args.endpointUrl = opts.endpointUrl;
      let raw: unknown;
      try {
        // Same reading of replies as the OpenAI provider: server messages, embedded errors, garbled bodies.
        raw = await withCheckedFetch(where, (fetcher) => client.chatCompletion(args, { signal, retry_on_error: false, fetch: fetcher }));
      } catch (err) {
        throw classifyHFError(err, where);
      }
      return fromChatBody(raw, opts.model, where, req);
    },
  };
}

export function classifyHFError(err: unknown, where: string, headers?: Headers): LLMError {
  if (err instanceof LLMError) return err;
  if (err instanceof InferenceClientProviderApiError) {
    const status = err.httpResponse.status;
    return llmError(`${where}: HTTP ${status}: ${errorText(err)}`, status, isRetryableStatus(status), parseRetryAfter(headers));
  }
  // A reply the package could not read (cut off, garbled): worth another attempt, as for the OpenAI provider.
  if (err instanceof InferenceClientProviderOutputError) return llmError(`${where}: malformed reply: ${errorText(err)}`, undefined, true);
  const name = (err as { name?: string } | null)?.name;
  if (name === 'AbortError') return llmError(`${where}: request aborted`);
  if (err instanceof SyntaxError) return llmError(`${where}: malformed JSON in reply: ${errorText(err)}`, undefined, true);
  // fetch() rejects with a TypeError on network failure.
  if (err instanceof TypeError) return llmError(`${where}: connection error: ${errorText((err as { cause?: unknown }).cause ?? err)}`, undefined, true);
  return llmError(`${where}: ${errorText(err)}`);
}
