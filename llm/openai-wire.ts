/**
 * The server side of the OpenAI-compatible wire format, shared by every
 * popbench server (serve-sim, the metering proxy): request bodies of
 * `/v1/chat/completions` and `/v1/completions` turned into an LLMRequest,
 * LLMResponses turned into OpenAI-shaped reply bodies, and error bodies of
 * the shape OpenAI clients read (`{ error: { message, type, code } }`).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { UserError } from '../core/errors.js';
import type { LLMRequest, LLMResponse, Message, TokenLogprob } from '../core/types.js';

/** An error answered as an HTTP status with an OpenAI-shaped error body. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'invalid_request_error',
  ) {
    super(message);
  }
}

export type WireKind = 'chat' | 'completion';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The route's kind, or null for a path that is neither completions endpoint. */
export function wireKind(url: string): WireKind | null {
  return url === '/v1/chat/completions' ? 'chat' : url === '/v1/completions' ? 'completion' : null;
}

/**
 * Check an OpenAI-style body and turn it into an LLMRequest. `models` lists
 * the model ids served (404 `model_not_found` otherwise). A completion's
 * `prompt` becomes one user message. `sample_index` (popbench's) or `seed`
 * selects the sample; errors are HttpError 400 naming the field.
 */
export function parseBody(body: unknown, kind: WireKind, models: readonly string[]): { model: string; req: LLMRequest } {
  if (!isObj(body)) throw new HttpError(400, 'request body must be a JSON object');
  const model = body.model;
  if (typeof model !== 'string') throw new HttpError(400, '"model" must be a string');
  if (!models.includes(model)) throw new HttpError(404, `model "${model}" not found; available: ${models.join(', ')}`, 'model_not_found');
  let messages: Message[];
  if (kind === 'chat') {
    if (!Array.isArray(body.messages) || body.messages.length === 0) throw new HttpError(400, '"messages" must be a non-empty array');
    messages = body.messages.map((m, i) => {
      if (!isObj(m) || typeof m.content !== 'string' || !['system', 'user', 'assistant'].includes(String(m.role)))
        throw new HttpError(400, `messages[${i}] must have role system|user|assistant and string content`);
      return { role: m.role as Message['role'], content: m.content };
    });
  } else {
    const p = Array.isArray(body.prompt) && body.prompt.length === 1 ? body.prompt[0] : body.prompt;
    if (typeof p !== 'string') throw new HttpError(400, '"prompt" must be a string');
    messages = [{ role: 'user', content: p }];
  }
  const num = (k: string, lo: number, hi: number, int = false): number | undefined => {
    const v = body[k];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !(v >= lo && v <= hi) || (int && !Number.isInteger(v))) throw new HttpError(400, `"${k}" must be a ${int ? 'integer' : 'number'} in [${lo}, ${hi}]`);
    return v;
  };
  const req: LLMRequest = { messages, temperature: num('temperature', 0, 2) ?? 1 };
  const n = num('n', 1, 16, true);
  if (n !== undefined) req.n = n;
  // An echoed completion may ask for no new tokens at all (APE's likelihood scoring: max_tokens 0).
  const minTokens = kind === 'completion' && body.echo === true ? 0 : 1;
  const mt = num('max_tokens', minTokens, 1_000_000, true) ?? num('max_completion_tokens', minTokens, 1_000_000, true);
  if (mt !== undefined) req.maxTokens = mt;
  const topP = num('top_p', 0, 1);
  if (topP !== undefined) req.topP = topP;
  const seed = num('seed', -(2 ** 53), 2 ** 53, true);
  if (seed !== undefined) req.seed = seed;
  const si = num('sample_index', 0, 2 ** 31, true);
  if (si !== undefined) req.sampleIndex = si;
  else if (seed !== undefined) req.sampleIndex = Math.abs(seed);
  const stop = body.stop;
  if (typeof stop === 'string') req.stop = [stop];
  else if (Array.isArray(stop) && stop.every((s) => typeof s === 'string')) req.stop = stop as string[];
  else if (stop !== undefined && stop !== null) throw new HttpError(400, '"stop" must be a string or an array of strings');
  // Log-probabilities: chat `logprobs: true` + `top_logprobs`; completions an integer `logprobs` (+ `echo`).
  const lp = body.logprobs;
  if (kind === 'chat') {
    if (lp !== undefined && lp !== null && typeof lp !== 'boolean') throw new HttpError(400, '"logprobs" must be a boolean');
    if (lp === true) req.logprobs = true;
    const top = num('top_logprobs', 0, 20, true);
    if (top !== undefined && req.logprobs) req.topLogprobs = top;
  } else {
    const k = num('logprobs', 0, 20, true);
    if (k !== undefined) {
      req.logprobs = true;
      req.topLogprobs = k;
    }
    if (body.echo !== undefined && body.echo !== null && typeof body.echo !== 'boolean') throw new HttpError(400, '"echo" must be a boolean');
    if (body.echo === true) req.echo = true;
  }
  return { model, req };
}

