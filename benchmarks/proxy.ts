/**
 * The metering proxy (`popbench proxy`, docs/proxy.md): an OpenAI-compatible
 * server on loopback in front of one suite cell's target and optimizer
 * models, through the full LLM stack (meter + budget, cache, limit, retry,
 * timeout). An external optimizer (DSPy's GEPA or MIPROv2, TextGrad,
 * promptolution, ...) points its client at it; every call is metered against
 * the cell's budget and recorded in the cell's events.jsonl; a call past the
 * budget is answered with HTTP 402 and an error body naming the limit, which
 * OpenAI clients surface without retrying. The program ends the cell by
 * posting its best prompt to `POST /popbench/finish`; popbench then scores it
 * on dev and test outside the budget like any native cell and writes
 * result.json, so one report compares external and native optimizers.
 *
 * Routes: `POST /v1/chat/completions`, `POST /v1/completions`,
 * `GET /v1/models`, `GET /popbench/status`, `POST /popbench/finish`.
 * Models: the cell's target and optimizer model names, and the aliases
 * `target` and `optimizer` (needed when both are the same model).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { z } from 'zod';
import { BudgetExhausted, LLMError, UserError } from '../core/errors.js';
import { sha256 } from '../core/hash.js';
import { POSITIONS, type CallRole, type OptimizerContext, type Position, type Prompt } from '../core/types.js';
import type { Session } from './session.js';
import { UsageMeter } from '../llm/index.js';
import { errorBody, HttpError, listenLoopback, LOOPBACK_HOSTS, parseBody, replyBody, sendJson, wireKind } from '../llm/openai-wire.js';
import { OPTIMIZERS } from '../optimizers/index.js';
import type { OptimizeResult } from '../optimizers/types.js';
import { cellDir, readJson, runCell, writeAtomic, type CellResult } from './runner.js';
import { cellState, checkRecordedCells, lockCell, writeGrid } from './rundir.js';
import { expandCells, infinityAware, overWorlds, plain, type CellSpec, type Suite } from './suite.js';

/** The body of `POST /popbench/finish`: the program's best prompt in popbench's Prompt form. */
export const FinishSchema = z.strictObject({
  instruction: z.string(),
  demos: z.array(z.strictObject({ input: z.string(), output: z.string() })).optional(),
  position: z.enum(POSITIONS as unknown as [Position, ...Position[]]).optional(),
});

export interface ProxyOptions {
  suite: Suite;
  /** Cell id (see `popbench cells`); must be a cell of an `external` entry. */
  cellId: string;
  out: string;
  session: Session;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Largest accepted request body (default 8 MiB). */
  maxBodyBytes?: number;
}

export interface Proxy {
  /** Base URL including /v1, e.g. http://127.0.0.1:8100/v1. */
  url: string;
  port: number;
  spec: CellSpec;
  /** Settles when the cell is finished (result.json written) or has failed. */
  done: Promise<CellResult>;
  /** Stop serving; an unfinished cell stays unfinished (no result.json). */
  close(): Promise<void>;
}

const json = (v: unknown) => JSON.stringify(v, infinityAware, 2) + '\n';

/** Find the cell and check that the proxy may run it. */
export function proxyCell(suite: Suite, cellId: string, out: string): CellSpec {
  const cells = expandCells(suite);
  const spec = cells.find((c) => c.id === cellId);
  if (!spec) {
    const ext = cells.filter((c) => OPTIMIZERS[c.optimizer]?.external).map((c) => c.id);
    throw new UserError(
      `--cell: suite "${suite.name}" has no cell "${cellId}"; its external cells: ${ext.length ? ext.join(', ') : 'none (add an entry with name: external)'}`,
    );
  }
  if (!OPTIMIZERS[spec.optimizer]?.external)
    throw new UserError(`--cell ${cellId}: optimizer "${spec.optimizer}" is run by \`popbench run\`; the proxy serves cells of "external" entries only`);
  if (cellState(out, cellId, spec).status === 'done') throw new UserError(`--cell ${cellId}: already finished in ${out} (remove its folder to redo it)`);
  return spec;
}

