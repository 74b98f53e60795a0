/**
 * `popbench serve-sim`: the sim models behind an OpenAI-compatible HTTP
 * server on loopback, with deterministic fault injection (docs/sim.md,
 * "serve-sim"). Each choice carries the ground truth as an extra `sim` field.
 */
import type http from 'node:http';
import { hashUnit, sha256 } from '../core/hash.js';
import { UserError } from '../core/errors.js';
import type { LLMRequest } from '../core/types.js';
import { errorBody, HttpError, listenLoopback, LOOPBACK_HOSTS, parseBody as parseWireBody, replyBody, sendJson, wireKind, type WireKind } from '../llm/openai-wire.js';
import { SIM_MODELS, simComplete } from './index.js';
import type { SimWorld } from './world.js';

export interface FaultOptions {
  /** Mean added latency per request, ms (default 0). */
  latencyMeanMs?: number;
  /** Latency jitter, ± ms uniform around the mean (default 0). */
  latencyJitterMs?: number;
  /** Probabilities (0..1) of each fault per attempt; their sum must be ≤ 1. */
  rate429?: number;
  rate500?: number;
  rateTimeout?: number;
  rateTruncated?: number;
  rateGarbage?: number;
  /** Retry-after sent with a 429, ms (default 1000). */
  retryAfterMs?: number;
  /** After this many faulted attempts of the same body, it always succeeds (default 3). */
  maxFaultsPerBody?: number;
}

export interface SimServerOptions {
  world: SimWorld;
  /** 0 = any free port (default). */
  port?: number;
  /** Loopback only: 127.0.0.1 (default), localhost or ::1. */
  host?: string;
  faults?: FaultOptions;
  /** Largest accepted request body (default 2 MiB). */
  maxBodyBytes?: number;
  /** Longest a "timeout" fault holds a request before dropping it (default 10 000 ms). */
  maxHangMs?: number;
}

export interface SimServer {
  /** Base URL including /v1, e.g. http://127.0.0.1:8000/v1. */
  url: string;
  port: number;
  /** Requests seen per fault kind (for logs and tests). */
  stats: Record<string, number>;
  close(): Promise<void>;
}

export { LOOPBACK_HOSTS };

export type Fault = 'none' | '429' | '500' | 'timeout' | 'truncated' | 'garbage';

const rate = (name: string, v: number | undefined): number => {
  const x = v ?? 0;
  if (!(x >= 0 && x <= 1)) throw new UserError(`serve-sim: ${name} must be between 0 and 1, got ${v}`);
  return x;
};

export function validateFaults(f: FaultOptions = {}): Required<FaultOptions> {
  const out: Required<FaultOptions> = {
    latencyMeanMs: f.latencyMeanMs ?? 0,
    latencyJitterMs: f.latencyJitterMs ?? 0,
    rate429: rate('rate-429', f.rate429),
    rate500: rate('rate-500', f.rate500),
    rateTimeout: rate('rate-timeout', f.rateTimeout),
    rateTruncated: rate('rate-truncated', f.rateTruncated),
    rateGarbage: rate('rate-garbage', f.rateGarbage),
    retryAfterMs: f.retryAfterMs ?? 1000,
    maxFaultsPerBody: f.maxFaultsPerBody ?? 3,
  };
  const sum = out.rate429 + out.rate500 + out.rateTimeout + out.rateTruncated + out.rateGarbage;
  if (sum > 1) throw new UserError(`serve-sim: fault rates add up to ${sum}, more than 1`);
  for (const k of ['latencyMeanMs', 'latencyJitterMs', 'retryAfterMs', 'maxFaultsPerBody'] as const)
    if (!(Number.isFinite(out[k]) && out[k] >= 0)) throw new UserError(`serve-sim: ${k} must be a non-negative number, got ${out[k]}`);
  return out;
}

