/**
 * Usage accounting and budget enforcement, the outermost layer of the stack
 * so it sees logical calls: a cache hit counts as a call (flagged cached) and
 * its tokens count against the budget, so a replay from the cache spends the
 * budget exactly like the original run; money is counted only for calls that
 * reached a provider.
 */
import type { CallRole, LLM, LLMMiddleware, LLMRequest, LLMResponse, Usage } from '../core/types.js';
import type { Budget } from '../core/budget.js';

/** USD per one million tokens. */
export interface Price {
  input: number;
  output: number;
}

export interface UsageTotals {
  calls: number;
  cachedCalls: number;
  failedCalls: number;
  /** Attempts retried after a retryable failure (429, 5xx, timeout, garbled reply). */
  retries: number;
  promptTokens: number;
  completionTokens: number;
  /** Calls whose server sent no usage: their tokens are popbench's estimate (llm/providers/chat.ts estimateUsage). */
  estimatedUsageCalls: number;
  costUsd: number;
}

export interface UsageSnapshot {
  total: UsageTotals;
  /** Keyed by "provider/model". */
  byModel: Record<string, UsageTotals>;
  byRole: Partial<Record<CallRole, UsageTotals>>;
}

/** All-zero usage totals. */
export const emptyTotals = (): UsageTotals => ({
  calls: 0,
  cachedCalls: 0,
  failedCalls: 0,
  retries: 0,
  promptTokens: 0,
  completionTokens: 0,
  estimatedUsageCalls: 0,
  costUsd: 0,
});

export function costUsd(usage: Usage, price: Price | undefined): number {
  if (!price) return 0;
  return (usage.promptTokens * price.input + usage.completionTokens * price.output) / 1_000_000;
}

/** One run's usage, shared by every LLM of the run. */
export class UsageMeter {
  private total = emptyTotals();
  private readonly byModel = new Map<string, UsageTotals>();
  private readonly byRole = new Map<CallRole, UsageTotals>();

  private buckets(modelKey: string, role: CallRole): UsageTotals[] {
    let m = this.byModel.get(modelKey);
    if (!m) this.byModel.set(modelKey, (m = emptyTotals()));
    let r = this.byRole.get(role);
    if (!r) this.byRole.set(role, (r = emptyTotals()));
    return [this.total, m, r];
  }

  record(e: { provider: string; model: string; role: CallRole; usage: Usage; cached: boolean; price?: Price; estimated?: boolean }): void {
    const cost = e.cached ? 0 : costUsd(e.usage, e.price);
    for (const t of this.buckets(`${e.provider}/${e.model}`, e.role)) {
      t.calls++;
      if (e.cached) t.cachedCalls++;
      if (e.estimated) t.estimatedUsageCalls++;
      t.promptTokens += e.usage.promptTokens;
      t.completionTokens += e.usage.completionTokens;
      t.costUsd += cost;
    }
  }

  recordFailure(e: { provider: string; model: string; role: CallRole }): void {
    for (const t of this.buckets(`${e.provider}/${e.model}`, e.role)) t.failedCalls++;
  }

  recordRetry(e: { provider: string; model: string; role: CallRole }): void {
    for (const t of this.buckets(`${e.provider}/${e.model}`, e.role)) t.retries++;
  }