/** Start serving one external cell. */
export async function startProxy(opts: ProxyOptions): Promise<Proxy> {
  if (!LOOPBACK_HOSTS.includes(opts.host ?? '127.0.0.1'))
    throw new UserError(`proxy: --host must be a loopback address (${LOOPBACK_HOSTS.join(', ')}), got "${opts.host}"`);
  const maxBody = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const { suite, out, session } = opts;
  const spec = proxyCell(suite, opts.cellId, out);

  // The run directory, as `popbench run` lays it out.
  mkdirSync(path.join(out, 'cells'), { recursive: true });
  const suiteFile = path.join(out, 'suite.json');
  if (existsSync(suiteFile)) {
    const prev = readJson<{ name?: string }>(suiteFile);
    if (prev.name !== suite.name) throw new UserError(`${out} holds a run of suite "${prev.name}", not "${suite.name}"; choose another --out`);
  } else writeAtomic(suiteFile, json(suite));
  const grid = expandCells(suite);
  checkRecordedCells(out, grid);
  writeGrid(out, { suite: suite.name, cells: grid.map(plain) });
  // The cell's lock, held until the cell ends, so a `run` or another proxy never runs it at the same time.
  const lock = lockCell(out, spec.id);
  if (!lock.ok) throw new UserError(`--cell ${spec.id}: another process (pid ${lock.owner?.pid ?? '?'}) is running it in ${out}`);
  const dir = cellDir(out, spec.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeAtomic(path.join(dir, 'spec.json'), json(spec));

  let ctx: OptimizerContext | undefined;
  let seq = 0;
  const repeats = new Map<string, number>();
  let refused = false;
  let finishPrompt: ((p: Prompt) => void) | undefined;
  const finishWaiters: http.ServerResponse[] = [];
  let finishing = false;

  const send = sendJson;
  const sendError = (res: http.ServerResponse, status: number, message: string, type: string) => send(res, status, errorBody(status, message, type));

  const models: Record<string, CallRole> = { target: 'target', optimizer: 'optimizer' };
  // The target's own name routes to the target when both roles use one model (use the alias `optimizer` then).
  models[spec.optimizerModel] = 'optimizer';
  models[spec.target] = 'target';
  const modelIds = [...new Set([spec.target, spec.optimizerModel, 'target', 'optimizer'])];

  const status = () => ({
    cell: spec.id,
    suite: suite.name,
    task: spec.task,
    models: { target: spec.target, optimizer: spec.optimizerModel },
    limits: spec.limits,
    spent: ctx ? { ...ctx.budget.spent } : { targetCalls: 0, optimizerCalls: 0, tokens: 0 },
    finished: finishing,
  });

  const complete = async (res: http.ServerResponse, kind: 'chat' | 'completion', raw: string) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'request body is not valid JSON', 'invalid_request_error');
    }
    if (parsed && typeof parsed === 'object' && (parsed as { stream?: unknown }).stream === true)
      return sendError(res, 400, 'popbench proxy: streaming is not supported; send "stream": false', 'invalid_request_error');
    const { model, req } = parseBody(parsed, kind, modelIds);
    if (!ctx || finishing) return sendError(res, 409, 'popbench proxy: the cell is finished; no more calls are metered', 'cell_finished');
    const role = models[model]!;
    const llm = role === 'target' ? ctx.target : ctx.optimizer;
    if (req.sampleIndex === undefined) {
      // The k-th identical request of the cell is sample k (a client resampling at temperature > 0
      // gets fresh samples, and a replay from the call cache gives the same sequence).
      const key = sha256([role, kind, req]);
      req.sampleIndex = repeats.get(key) ?? 0;
      repeats.set(key, req.sampleIndex + 1);
    }
    const n = ++seq;
    const event = { type: 'call', seq: n, role, model: llm.model, kind, request: { messages: req.messages, temperature: req.temperature, maxTokens: req.maxTokens, n: req.n, stop: req.stop, sampleIndex: req.sampleIndex } };
    try {
      const r = await llm.complete({ ...req, role });
      ctx.log.emit({ ...event, status: 'ok', replies: r.choices.map((c) => c.text), usage: r.usage, cached: r.cached === true, spent: { ...ctx.budget.spent } });
      send(res, 200, replyBody(kind, `popbench-${sha256([spec.id, n]).slice(0, 20)}`, model, r));
    } catch (err) {
      if (err instanceof BudgetExhausted) {
        refused = true;
        ctx.log.emit({ ...event, status: 'budget', message: err.message, spent: { ...ctx.budget.spent } });
        return sendError(
          res,
          402,
          `popbench budget exhausted: ${err.what} ${err.used}/${err.limit} (cell ${spec.id}); post your best prompt to /popbench/finish`,
          'budget_exhausted',
        );
      }
      const status = err instanceof LLMError ? (err.status && err.status >= 400 ? err.status : 502) : 500;
      ctx.log.emit({ ...event, status: 'error', message: (err as Error).message, spent: { ...ctx.budget.spent } });
      return sendError(res, status, `popbench proxy: ${(err as Error).message}`, err instanceof LLMError ? 'upstream_error' : 'server_error');
    }
  };

  const finish = (res: http.ServerResponse, raw: string) => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return sendError(res, 400, 'request body is not valid JSON', 'invalid_request_error');
    }
    const r = FinishSchema.safeParse(body);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      return sendError(res, 400, `/popbench/finish: ${issue.path.join('.') || 'body'}: ${issue.message}`, 'invalid_request_error');
    }
    if (finishing || !finishPrompt) return sendError(res, 409, 'popbench proxy: the cell is already finishing', 'cell_finished');
    finishing = true;
    finishWaiters.push(res);
    const p = r.data;
    finishPrompt({ instruction: p.instruction, ...(p.demos?.length ? { demos: p.demos } : {}), position: p.position ?? 'Q_begin' });
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, raw: string) => {
    const url = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    if (req.method === 'GET' && url === '/v1/models')
      return send(res, 200, JSON.stringify({ object: 'list', data: modelIds.map((id) => ({ id, object: 'model', created: 0, owned_by: 'popbench-proxy' })) }));
    if (req.method === 'GET' && url === '/popbench/status') return send(res, 200, JSON.stringify(status()));
    if (url === '/popbench/finish') {
      if (req.method !== 'POST') return sendError(res, 405, `${url} accepts POST only`, 'invalid_request_error');
      return finish(res, raw);
    }
    const kind = wireKind(url);
    if (!kind) return sendError(res, 404, `no route ${req.method} ${url}`, 'not_found');
    if (req.method !== 'POST') return sendError(res, 405, `${url} accepts POST only`, 'invalid_request_error');
    try {
      await complete(res, kind, raw);
    } catch (err) {
      if (err instanceof HttpError) return sendError(res, err.status, err.message, err.type);
      return sendError(res, 500, `popbench proxy: ${(err as Error).message}`, 'server_error');
    }
  };

  const server = await listenLoopback({ name: 'proxy', host: opts.host, port: opts.port, maxBodyBytes: maxBody, handle });

  // The cell: runCell with the HTTP client as the search, then scoring outside the budget.
  const search = (c: OptimizerContext): Promise<OptimizeResult> =>
    new Promise<Prompt>((resolve) => {
      ctx = c;
      finishPrompt = resolve;
    }).then((best) => {
      const spent = { ...c.budget.spent };
      const candidate = { id: 'external-best', prompt: best, parents: [], step: 0, origin: 'external', spentAtProposal: spent };
      c.log.emit({ type: 'candidate', ...candidate });
      return {
        best,
        bestScore: NaN,
        trajectory: { candidates: [candidate], reflections: [], steps: [] },
        stoppedBy: refused ? 'budget' : 'done',
      };
    });
  const done = runCell(spec, dir, session, new UsageMeter(), search, { ceiling: overWorlds(suite) }).then(
    (cell) => {
      for (const res of finishWaiters) send(res, 200, JSON.stringify({ cell: cell.id, dev: cell.dev, test: cell.test, spent: cell.spent, stoppedBy: cell.stoppedBy }));
      return cell;
    },
    (err: unknown) => {
      const message = (err as Error).message;
      writeAtomic(path.join(dir, 'error.json'), json({ message }));
      for (const res of finishWaiters) sendError(res, 500, `popbench proxy: scoring the cell failed: ${message}`, 'server_error');
      throw err;
    },
  );
  done.catch(() => {}).finally(() => lock.release());

  return {
    url: server.url,
    port: server.port,
    spec,
    done,
    close: () => server.close(),
  };
}