/** The fault for the `attempt`-th (0-based) time this body hash is seen: deterministic. */
export function decideFault(bodyHash: string, attempt: number, f: Required<FaultOptions>): Fault {
  if (attempt >= f.maxFaultsPerBody) return 'none';
  const u = hashUnit([bodyHash, attempt, 'fault']);
  let acc = 0;
  for (const [fault, r] of [
    ['429', f.rate429],
    ['500', f.rate500],
    ['timeout', f.rateTimeout],
    ['truncated', f.rateTruncated],
    ['garbage', f.rateGarbage],
  ] as const) {
    acc += r;
    if (u < acc) return fault;
  }
  return 'none';
}

/** Check an OpenAI-style body for one of the sim models (llm/openai-wire.ts). */
export function parseBody(body: unknown, kind: WireKind): { model: string; req: LLMRequest } {
  return parseWireBody(body, kind, SIM_MODELS);
}

export async function startSimServer(opts: SimServerOptions): Promise<SimServer> {
  const faults = validateFaults(opts.faults);
  const maxBody = opts.maxBodyBytes ?? 2 * 1024 * 1024;
  const maxHang = opts.maxHangMs ?? 10_000;
  const seen = new Map<string, number>();
  const stats: Record<string, number> = { requests: 0, none: 0, '429': 0, '500': 0, timeout: 0, truncated: 0, garbage: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let closing = false;

  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      if (ms <= 0) return resolve();
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const send = sendJson;
  const sendError = (res: http.ServerResponse, status: number, message: string, type: string, headers: Record<string, string> = {}) =>
    send(res, status, errorBody(status, message, type), headers);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const url = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'GET' && url === '/v1/models') {
      return send(res, 200, JSON.stringify({ object: 'list', data: SIM_MODELS.map((id) => ({ id, object: 'model', created: 0, owned_by: 'popbench-sim' })) }));
    }
    const kind = wireKind(url);
    if (!kind) return sendError(res, 404, `no route ${req.method} ${url}`, 'not_found');
    if (req.method !== 'POST') return sendError(res, 405, `${url} accepts POST only`, 'invalid_request_error');

    stats.requests!++;
    const bodyHash = sha256([url, raw]);
    const attempt = seen.get(bodyHash) ?? 0;
    seen.set(bodyHash, attempt + 1);
    const fault = decideFault(bodyHash, attempt, faults);
    stats[fault] = (stats[fault] ?? 0) + 1;
    const lat = faults.latencyMeanMs + faults.latencyJitterMs * (2 * hashUnit([bodyHash, attempt, 'latency']) - 1);
    await later(Math.max(0, lat));
    if (closing) return;

    if (fault === 'timeout') {
      await later(maxHang);
      res.destroy();
      return;
    }
    if (fault === '429')
      return sendError(res, 429, 'rate limit (injected by serve-sim)', 'rate_limit_exceeded', {
        'retry-after': String(Math.ceil(faults.retryAfterMs / 1000)),
        'retry-after-ms': String(faults.retryAfterMs),
      });
    if (fault === '500') return sendError(res, 500, 'internal error (injected by serve-sim)', 'server_error');

    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'request body is not valid JSON', 'invalid_request_error');
    }
    let out: string;
    try {
      const { model, req: llmReq } = parseBody(parsed, kind);
      const r = simComplete(model, opts.world, llmReq);
      const id = `simcmpl-${bodyHash.slice(0, 24)}`;
      out = replyBody(kind, id, model, r, (i) => {
        const extra = (r.choices[i]!.annotations ?? {}) as Record<string, unknown>;
        return { sim: extra['sim'] ?? extra['simOptimizer'] ?? null };
      });
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.message, err.type);
      return sendError(res, 500, `sim failed: ${(err as Error).message}`, 'server_error');
    }
    if (fault === 'truncated') return send(res, 200, out.slice(0, Math.max(1, Math.floor(out.length / 2))));
    if (fault === 'garbage') return send(res, 200, `<html>${sha256(out).slice(0, 16)} not json`);
    send(res, 200, out);
  };

  const server = await listenLoopback({ name: 'serve-sim', host: opts.host, port: opts.port, maxBodyBytes: maxBody, handle });
  return {
    url: server.url,
    port: server.port,
    stats,
    close: () => {
      closing = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return server.close();
    },
  };
}
