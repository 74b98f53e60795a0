/**
 * Mapping between popbench requests/responses and the OpenAI-style chat
 * completion wire format, shared by the OpenAI-compatible and Hugging Face
 * providers (both speak it).
 */
import type { LLMChoice, LLMRequest, LLMResponse } from '../../core/types.js';
import { llmError } from '../errors.js';

/** Per-choice keys a server may send beside the message that popbench keeps as annotations. */
export const ANNOTATION_KEYS = ['popbench', 'sim'] as const;

export interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  temperature: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string[];
  n?: number;
  seed?: number;
}

export function toChatBody(model: string, req: LLMRequest): ChatBody {
  const body: ChatBody = {
    model,
    messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
    temperature: req.temperature ?? 0,
  };
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.maxTokens !== undefined) body.max_tokens = req.maxTokens;
  if (req.stop !== undefined && req.stop.length > 0) body.stop = req.stop;
  if (req.n !== undefined && req.n !== 1) body.n = req.n;
  // Repeated samples of one request (sampleIndex > 0) go out with seed = sampleIndex
  // when no seed is set: servers that honour `seed` (vLLM, OpenAI, serve-sim) then
  // give each sample its own reproducible draw instead of the same one.
  if (req.seed !== undefined) body.seed = req.seed;
  else if ((req.sampleIndex ?? 0) > 0) body.seed = req.sampleIndex;
  return body;
}

/** The OpenAI-style raw completion body (`POST /v1/completions`) for a request with `prompt`. */
export function toCompletionBody(model: string, req: LLMRequest): Omit<ChatBody, 'messages'> & { prompt: string } {
  const { messages: _m, ...rest } = toChatBody(model, req);
  return { ...rest, prompt: req.prompt ?? '' };
}

/** Check and convert a raw completion reply (choices[i].text) into the chat-reply shape, then read it as one. */
export function fromCompletionBody(raw: unknown, model: string, where: string): LLMResponse {
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
  return fromChatBody(raw, model, where);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Check and convert a chat completion reply. `where` names the provider and
 * model for error messages. A body that is not JSON at all is retryable (cut off
 * or garbled in transit); a JSON body of the wrong shape is a final LLMError.
 */
export function fromChatBody(raw: unknown, model: string, where: string): LLMResponse {
  if (typeof raw === 'string') throw llmError(`${where}: malformed reply (not JSON): ${raw.slice(0, 120)}`, undefined, true);
  if (!isObject(raw)) throw llmError(`${where}: malformed reply: expected a JSON object`);
  const rawChoices = raw.choices;
  if (!Array.isArray(rawChoices) || rawChoices.length === 0)
    throw llmError(`${where}: malformed reply: missing choices`);
  const choices: LLMChoice[] = rawChoices.map((c, i) => {
    if (!isObject(c)) throw llmError(`${where}: malformed reply: choices[${i}] is not an object`);
    const message = c.message;
    const content = isObject(message) ? message.content : undefined;
    if (content !== null && content !== undefined && typeof content !== 'string')
      throw llmError(`${where}: malformed reply: choices[${i}].message.content is not text`);
    if (!isObject(message)) throw llmError(`${where}: malformed reply: choices[${i}].message missing`);
    const choice: LLMChoice = { text: content ?? '' };
    if (typeof c.finish_reason === 'string') choice.finishReason = c.finish_reason;
    const annotations: Record<string, unknown> = {};
    for (const key of ANNOTATION_KEYS) if (c[key] !== undefined) annotations[key] = c[key];
    if (Object.keys(annotations).length > 0) choice.annotations = annotations;
    return choice;
  });
  const usage = isObject(raw.usage) ? raw.usage : {};
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return {
    model: typeof raw.model === 'string' && raw.model ? raw.model : model,
    choices,
    usage: { promptTokens: num(usage.prompt_tokens), completionTokens: num(usage.completion_tokens) },
  };
}
