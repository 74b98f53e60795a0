/**
 * Mapping between popbench requests/responses and the OpenAI-style chat
 * completion wire format, shared by the OpenAI-compatible and Hugging Face
 * providers (both speak it).
 */
import type { LLMChoice, LLMRequest, LLMResponse, TokenLogprob, Usage } from '../../core/types.js';
import { llmError } from '../errors.js';
import { scrubKnownSecrets } from '../secrets.js';
import { embeddedError, errorFromBody } from './http.js';

/** Per-choice keys a server may send beside the message that popbench keeps as annotations. */
export const ANNOTATION_KEYS = ['popbench', 'sim'] as const;

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  temperature: number;
  top_p?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string[];
  n?: number;
  seed?: number;
  /** Chat: true; raw completions: the number of alternatives per token (0 = the chosen token only). */
  logprobs?: boolean | number;
  top_logprobs?: number;
  echo?: boolean;
}

export function toChatBody(model: string, req: LLMRequest, opts: { maxTokensField?: 'max_tokens' | 'max_completion_tokens' } = {}): ChatBody {
  const body: ChatBody = {
    model,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: req.temperature ?? 0,
  };
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.maxTokens !== undefined) body[opts.maxTokensField ?? 'max_tokens'] = req.maxTokens;
  if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
  if (req.n !== undefined && req.n !== 1) body.n = req.n;
  // Repeated samples of one request (sampleIndex > 0) go out with seed = sampleIndex
  // when no seed is set: servers that honour `seed` (vLLM, OpenAI, serve-sim) then
  // give each sample its own reproducible draw instead of the same one.
  if (req.seed !== undefined) body.seed = req.seed;
  else if ((req.sampleIndex ?? 0) > 0) body.seed = req.sampleIndex;
  if (req.logprobs) {
    body.logprobs = true;
    if (req.topLogprobs !== undefined) body.top_logprobs = req.topLogprobs;
  }
  return body;
}

/** The OpenAI-style raw completion body (`POST /v1/completions`) for a request with `prompt`. */
export function toCompletionBody(
  model: string,
  req: LLMRequest,
  opts: { maxTokensField?: 'max_tokens' | 'max_completion_tokens' } = {},
): Omit<ChatBody, 'messages'> & { prompt: string } {
  const { messages: _m, logprobs: _l, top_logprobs: _t, ...rest } = toChatBody(model, req, opts);
  return {
    ...rest,
    prompt: req.prompt ?? '',
    // The completions API's `logprobs` is the number of alternatives per token (0: the chosen one only).
    ...(req.logprobs ? { logprobs: req.topLogprobs ?? 0 } : {}),
    ...(req.echo ? { echo: true } : {}),
  };
}

