import { AsyncLocalStorage } from 'node:async_hooks';
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

  // ------------------------------------------------------------ ordered admission

  /** Calls asked for through `admit`, not yet decided, in the order asked. */
  private readonly queue: AdmissionTicket[] = [];
  /** Admitted calls still running: how many, and the sum of their finite token bounds. */
  private running = 0;
  private runningUpper = 0;
  private runningUnbounded = 0;
  private runningUpperUsd = 0;
  private runningUnboundedUsd = 0;

  /**
   * Admit one call, deciding calls strictly in the order they were asked for,
   * exactly as if each ran alone after all earlier ones finished: a call is
   * admitted iff its role's call limit has room and
   *   tokens spent by all earlier admitted calls + `estTokens` ≤ token limit.
   * So whatever the concurrency, the same calls are admitted (a run is
   * byte-identical to one at concurrency 1). While earlier calls are in
   * flight, a call whose admission their outcome could change waits for them;
   * `upperTokens` (a bound on what the call can cost; Infinity when unknown)
   * is what lets later calls proceed without waiting while the limit is far.
   * Resolves with a ticket for `settle`, or rejects with BudgetExhausted.
   */
  admit(role: CallRole | undefined, estTokens: number, upperTokens: number = Infinity, upperUsd: number = Infinity): Promise<AdmissionTicket> {
    const ticket = new AdmissionTicket(role, Math.max(0, estTokens), Math.max(estTokens, upperTokens), Math.max(0, upperUsd));
    const group = currentGroup.getStore();
    if (group && group.batch.budget === this) {
      ticket.group = group;
      // Serial order: a later call of an earlier job of the batch goes before the calls of later jobs.
      let at = this.queue.length;
      while (at > 0) {
        const g = this.queue[at - 1]!.group;
        if (!(g && g.batch === group.batch && g.index > group.index)) break;
        at--;
      }
      this.queue.splice(at, 0, ticket);
    } else this.queue.push(ticket);
    this.pump();
    return ticket.decided;
  }

  /**
   * A call admitted by `admit` finished: with its usage and cost in USD, or
   * failed for good (`usage` undefined: the call is given back).
   */
  settle(ticket: AdmissionTicket, usage?: Usage, usd = 0): void {
    if (ticket.settled) return;
    ticket.settled = true;
    this.running--;
    if (Number.isFinite(ticket.upper)) this.runningUpper -= ticket.upper;
    else this.runningUnbounded--;
    if (Number.isFinite(ticket.upperUsd)) this.runningUpperUsd -= ticket.upperUsd;
    else this.runningUnboundedUsd--;
    this.spentUsd += usd;
    const g = ticket.group?.spent;
    if (usage) {
      this.spent.tokens += usage.promptTokens + usage.completionTokens;
      if (g) g.tokens += usage.promptTokens + usage.completionTokens;
    } else if (isTarget(ticket.role)) {
      this.spent.targetCalls = Math.max(0, this.spent.targetCalls - 1);
      if (g) g.targetCalls--;
    } else {
      this.spent.optimizerCalls = Math.max(0, this.spent.optimizerCalls - 1);
      if (g) g.optimizerCalls--;
    }
    this.pump();
  }

  /** Has this budget any limit at all (else every call is admitted, in any order)? */
  private get limited(): boolean {
    const { targetCalls, optimizerCalls, tokens, costUsd } = this.limits;
    return [targetCalls, optimizerCalls, tokens, costUsd].some((v) => v !== undefined && v !== Infinity);
  }

  /**
   * An ordered batch of `size` jobs (see `AdmissionBatch`): run job i inside
   * `batch.run(i, fn)`. Its calls are decided after every call of jobs 0..i-1,
   * as if the jobs ran one after another; once a call of job k is refused, every
   * call of the jobs after k is refused too (without counting), since run one
   * after another they would never have been made.
   */
  orderedBatch(size: number): AdmissionBatch {
    return new AdmissionBatch(this, size);
  }

  /** Re-examine the queue (a group of an ordered batch was sealed). */
  wake(): void {
    this.pump();
  }

  /** Decide queued calls in order; the first that must wait holds back those after it. */
  private pump(): void {
    while (this.queue.length > 0) {
      const t = this.queue[0]!;
      const group = t.group;
      if (group && group.index > group.batch.cutAt) {
        // An earlier job of its batch was cut by the budget: run one after another, this call is never made.
        this.queue.shift();
        t.reject(group.batch.cut!);
        continue;
      }
      // An earlier job of its batch may still ask for calls, which come first in the serial order.
      if (group && this.limited && group.batch.openBefore(group.index)) return;
      const decision = this.decide(t);
      if (decision === 'wait') return;
      this.queue.shift();
      if (decision instanceof BudgetExhausted) {
        if (group && group.index < group.batch.cutAt) {
          group.batch.cutAt = group.index;
          group.batch.cut = decision;
        }
        t.reject(decision);
        continue;
      }
      if (isTarget(t.role)) this.spent.targetCalls++;
      else this.spent.optimizerCalls++;
      if (group) {
        if (isTarget(t.role)) group.spent.targetCalls++;
        else group.spent.optimizerCalls++;
      }
      this.running++;
      if (Number.isFinite(t.upper)) this.runningUpper += t.upper;
      else this.runningUnbounded++;
      if (Number.isFinite(t.upperUsd)) this.runningUpperUsd += t.upperUsd;
      else this.runningUnboundedUsd++;
      t.resolve();
    }
  }

  private decide(t: AdmissionTicket): 'admit' | 'wait' | BudgetExhausted {
    const { targetCalls, optimizerCalls, tokens, costUsd } = this.limits;
    // Cost, like at concurrency 1: refused once what earlier calls spent reaches the cap.
    if (costUsd !== undefined) {
      if (this.spentUsd >= costUsd) return new BudgetExhausted('cost USD', this.spentUsd, costUsd);
      if (this.running > 0 && !(this.runningUnboundedUsd === 0 && this.spentUsd + this.runningUpperUsd < costUsd)) return 'wait';
    }
    if (isTarget(t.role)) {
      if (targetCalls !== undefined && this.spent.targetCalls + 1 > targetCalls)
        return new BudgetExhausted('target calls', this.spent.targetCalls, targetCalls);
    } else if (optimizerCalls !== undefined && this.spent.optimizerCalls + 1 > optimizerCalls)
      return new BudgetExhausted('optimizer calls', this.spent.optimizerCalls, optimizerCalls);
    if (tokens === undefined) return 'admit';
    // Spent only grows: if the call does not fit now, it never will.
    if (this.spent.tokens + Math.max(t.est, 1) > tokens) return new BudgetExhausted('tokens', this.spent.tokens, tokens);
    if (this.running === 0) return 'admit';
    if (this.runningUnbounded === 0 && this.spent.tokens + this.runningUpper + t.est <= tokens) return 'admit';
    return 'wait';
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

/** The job of an ordered batch the calls made inside `AdmissionBatch.run` belong to. */
const currentGroup = new AsyncLocalStorage<AdmissionGroup>();

/** One job of an ordered batch. */
export class AdmissionGroup {
  /** What this job's calls spent: calls admitted (net of calls given back), tokens of its settled calls. */
  readonly spent: BudgetSpent = { targetCalls: 0, optimizerCalls: 0, tokens: 0 };
  /** No more calls will come from this job. */
  sealed = false;
  constructor(
    readonly batch: AdmissionBatch,
    readonly index: number,
  ) {}
}

/**
 * Jobs run at once whose calls the budget decides exactly as if the jobs ran
 * one after another, in index order (`Budget.orderedBatch`). A job's calls
 * wait (only while the budget has a limit) until every earlier job is sealed —
 * has issued all its calls — so a job that issues all its calls at once (an
 * evaluation) is sealed right after it starts and the jobs' calls go out
 * together; a job sealed only when it settles makes later jobs wait for it.
 * Once a call of job k is refused (`cut`), calls of jobs after k are refused
 * too and never counted.
 */
export class AdmissionBatch {
  readonly groups: AdmissionGroup[];
  /** Index of the first job a call of which the budget refused (Infinity: none). */
  cutAt = Infinity;
  cut: BudgetExhausted | undefined;
  constructor(
    readonly budget: Budget,
    size: number,
  ) {
    this.groups = Array.from({ length: size }, (_, i) => new AdmissionGroup(this, i));
  }

  /** Run `fn` as job `index`: every call made inside it, now or later, is a call of that job. */
  run<T>(index: number, fn: () => T): T {
    return currentGroup.run(this.groups[index]!, fn);
  }

  /** Job `index` will make no more calls. */
  seal(index: number): void {
    const g = this.groups[index]!;
    if (g.sealed) return;
    g.sealed = true;
    this.budget.wake();
  }

  openBefore(index: number): boolean {
    for (let i = 0; i < index; i++) if (!this.groups[i]!.sealed) return true;
    return false;
  }

  /** Is a job of any ordered batch running here (its calls would join that job)? */
  static get inJob(): boolean {
    return currentGroup.getStore() !== undefined;
  }
}

/** One call's place in `Budget.admit`'s order. */
export class AdmissionTicket {
  settled = false;
  /** The ordered-batch job it belongs to, if any. */
  group: AdmissionGroup | undefined;
  resolve!: () => void;
  reject!: (err: BudgetExhausted) => void;
  readonly decided: Promise<AdmissionTicket>;
  constructor(
    readonly role: CallRole | undefined,
    readonly est: number,
    readonly upper: number,
    readonly upperUsd: number,
  ) {
    this.decided = new Promise<AdmissionTicket>((resolve, reject) => {
      this.resolve = () => resolve(this);
      this.reject = reject;
    });
  }
}
