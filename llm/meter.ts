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

  record(e: { provider: string; model: string; role: CallRole; usage: Usage; cached: boolean; price?: Price }): void {
    const cost = e.cached ? 0 : costUsd(e.usage, e.price);
    for (const t of this.buckets(`${e.provider}/${e.model}`, e.role)) {
      t.calls++;
      if (e.cached) t.cachedCalls++;
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
      (models.length ? ` By model: ${models.join('; ')}.` : '')
    );
  }
}

export interface MeterOptions {
  meter: UsageMeter;
  budget?: Budget;
  /** Price of this LLM's model; undefined = free (sim, local). */
  price?: Price;
}

/** Running mean of completion tokens of one model (seeds the estimate with 64). */
class RunningMean {
  private n = 0;
  private sum = 0;
  add(x: number): void {
    this.n++;
    this.sum += x;
  }
  get value(): number {
    return this.n ? this.sum / this.n : 64;
  }
}

/**
 * A call's token estimate for budget reservation: prompt ≈ characters / 4, plus
 * the model's mean completion so far, capped at maxTokens. Only used to keep
 * concurrent calls from jointly passing a token limit; actual usage is recorded.
 */
export function estimateTokens(req: LLMRequest, completionMean: { value: number }): number {
  const chars = req.prompt !== undefined ? req.prompt.length : req.messages.reduce((a, m) => a + m.content.length, 0);
  const completion = Math.min(req.maxTokens ?? Infinity, completionMean.value) * (req.n ?? 1);
  return Math.ceil(chars / 4 + completion);
}

export function meterMiddleware(opts: MeterOptions): LLMMiddleware {
  const completionMean = new RunningMean();
  return (next: LLM): LLM => ({
    provider: next.provider,
    model: next.model,
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      const role: CallRole = req.role ?? 'target';
      const est = opts.budget?.limits.tokens !== undefined ? estimateTokens(req, completionMean) : 0;
      opts.budget?.reserve(role, est); // throws BudgetExhausted before any call is made
      let res: LLMResponse;
      try {
        res = await next.complete(req, signal);
      } catch (err) {
        opts.budget?.release(role, est);
        opts.meter.recordFailure({ provider: next.provider, model: next.model, role });
        throw err;
      }
      opts.budget?.record(res.usage, est);
      completionMean.add(res.usage.completionTokens);
      opts.meter.record({ provider: next.provider, model: next.model, role, usage: res.usage, cached: res.cached === true, price: opts.price });
      if (opts.budget && opts.price && res.cached !== true) opts.budget.recordCost(costUsd(res.usage, opts.price));
      return res;
    },
  });
}