  snapshot(): UsageSnapshot {
    const copy = (m: Map<string, UsageTotals>) =>
      Object.fromEntries([...m.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, { ...v }]));
    return { total: { ...this.total }, byModel: copy(this.byModel), byRole: copy(this.byRole) as UsageSnapshot['byRole'] };
  }

  /** One paragraph for the end of a run. */
  format(): string {
    const s = this.snapshot();
    const t = s.total;
    const part = (name: string, u: UsageTotals) =>
      `${name} ${u.calls} calls (${u.cachedCalls} cached${u.failedCalls ? `, ${u.failedCalls} failed` : ''}${u.retries ? `, ${u.retries} retries` : ''}), ${u.promptTokens + u.completionTokens} tokens, $${u.costUsd.toFixed(4)}`;
    const roles = Object.entries(s.byRole).map(([r, u]) => part(r, u!));
    const models = Object.entries(s.byModel).map(([m, u]) => part(m, u));
    return (
      `Usage: ${t.calls} calls (${t.cachedCalls} from cache${t.failedCalls ? `, ${t.failedCalls} failed` : ''}${t.retries ? `, ${t.retries} retries` : ''}), ` +
      `${t.promptTokens} prompt + ${t.completionTokens} completion tokens, $${t.costUsd.toFixed(4)}.` +
      (roles.length ? ` By role: ${roles.join('; ')}.` : '') +
      (models.length ? ` By model: ${models.join('; ')}.` : '') +
      (t.estimatedUsageCalls
        ? ` ${t.estimatedUsageCalls} of ${t.calls} calls came without usage from the server; their tokens are estimated (characters / 4 + 4 per message).`
        : '')
    );
  }
}

export interface MeterOptions {
  meter: UsageMeter;
  budget?: Budget;
  /** Price of this LLM's model; undefined = free (sim, local). */
  price?: Price;
}

/**
 * A call's token estimate for budget admission: the prompt at ⌈characters / 4⌉
 * + 4 per message, plus the longest answer allowed (maxTokens × n; 256 × n when
 * the request sets none). Deterministic, so the budget admits the same calls
 * at any concurrency; an admitted call fits in what is left however long its answer.
 */
export function estimateTokens(req: LLMRequest): number {
  const prompt = req.prompt !== undefined ? Math.ceil(req.prompt.length / 4) : req.messages.reduce((a, m) => a + Math.ceil(m.content.length / 4) + 4, 0);
  return prompt + (req.maxTokens ?? 256) * (req.n ?? 1);
}

/**
 * A bound on a call's tokens: the prompt's UTF-8 bytes + 16 per message (a
 * token is at least a byte; chat templates add a few per message) plus
 * maxTokens × n; Infinity when the request sets no maxTokens.
 */
export function upperBoundTokens(req: LLMRequest): number {
  if (req.maxTokens === undefined) return Infinity;
  const prompt = req.prompt !== undefined ? Buffer.byteLength(req.prompt) + 16 : req.messages.reduce((a, m) => a + Buffer.byteLength(m.content) + 16, 0);
  return prompt + req.maxTokens * (req.n ?? 1);
}

export function meterMiddleware(opts: MeterOptions): LLMMiddleware {
  return (next: LLM): LLM => ({
    provider: next.provider,
    model: next.model,
    ...(next.endpoint !== undefined ? { endpoint: next.endpoint } : {}),
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      const role: CallRole = req.role ?? 'target';
      const budget = opts.budget;
      // Decided in call order; rejects with BudgetExhausted before any call is made.
      const upper = upperBoundTokens(req);
      const perToken = opts.price ? Math.max(opts.price.input, opts.price.output) / 1_000_000 : 0;
      const upperUsd = perToken > 0 ? upper * perToken : 0;
      const ticket = budget ? await budget.admit(role, estimateTokens(req), upper, upperUsd) : undefined;
      let res: LLMResponse;
      try {
        res = await next.complete(req, signal);
      } catch (err) {
        if (ticket) budget!.settle(ticket);
        opts.meter.recordFailure({ provider: next.provider, model: next.model, role });
        throw err;
      }
      // Money is counted only for calls that reached a priced provider.
      if (ticket) budget!.settle(ticket, res.usage, opts.price && res.cached !== true ? costUsd(res.usage, opts.price) : 0);
      opts.meter.record({
        provider: next.provider,
        model: next.model,
        role,
        usage: res.usage,
        cached: res.cached === true,
        price: opts.price,
        estimated: res.usageEstimated === true,
      });
      return res;
    },
  });
}