/** Check and convert a raw completion reply (choices[i].text) into the chat-reply shape, then read it as one. */
export function fromCompletionBody(raw: unknown, model: string, where: string, req?: LLMRequest): LLMResponse {
  if (isObject(raw) && Array.isArray(raw.choices))
    raw = {
      ...raw,
      choices: raw.choices.map((c, i) => {
        if (!isObject(c)) throw llmError(`${where}: malformed reply: choices[${i}] is not an object`);
        if (c.text !== undefined && c.text !== null && typeof c.text !== 'string') throw llmError(`${where}: malformed reply: choices[${i}].text is not text`);
        const { text, ...rest } = c;
        return { ...rest, message: { role: 'assistant', content: text ?? '' } };
      }),
    };
  return fromChatBody(raw, model, where, req);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Part types that carry a reasoning model's thinking rather than its answer. */
const REASONING_PART = /^(thinking|reasoning|redacted_thinking|reasoning_content)$/;

/**
 * The answer text and reasoning text of a reply message. `content` may be a
 * string, null, or an array of typed parts (`{type:"text",text}`,
 * `{type:"thinking",thinking}`, ...); reasoning may also come as
 * `reasoning_content` (vLLM, DeepSeek, llama.cpp) or `reasoning` (Ollama, OpenRouter).
 * Returns null when `content` has a shape no server sends.
 */
export function messageText(message: Record<string, unknown>): { text: string; reasoning: string } | null {
  const reasoning: string[] = [];
  for (const key of ['reasoning_content', 'reasoning']) {
    const r = message[key];
    if (typeof r === 'string' && r !== '') reasoning.push(r);
  }
  const content = message.content;
  let text: string;
  if (content === null || content === undefined) text = '';
  else if (typeof content === 'string') text = content;
  else if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const part of content) {
      if (typeof part === 'string') {
        parts.push(part);
        continue;
      }
      if (!isObject(part)) return null;
      const type = typeof part.type === 'string' ? part.type : 'text';
      const value = [part.text, part[type], part.thinking, part.reasoning].find((v) => typeof v === 'string') as string | undefined;
      if (value === undefined) continue; // images, tool calls, signatures: no text
      if (REASONING_PART.test(type)) reasoning.push(value);
      else parts.push(value);
    }
    text = parts.join('');
  } else return null;
  return { text, reasoning: reasoning.join('\n') };
}

/**
 * popbench's token estimate for a server that sends no usage: ⌈characters / 4⌉
 * per text plus 4 per message for the chat template (OpenAI's rule of thumb for
 * English; no tokenizer is right for every model a server may run). Reasoning
 * text counts as completion.
 */
export function estimateUsage(req: LLMRequest, choices: readonly LLMChoice[]): Usage {
  const tokens = (s: string) => Math.ceil(s.length / 4);
  const promptTokens = req.prompt !== undefined ? tokens(req.prompt) : req.messages.reduce((a, m) => a + tokens(m.content) + 4, 0);
  const completionTokens = choices.reduce((a, c) => a + tokens(c.text) + tokens(c.reasoning ?? ''), 0);
  return { promptTokens, completionTokens: Math.max(completionTokens, choices.length) };
}

const numberOrNull = (v: unknown): number | null | undefined => (v === null ? null : typeof v === 'number' ? v : undefined);

/**
 * Token log-probabilities in either wire shape, or null for a shape no server sends:
 *   chat         { content: [{ token, logprob, top_logprobs: [{ token, logprob }] }] }
 *   completions  { tokens: [...], token_logprobs: [...], top_logprobs: [{ token: logprob }], text_offset: [...] }
 * Values are kept as given (servers floor impossible tokens at e.g. -9999); a null logprob stays null.
 */
export function readLogprobs(raw: unknown): TokenLogprob[] | null {
  if (!isObject(raw)) return null;
  if (Array.isArray(raw.content)) {
    const out: TokenLogprob[] = [];
    for (const t of raw.content) {
      if (!isObject(t) || typeof t.token !== 'string') return null;
      const logprob = numberOrNull(t.logprob);
      if (logprob === undefined) return null;
      const entry: TokenLogprob = { token: scrubKnownSecrets(t.token), logprob };
      if (Array.isArray(t.top_logprobs) && t.top_logprobs.length > 0) {
        entry.top = [];
        for (const alt of t.top_logprobs) {
          if (!isObject(alt) || typeof alt.token !== 'string' || typeof alt.logprob !== 'number') return null;
          entry.top.push({ token: scrubKnownSecrets(alt.token), logprob: alt.logprob });
        }
      }
      out.push(entry);
    }
    return out;
  }
  if (Array.isArray(raw.tokens) && Array.isArray(raw.token_logprobs) && raw.tokens.length === raw.token_logprobs.length) {
    const offsets = Array.isArray(raw.text_offset) && raw.text_offset.length === raw.tokens.length ? raw.text_offset : undefined;
    const tops = Array.isArray(raw.top_logprobs) ? raw.top_logprobs : undefined;
    const out: TokenLogprob[] = [];
    for (let i = 0; i < raw.tokens.length; i++) {
      const token = raw.tokens[i];
      const logprob = numberOrNull(raw.token_logprobs[i]);
      if (typeof token !== 'string' || logprob === undefined) return null;
      const entry: TokenLogprob = { token: scrubKnownSecrets(token), logprob };
      const offset = offsets?.[i];
      if (typeof offset === 'number') entry.offset = offset;
      const top = tops?.[i];
      if (isObject(top)) {
        entry.top = Object.entries(top)
          .filter((e): e is [string, number] => typeof e[1] === 'number')
          .map(([t, lp]) => ({ token: scrubKnownSecrets(t), logprob: lp }));
      }
      out.push(entry);
    }
    return out;
  }
  return null;
}

