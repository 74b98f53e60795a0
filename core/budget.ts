import { BudgetExhausted } from './errors.js';
import type { CallRole, Usage } from './usage.js';

export interface BudgetLimits {
  /** Max target-model calls (one request = one call, whatever n). */
  targetCalls?: number;
  /** Max optimizer-model calls (optimizer, rewriter and judge roles). */
  optimizerCalls?: number;
  /** Max total tokens (prompt + completion) over all roles. */
  tokens?: number;
  /**
   * Max spend in USD over all roles: calls that reached a priced provider
   * (cache hits and unpriced models cost 0). Like `tokens`, checked before each
   * call against what is spent, so it can be passed by at most the calls in flight.
   */
  costUsd?: number;
}

export interface BudgetSpent {
  targetCalls: number;
  optimizerCalls: number;
  tokens: number;
}

const isTarget = (role: CallRole | undefined) => (role ?? 'target') === 'target';

/**
 * Spending limits shared by every call a run makes. The meter middleware
 * calls `reserve` before a call (throwing BudgetExhausted when the call would
 * go past a call limit or the token limit is already reached) and `record`
 * after it. Optimizers read `remaining()` to plan; they never count themselves.
 */
export class Budget {
  readonly spent: BudgetSpent = { targetCalls: 0, optimizerCalls: 0, tokens: 0 };
  /** USD spent so far (limits.costUsd). */
  spentUsd = 0;
  constructor(readonly limits: BudgetLimits = {}) {}

  static unlimited(): Budget {
    return new Budget({});
  }

  /** Would one more call of this role fit? */
  canCall(role?: CallRole): boolean {
    const { targetCalls, optimizerCalls, tokens, costUsd } = this.limits;
    if (tokens !== undefined && this.spent.tokens >= tokens) return false;
    if (costUsd !== undefined && this.spentUsd >= costUsd) return false;
    if (isTarget(role)) return targetCalls === undefined || this.spent.targetCalls + 1 <= targetCalls;
    return optimizerCalls === undefined || this.spent.optimizerCalls + 1 <= optimizerCalls;
  }

  /** Tokens reserved by calls still in flight (estimates, replaced by actual usage on record). */
  private inflightTokens = 0;

  /**
   * Reserve one call or throw BudgetExhausted. `estTokens` is the caller's
   * estimate of the call's total tokens: with a token limit, a call is refused
   * when spent + in-flight estimates + its own estimate would pass the limit, so
   * concurrent calls cannot overshoot it together.
   */
  reserve(role?: CallRole, estTokens = 0): void {
    const { targetCalls, optimizerCalls, tokens, costUsd } = this.limits;
    if (costUsd !== undefined && this.spentUsd >= costUsd) throw new BudgetExhausted('cost USD', this.spentUsd, costUsd);
    if (tokens !== undefined && this.spent.tokens + this.inflightTokens + Math.max(estTokens, 1) > tokens)
      throw new BudgetExhausted('tokens', this.spent.tokens, tokens);
    if (isTarget(role)) {
      if (targetCalls !== undefined && this.spent.targetCalls + 1 > targetCalls)
        throw new BudgetExhausted('target calls', this.spent.targetCalls, targetCalls);
      this.spent.targetCalls++;
    } else {
      if (optimizerCalls !== undefined && this.spent.optimizerCalls + 1 > optimizerCalls)
        throw new BudgetExhausted('optimizer calls', this.spent.optimizerCalls, optimizerCalls);
      this.spent.optimizerCalls++;
    }
    this.inflightTokens += estTokens;
  }

  /** Give back a reserved call that never reached the provider (e.g. it failed for good). */
  release(role?: CallRole, estTokens = 0): void {
    this.inflightTokens = Math.max(0, this.inflightTokens - estTokens);
    if (isTarget(role)) this.spent.targetCalls = Math.max(0, this.spent.targetCalls - 1);
    else this.spent.optimizerCalls = Math.max(0, this.spent.optimizerCalls - 1);
  }

  /** Record a finished call's usage, replacing its reserved estimate. */
  record(usage: Usage, estTokens = 0): void {
    this.inflightTokens = Math.max(0, this.inflightTokens - estTokens);
    this.spent.tokens += usage.promptTokens + usage.completionTokens;
  }

  /** Record a finished call's cost in USD (0 for cache hits and unpriced models). */
  recordCost(usd: number): void {
    this.spentUsd += usd;
  }

  remaining(): { targetCalls: number; optimizerCalls: number; tokens: number } {
    const { targetCalls, optimizerCalls, tokens } = this.limits;
    return {
      targetCalls: targetCalls === undefined ? Infinity : targetCalls - this.spent.targetCalls,
      optimizerCalls: optimizerCalls === undefined ? Infinity : optimizerCalls - this.spent.optimizerCalls,
      tokens: tokens === undefined ? Infinity : tokens - this.spent.tokens,
    };
  }

  get exhausted(): boolean {
    return !this.canCall('target') || !this.canCall('optimizer');
  }
}