/** Token log-probabilities in the wire shape of `kind` (null when the choice has none). */
function wireLogprobs(kind: WireKind, lp: readonly TokenLogprob[] | undefined): unknown {
  if (!lp) return null;
  if (kind === 'chat') return { content: lp.map((t) => ({ token: t.token, logprob: t.logprob, top_logprobs: (t.top ?? []).map((a) => ({ token: a.token, logprob: a.logprob })) })) };
  let at = 0;
  return {
    tokens: lp.map((t) => t.token),
    token_logprobs: lp.map((t) => t.logprob),
    top_logprobs: lp.map((t) => (t.top ? Object.fromEntries(t.top.map((a) => [a.token, a.logprob])) : null)),
    text_offset: lp.map((t) => {
      const o = t.offset ?? at;
      at = o + t.token.length;
      return o;
    }),
  };
}

/** An OpenAI-shaped reply body; `extra(i)` adds fields to choice i (e.g. serve-sim's ground truth). */
export function replyBody(kind: WireKind, id: string, model: string, r: LLMResponse, extra: (i: number) => Record<string, unknown> = () => ({})): string {
  const usage = { prompt_tokens: r.usage.promptTokens, completion_tokens: r.usage.completionTokens, total_tokens: r.usage.promptTokens + r.usage.completionTokens };
  const choices = r.choices.map((c, index) =>
    kind === 'chat'
      ? { index, message: { role: 'assistant', content: c.text }, ...(c.logprobs ? { logprobs: wireLogprobs(kind, c.logprobs) } : {}), finish_reason: c.finishReason ?? 'stop', ...extra(index) }
      : { index, text: c.text, logprobs: wireLogprobs(kind, c.logprobs), finish_reason: c.finishReason ?? 'stop', ...extra(index) },
  );
  return JSON.stringify({ id, object: kind === 'chat' ? 'chat.completion' : 'text_completion', created: 0, model, choices, usage });
}

/** `{ error: { message, type, code } }`, the body OpenAI clients surface as the error's message. */
export function errorBody(status: number, message: string, type: string): string {
  return JSON.stringify({ error: { message, type, code: status } });
}

/** Loopback addresses a popbench server may bind. */
export const LOOPBACK_HOSTS = ['127.0.0.1', 'localhost', '::1'];

export interface LoopbackServerOptions {
  /** Names the server in errors, e.g. "serve-sim" or "proxy". */
  name: string;
  /** One of LOOPBACK_HOSTS (default 127.0.0.1). */
  host?: string;
  /** 0 = any free port (default). */
  port?: number;
  /** Largest accepted request body in bytes; a larger one gets 413 and the connection is closed. */
  maxBodyBytes: number;
  /** Answers one request whose body was read whole (UTF-8); a throw becomes a 500 error body. */
  handle: (req: http.IncomingMessage, res: http.ServerResponse, body: string) => Promise<void>;
}

export interface LoopbackServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  port: number;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** Write a JSON reply unless the response is already gone. */
export function sendJson(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/**
 * An HTTP server on a loopback address that reads each request body (bounded
 * by `maxBodyBytes`) before handing it to `handle`. Errors are UserErrors
 * naming the server: a non-loopback host, a bad port, a port in use.
 */
export async function listenLoopback(opts: LoopbackServerOptions): Promise<LoopbackServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!LOOPBACK_HOSTS.includes(host)) throw new UserError(`${opts.name}: --host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}), got "${host}"`);
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`${opts.name}: --port must be an integer in 0..65535, got ${port}`);
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      if (tooBig) return;
      size += c.length;
      if (size > opts.maxBodyBytes) {
        tooBig = true;
        sendJson(res, 413, errorBody(413, `request body larger than ${opts.maxBodyBytes} bytes`, 'invalid_request_error'), { connection: 'close' });
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (tooBig) return;
      opts.handle(req, res, Buffer.concat(chunks).toString('utf8')).catch((err) => sendJson(res, 500, errorBody(500, `${opts.name}: ${String((err as Error)?.message ?? err)}`, 'server_error')));
    });
    req.on('error', () => res.destroy());
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(err.code === 'EADDRINUSE' ? new UserError(`${opts.name}: port ${port} on ${host} is already in use`) : err));
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostInUrl = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${hostInUrl}:${addr.port}/v1`,
    port: addr.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