/**
 * Check and convert a chat completion reply. `where` names the provider and
 * model for error messages; `req` is the request (for the usage estimate when
 * the server sends none). A body that is not JSON at all is retryable (cut off
 * or garbled in transit); an error object is classified like an HTTP error
 * (llm/providers/http.ts); a JSON body of another wrong shape is a final LLMError.
 */
export function fromChatBody(raw: unknown, model: string, where: string, req?: LLMRequest): LLMResponse {
  if (typeof raw === 'string') throw llmError(`${where}: malformed reply (not JSON): ${raw.slice(0, 120)}`, undefined, true);
  if (!isObject(raw)) throw llmError(`${where}: malformed reply: expected a JSON object`);
  const embedded = embeddedError(raw);
  if (embedded) throw errorFromBody(where, undefined, raw, undefined);
  const rawChoices = raw.choices;
  if (!Array.isArray(rawChoices) || rawChoices.length === 0)
    throw llmError(`${where}: malformed reply: missing choices`);
  const choices: LLMChoice[] = rawChoices.map((c, i) => {
    if (!isObject(c)) throw llmError(`${where}: malformed reply: choices[${i}] is not an object`);
    const message = c.message;
    if (!isObject(message)) throw llmError(`${where}: malformed reply: choices[${i}].message missing`);
    const got = messageText(message);
    if (!got) throw llmError(`${where}: malformed reply: choices[${i}].message.content is neither text nor a list of parts`);
    const choice: LLMChoice = { text: scrubKnownSecrets(got.text) };
    if (got.reasoning) choice.reasoning = scrubKnownSecrets(got.reasoning);
    if (typeof c.finish_reason === 'string') choice.finishReason = c.finish_reason;
    const annotations: Record<string, unknown> = {};
    for (const key of ANNOTATION_KEYS) if (c[key] !== undefined) annotations[key] = c[key];
    if (Object.keys(annotations).length > 0) choice.annotations = annotations;
    if (req?.logprobs && c.logprobs !== undefined && c.logprobs !== null) {
      const lp = readLogprobs(c.logprobs);
      if (!lp) throw llmError(`${where}: malformed reply: choices[${i}].logprobs is neither chat logprobs (content) nor completion logprobs (tokens, token_logprobs)`);
      choice.logprobs = lp;
    }
    return choice;
  });
  const usage = isObject(raw.usage) ? raw.usage : undefined;
  const count = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);
  const prompt = count(usage?.prompt_tokens);
  const completion = count(usage?.completion_tokens);
  const out: LLMResponse = {
    model: typeof raw.model === 'string' && raw.model ? raw.model : model,
    choices,
    usage: { promptTokens: prompt ?? 0, completionTokens: completion ?? 0 },
  };
  // No usage (or a part of it missing): estimate, so token budgets stay enforceable.
  if (prompt === undefined || completion === undefined) {
    const est = estimateUsage(req ?? { messages: [] }, choices);
    out.usage = { promptTokens: prompt ?? est.promptTokens, completionTokens: completion ?? est.completionTokens };
    out.usageEstimated = true;
  }
  return out;
}
