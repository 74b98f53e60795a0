/**
 * Text-embedding models behind the `Embedder` interface (core/types.ts):
 * OpenAI-compatible `POST /embeddings` (OpenAI, vLLM, Ollama, llama.cpp,
 * text-embeddings-inference's OpenAI route), through the `openai` package.
 * Used by optimizers that compare texts (GPO's relevance retrieval); without
 * one they fall back to their offline measure. Embedding calls are not part of
 * the target/optimizer budgets.
 */
import OpenAI from 'openai';
import { UserError } from '../core/errors.js';
import type { Embedder } from '../core/types.js';
import { llmError } from './errors.js';
import { defaultConfig, type PopbenchConfig } from './config.js';
import { classifyOpenAIError, type OpenAIProviderOptions } from './providers/openai.js';
import { apiKeyFor, lookupModel, type Env } from './registry.js';
import { registerSecret } from './secrets.js';

/**
 * An OpenAI-compatible embedding model. `embed(texts)` sends one request with
 * every text as `input` and returns the vectors in input order (the reply's
 * `index` decides the order). Errors: LLMError naming the model (HTTP status,
 * malformed reply: missing data, wrong count, non-numeric vector).
 */
export function openaiEmbeddings(opts: OpenAIProviderOptions): Embedder {
  registerSecret(opts.apiKey);
  const client = new OpenAI({ apiKey: opts.apiKey ?? 'keyless', baseURL: opts.baseURL, maxRetries: 2, defaultHeaders: opts.headers });
  const where = `embeddings ${opts.model}`;
  return {
    model: opts.model,
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      let raw: unknown;
      try {
        raw = await client.embeddings.create({ model: opts.model, input: [...texts], encoding_format: 'float' }, { signal });
      } catch (err) {
        throw classifyOpenAIError(err, where);
      }
      const data = (raw as { data?: unknown })?.data;
      if (!Array.isArray(data) || data.length !== texts.length)
        throw llmError(`${where}: malformed reply: expected ${texts.length} embeddings, got ${Array.isArray(data) ? data.length : 'none'}`);
      const out: number[][] = new Array(texts.length);
      data.forEach((d: { index?: unknown; embedding?: unknown }, i) => {
        const at = typeof d?.index === 'number' ? d.index : i;
        if (!Array.isArray(d?.embedding) || !d.embedding.every((x) => typeof x === 'number'))
          throw llmError(`${where}: malformed reply: data[${i}].embedding is not a list of numbers`);
        out[at] = d.embedding as number[];
      });
      if (out.some((v) => v === undefined)) throw llmError(`${where}: malformed reply: embedding indices do not cover the input`);
      return out;
    },
  };
}

/** Resolve a model name (config entry or `openai:<model>`) to an embedder; only OpenAI-compatible models embed. */
export function resolveEmbedder(name: string, opts: { config?: PopbenchConfig; env?: Env } = {}): Embedder {
  const env = opts.env ?? process.env;
  const spec = lookupModel(name, opts.config ?? defaultConfig(), env);
  if (spec.provider !== 'openai')
    throw new UserError(`embedding model "${name}": provider ${spec.provider} has no /embeddings endpoint; use an OpenAI-compatible model (provider openai)`);
  return openaiEmbeddings({ model: spec.model, baseURL: spec.baseURL, apiKey: apiKeyFor(spec, env) });
}
