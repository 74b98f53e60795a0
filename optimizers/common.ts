/**
 * Shared machinery for optimizers: the trajectory recorder, optimizer-LLM
 * calls, wrapper parsing and clean stopping on budget exhaustion. Optimizers
 * never count calls or tokens themselves: the budget meter in the LLM stack
 * does, and throws BudgetExhausted before any call past the limit.
 */
import { z } from 'zod';
import { AdmissionBatch, type Budget, type BudgetSpent } from '../core/budget.js';
import { BudgetExhausted } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { createEvaluator, promptKey } from '../core/evaluator.js';
import type { CallRole, EvalOptions, EvalResult, Example, LLM, Message, OptimizerContext, Position, Prompt, Task } from '../core/types.js';
import type { Candidate, OptimizeResult, ReflectionRecord, Trajectory } from './types.js';

export interface AskOptions {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  /** Number of independent samples of the same meta-prompt (each its own call and sample index). */
  samples?: number;
  /**
   * Choices asked for in ONE call (the request's `n`, as reference code that
   * calls the OpenAI API with n does). When the endpoint returns fewer
   * choices (it ignores n), the rest are asked as separate calls.
   */
  n?: number;
  /** Who the call is for (budget accounting); default 'optimizer' ('rewriter' for per-query rewriters). */
  role?: CallRole;
  /** A system message sent before the meta-prompt (e.g. DSPy's ChatAdapter field description). */
  system?: string;
  /** Send the meta-prompt as a raw completion (`LLMRequest.prompt`, `/v1/completions`), with no chat template. */
  raw?: boolean;
}

/** The chat messages of one meta-prompt: an optional system message, then the user message. */
function metaMessages(metaPrompt: string, system?: string) {
  return [...(system !== undefined ? [{ role: 'system' as const, content: system }] : []), { role: 'user' as const, content: metaPrompt }];
}

export interface ProposalInfo {
  parents?: string[];
  origin: string;
  step: number;
  metaPrompt?: string;
  rawReply?: string;
}

/** What to score a prompt on. */
export interface ScoreItem {
  examples: readonly Example[];
  opts?: EvalOptions;
}

/**
 * A job of `inOrder`. `issuesAtOnce`: the job makes every budgeted call
 * synchronously when started (as an evaluation without rewriting does), so
 * later jobs need not wait for it to finish before their calls are decided.
 */
export type InOrderJob<T> = (() => Promise<T>) & { issuesAtOnce?: true };

export interface InOrderRun<T> {
  /** Values of the jobs before the first that failed (all of them when none failed). */
  values: T[];
  /** Budget spent after each of those jobs (and after the failed one), as if the jobs ran one after another. */
  spentAfter: BudgetSpent[];
  /** Index of the first failed job: it threw, or the budget refused one of its calls. */
  failedAt?: number;
  error?: unknown;
}

const addSpent = (a: BudgetSpent, b: BudgetSpent): BudgetSpent => ({
  targetCalls: a.targetCalls + b.targetCalls,
  optimizerCalls: a.optimizerCalls + b.optimizerCalls,
  tokens: a.tokens + b.tokens,
});

/**
 * Run independent jobs at once with the outcome of running them one after
 * another, in order, stopping at the first that fails — whatever the
 * endpoints' concurrency and whenever replies arrive. The budget decides the
 * jobs' calls in that serial order (`Budget.orderedBatch`): job i's calls
 * after all of job i-1's, and once a call of job k is refused, no call of a
 * later job is made. Jobs after a failed one still run to their end (calls
 * already sent are awaited), but their values are dropped. Call it with no
 * call of the budget in flight, and record what the jobs did from its result
 * in order (their own side effects happen in any order). Inside a job of
 * another `inOrder`, the jobs run one after another.
 */
export async function inOrder<T>(budget: Budget, jobs: ReadonlyArray<InOrderJob<T>>): Promise<InOrderRun<T>> {
  if (oneAfterAnother || AdmissionBatch.inJob || jobs.length <= 1) return serially(budget, jobs);
  const base = { ...budget.spent };
  const batch = budget.orderedBatch(jobs.length);
  const started = jobs.map((job, i) =>
    batch.run(i, () => {
      let p: Promise<T>;
      try {
        p = job();
      } catch (err) {
        p = Promise.reject(err);
      }
      if (job.issuesAtOnce) batch.seal(i);
      return p.finally(() => batch.seal(i));
    }),
  );
  const settled = await Promise.allSettled(started);
  const run: InOrderRun<T> = { values: [], spentAfter: [] };
  let spent = base;
  for (const [i, s] of settled.entries()) {
    spent = addSpent(spent, batch.groups[i]!.spent);
    run.spentAfter.push(spent);
    if (s.status === 'rejected' || i === batch.cutAt) {
      run.failedAt = i;
      run.error = s.status === 'rejected' ? s.reason : batch.cut;
      break;
    }
    run.values.push(s.value);
  }
  return run;
}

/** One evaluation as an `inOrder` job: it issues all its calls at once (unless inputs are rewritten first). */
export function evaluationJob(ctx: OptimizerContext, prompt: Prompt, examples: readonly Example[], opts?: EvalOptions): InOrderJob<EvalResult> {
  const job = () => ctx.evaluator.evaluate(prompt, examples, opts);
  return opts?.rewrite ? job : Object.assign(job, { issuesAtOnce: true as const });
}

/**
 * Evaluate prompts (not recorded as scores) at once with the outcome of
 * `for (const [i, it] of items.entries()) onEach(await ctx.evaluator.evaluate(it.prompt, it.examples, it.opts), i)`:
 * `onEach` runs in order for the evaluations before the first that failed, whose error is then thrown;
 * it is given the budget spent at that point of the serial order (read that, not `ctx.budget.spent`).
 */
export async function evaluateAll(
  ctx: OptimizerContext,
  items: ReadonlyArray<ScoreItem & { prompt: Prompt }>,
  /** `spent`: the budget spent when the evaluation finished, as one after another. */
  onEach: (result: EvalResult, index: number, spent: BudgetSpent) => void = () => {},
): Promise<EvalResult[]> {
  const run = await inOrder(ctx.budget, items.map((it) => evaluationJob(ctx, it.prompt, it.examples, it.opts)));
  run.values.forEach((v, i) => onEach(v, i, run.spentAfter[i]!));
  if (run.failedAt !== undefined) throw run.error;
  return run.values;
}

let oneAfterAnother = false;

/**
 * Make `inOrder` run its jobs one after another (true) or at once (false, the
 * default). One after another is the definition the concurrent run must equal;
 * tests compare the two.
 */
export function setInOrderSerial(on: boolean): void {
  oneAfterAnother = on;
}

async function serially<T>(budget: Budget, jobs: ReadonlyArray<InOrderJob<T>>): Promise<InOrderRun<T>> {
  const run: InOrderRun<T> = { values: [], spentAfter: [] };
  for (const [i, job] of jobs.entries()) {
    try {
      run.values.push(await job());
      run.spentAfter.push({ ...budget.spent });
    } catch (err) {
      run.spentAfter.push({ ...budget.spent });
      run.failedAt = i;
      run.error = err;
      break;
    }
  }
  return run;
}

/** One optimize() call's record: candidates, reflections, steps, and the incumbent. */
export class Recorder {
  readonly trajectory: Trajectory = { candidates: [], reflections: [], steps: [] };
  private readonly byKey = new Map<string, Candidate>();
  private sampleCounter = 0;

  constructor(
    readonly ctx: OptimizerContext,
    readonly optimizer: string,
  ) {}

  private spent() {
    return { ...this.ctx.budget.spent };
  }

  /** Has a candidate with this prompt been proposed? */
  has(prompt: Prompt): boolean {
    return this.byKey.has(promptKey(prompt));
  }

  /** Record a proposed prompt. A prompt seen before returns the existing candidate (dedupe). */
  propose(prompt: Prompt, info: ProposalInfo): { candidate: Candidate; isNew: boolean } {
    return this.proposeAt(prompt, info, this.spent());
  }

  private proposeAt(prompt: Prompt, info: ProposalInfo, spent: BudgetSpent): { candidate: Candidate; isNew: boolean } {
    const key = promptKey(prompt);
    const seen = this.byKey.get(key);
    if (seen) return { candidate: seen, isNew: false };
    const candidate: Candidate = {
      id: `c${this.trajectory.candidates.length}`,
      prompt,
      parents: info.parents ?? [],
      step: info.step,
      origin: info.origin,
      ...(info.metaPrompt !== undefined ? { metaPrompt: info.metaPrompt } : {}),
      ...(info.rawReply !== undefined ? { rawReply: info.rawReply } : {}),
      spentAtProposal: spent,
    };
    this.byKey.set(key, candidate);
    this.trajectory.candidates.push(candidate);
    this.ctx.log.emit({ type: 'candidate', optimizer: this.optimizer, ...candidate });
    return { candidate, isNew: true };
  }

  /** Score a candidate on examples with the evaluator; records the score (mean accuracy) and spend. */
  async score(candidate: Candidate, examples: readonly Example[], opts?: EvalOptions): Promise<EvalResult> {
    const result = await this.ctx.evaluator.evaluate(candidate.prompt, examples, opts);
    this.recordScore(candidate, result, this.spent());
    return result;
  }

  /**
   * Score candidates as `for (const it of items) await this.score(it.candidate,
   * it.examples, it.opts)` would — same scores, events in the same order, the
   * same budget spent at each score, the same calls admitted when the budget
   * runs out — but all at once (`inOrder`). When one fails, those before it are
   * recorded (and passed to `onScored`) and its error is thrown.
   */
  async scoreAll(
    items: ReadonlyArray<ScoreItem & { candidate: Candidate }>,
    /** Called after each score is recorded, in order (what the serial loop does after each score). */
    onScored?: (result: EvalResult, index: number) => void,
  ): Promise<EvalResult[]> {
    const run = await inOrder(this.ctx.budget, items.map((it) => this.evaluation(it)));
    run.values.forEach((result, i) => {
      this.recordScore(items[i]!.candidate, result, run.spentAfter[i]!);
      onScored?.(result, i);
    });
    if (run.failedAt !== undefined) throw run.error;
    return run.values;
  }

  /** `scoreAll` of the candidates not scored yet (each once, in order) on `examples`: `for (c of cs) if (c.score === undefined) await this.score(c, examples)`. */
  scoreUnscored(candidates: readonly Candidate[], examples: readonly Example[], opts?: EvalOptions): Promise<EvalResult[]> {
    const todo = candidates.filter((c, i) => c.score === undefined && candidates.indexOf(c) === i);
    return this.scoreAll(todo.map((candidate) => ({ candidate, examples, ...(opts ? { opts } : {}) })));
  }

  /**
   * Propose and score prompts as this serial loop would, but scoring all at once (`inOrder`):
   *
   *   for (const it of items) {
   *     const { candidate, isNew } = this.propose(it.prompt, it.info);
   *     if (when === 'new' ? isNew : candidate.score === undefined) await this.score(candidate, it.examples, it.opts);
   *   }
   *
   * Same candidates, ids, events and order, budget spent at each proposal and
   * score, and calls admitted. When a scoring fails, the items before it and
   * its own proposal are recorded and its error is thrown.
   */
  async proposeAndScore(
    items: ReadonlyArray<ScoreItem & { prompt: Prompt; info: ProposalInfo }>,
    when: 'new' | 'unscored' = 'new',
  ): Promise<Array<{ candidate: Candidate; isNew: boolean; result?: EvalResult }>> {
    // Which items the loop would score: the first of each prompt that is new (or not scored yet).
    const planned = new Set<string>();
    const jobs: Array<() => Promise<EvalResult>> = [];
    const jobOf = items.map((it) => {
      const key = promptKey(it.prompt);
      const seen = this.byKey.get(key);
      if (planned.has(key) || (seen && (when === 'new' || seen.score !== undefined))) return -1;
      planned.add(key);
      jobs.push(this.evaluation(it));
      return jobs.length - 1;
    });
    const base = this.spent();
    const run = await inOrder(this.ctx.budget, jobs);
    const out: Array<{ candidate: Candidate; isNew: boolean; result?: EvalResult }> = [];
    for (const [i, it] of items.entries()) {
      const j = jobOf[i]!;
      const { candidate, isNew } = this.proposeAt(it.prompt, it.info, j > 0 ? run.spentAfter[j - 1]! : j === 0 ? base : this.lastSpent(run, jobOf, i, base));
      if (j < 0) {
        out.push({ candidate, isNew });
        continue;
      }
      if (j === run.failedAt) throw run.error;
      const result = run.values[j]!;
      this.recordScore(candidate, result, run.spentAfter[j]!);
      out.push({ candidate, isNew, result });
    }
    return out;
  }

  /** The spend after the last job before item i (base when none). */
  private lastSpent(run: { spentAfter: BudgetSpent[] }, jobOf: readonly number[], i: number, base: BudgetSpent): BudgetSpent {
    for (let k = i - 1; k >= 0; k--) if (jobOf[k]! >= 0) return run.spentAfter[jobOf[k]!]!;
    return base;
  }

  private evaluation(it: ScoreItem & { prompt?: Prompt; candidate?: Candidate }): InOrderJob<EvalResult> {
    return evaluationJob(this.ctx, it.candidate?.prompt ?? it.prompt!, it.examples, it.opts);
  }

  private recordScore(candidate: Candidate, result: EvalResult, spent: BudgetSpent): void {
    candidate.score = result.accuracy;
    candidate.spentAtScore = spent;
    this.ctx.log.emit({
      type: 'evaluation',
      optimizer: this.optimizer,
      candidateId: candidate.id,
      score: result.accuracy,
      n: result.n,
      spent: candidate.spentAtScore,
    });
  }

  /** Send a meta-prompt to the optimizer LLM; each sample is its own call with a fresh sample index. */
  async ask(metaPrompt: string, opts: AskOptions = {}): Promise<string[]> {
    if (opts.n !== undefined && opts.n > 1) return this.askN(metaPrompt, opts.n, opts);
    const samples = opts.samples ?? 1;
    const indices = Array.from({ length: samples }, () => this.sampleCounter++);
    const replies = await Promise.allSettled(
      indices.map((sampleIndex) =>
        this.ctx.optimizer.complete({
          messages: metaMessages(metaPrompt, opts.system),
          ...(opts.raw ? { prompt: metaPrompt } : {}),
          temperature: opts.temperature ?? 1,
          ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
          maxTokens: opts.maxTokens ?? 1024,
          sampleIndex,
          role: opts.role ?? 'optimizer',
        }),
      ),
    );
    const texts: string[] = [];
    let error: unknown;
    for (const r of replies) {
      if (r.status === 'fulfilled') texts.push(r.value.choices[0]?.text ?? '');
      else error ??= r.reason;
    }
    if (texts.length === 0 && error) throw error;
    return texts;
  }

  /** One call asking for `n` choices; missing choices are topped up with separate calls. */
  private async askN(metaPrompt: string, n: number, opts: AskOptions): Promise<string[]> {
    const res = await this.ctx.optimizer.complete({
      messages: metaMessages(metaPrompt, opts.system),
      ...(opts.raw ? { prompt: metaPrompt } : {}),
      temperature: opts.temperature ?? 1,
      ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
      maxTokens: opts.maxTokens ?? 1024,
      n,
      sampleIndex: this.sampleCounter++,
      role: opts.role ?? 'optimizer',
    });
    const texts = res.choices.slice(0, n).map((c) => c.text ?? '');
    if (texts.length >= n) return texts;
    const { n: _n, ...rest } = opts;
    return [...texts, ...(await this.ask(metaPrompt, { ...rest, samples: n - texts.length }))];
  }

  /**
   * Send a multi-turn conversation (system / user / assistant turns) to the
   * optimizer LLM as one call with a fresh sample index; returns the reply text.
   */
  async chat(messages: Message[], opts: Omit<AskOptions, 'samples'> = {}): Promise<string> {
    const res = await this.ctx.optimizer.complete({
      messages,
      temperature: opts.temperature ?? 1,
      ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
      maxTokens: opts.maxTokens ?? 1024,
      sampleIndex: this.sampleCounter++,
      role: opts.role ?? 'optimizer',
    });
    return res.choices[0]?.text ?? '';
  }

  reflect(record: ReflectionRecord): void {
    this.trajectory.reflections.push(record);
    this.ctx.log.emit({ type: 'reflection', optimizer: this.optimizer, ...record });
  }

  /** Best scored candidate so far (ties: earliest). */
  best(): Candidate | undefined {
    let best: Candidate | undefined;
    for (const c of this.trajectory.candidates)
      if (c.score !== undefined && (best === undefined || c.score > best.score!)) best = c;
    return best;
  }

  /** Close a step; `incumbent` overrides the default (best scored so far) for searches that keep their own incumbent. */
  stepDone(step: number, incumbent?: Candidate): void {
    const best = incumbent?.score !== undefined ? incumbent : this.best();
    if (!best) return;
    const rec = { step, bestId: best.id, bestScore: best.score!, spent: this.spent() };
    this.trajectory.steps.push(rec);
    this.ctx.log.emit({ type: 'step', optimizer: this.optimizer, ...rec });
  }

  /** Finish: the incumbent (or the fallback prompt when nothing was scored). */
  result(stoppedBy: 'done' | 'budget', fallback: Prompt, extra: Partial<OptimizeResult> = {}): OptimizeResult {
    const best = this.best();
    return {
      best: best?.prompt ?? fallback,
      bestScore: best?.score ?? 0,
      trajectory: this.trajectory,
      stoppedBy,
      ...extra,
    };
  }
}

/**
 * Run an optimizer's main loop; a BudgetExhausted thrown anywhere inside ends
 * it cleanly ("budget"), any other error propagates.
 */
export async function untilBudget(loop: () => Promise<void>): Promise<'done' | 'budget'> {
  try {
    await loop();
    return 'done';
  } catch (err) {
    if (err instanceof BudgetExhausted) return 'budget';
    throw err;
  }
}

/** Text between <tag> and </tag> (last complete pair), trimmed; null when absent. */
export function between(text: string, open: string, close: string): string | null {
  const end = text.lastIndexOf(close);
  if (end < 0) return null;
  const start = text.lastIndexOf(open, end);
  if (start < 0) return null;
  return text.slice(start + open.length, end).trim();
}

/** Every text between <tag> and </tag> pairs, in order. */
export function allBetween(text: string, open: string, close: string): string[] {
  const out: string[] = [];
  let from = 0;
  for (;;) {
    const s = text.indexOf(open, from);
    if (s < 0) break;
    const e = text.indexOf(close, s + open.length);
    if (e < 0) break;
    out.push(text.slice(s + open.length, e).trim());
    from = e + close.length;
  }
  return out;
}

/**
 * Python's round() for non-negative values: round half to even. OPRO shows
 * scores as round(100·acc) in its meta-prompt (OPRO §5.1), so 12.5 → 12, 13.5 → 14; like Python it
 * acts on the exact double, so 0.145·100 = 14.499… → 14.
 */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const diff = x - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Zod schema for a step/round count option: a non-negative integer or
 * Infinity (JSON/YAML configs may write "Infinity" or "inf"), so that in
 * equal-budget mode the budget, not the schedule, ends the run.
 */
export function countSchema() {
  return z.union([
    z.number().int().nonnegative(),
    z.literal(Infinity),
    z.enum(['Infinity', 'inf']).transform(() => Infinity),
  ]);
}

/** Instruction → Prompt at `position`, keeping the starting prompt's demos (instruction-only optimizers). */
export function instructionPrompt(ctx: OptimizerContext, position: Position): (instruction: string) => Prompt {
  const demos = ctx.initial?.demos;
  const layout = ctx.initial?.layout;
  return (instruction) => ({ instruction, position, ...(layout ? { layout } : {}), ...(demos && demos.length > 0 ? { demos } : {}) });
}

/**
 * The examples candidates are scored on: all of dev, or a fixed sample of
 * `scoreExamples` drawn once per run from the stream `<label>-score-set`.
 */
export function scoreSetOf(ctx: OptimizerContext, scoreExamples: number | 'all', label: string): readonly Example[] {
  return scoreExamples === 'all' ? ctx.dev : ctx.rng.derive(`${label}-score-set`).sample(ctx.dev, scoreExamples);
}

/**
 * Scores an optimization result after the search, outside its budget: the best
 * prompt on `target`, with a per-query optimizer's rewriting rebound to
 * `rewriterModel` (inference cost is not search cost).
 */
export function resultScorer(task: Task, result: OptimizeResult, target: LLM, rewriterModel: LLM) {
  const evaluator = createEvaluator(task, target);
  const rewrite = result.rewriterOn?.(rewriterModel) ?? result.rewriter;
  return {
    perQuery: rewrite !== undefined,
    evaluate: (examples: readonly Example[]): Promise<EvalResult> => evaluator.evaluate(result.best, examples, rewrite ? { rewrite } : {}),
  };
}

/**
 * The random stream of one optimization: keyed by (seed, optimizer, task) only,
 * so the same optimizer on the same task and seed draws the same numbers
 * whatever the target model, budget or test-set size (common random numbers
 * for paired comparisons), and `popbench optimize` reproduces a suite cell.
 */
export function optimizerRng(seed: number, optimizer: string, taskId: string): Rng {
  return new Rng(seed).derive(`optimize:${optimizer}:${taskId}`);
}

/**
 * The context of one optimization run: the target's evaluator, the random
 * stream keyed by (seed, optimizer, task) (`optimizerRng`) and the starting prompt.
 */
export function optimizerContext(o: {
  optimizerName: string;
  seed: number;
  task: Task;
  train: readonly Example[];
  dev: readonly Example[];
  target: LLM;
  optimizer: LLM;
  budget: OptimizerContext['budget'];
  log: OptimizerContext['log'];
  /** The starting prompt (optimizers/setup.ts `resolveRun`); none = the empty instruction. */
  initial?: Prompt;
}): OptimizerContext {
  return {
    ...(o.initial ? { initial: o.initial } : {}),
    task: o.task,
    train: o.train,
    dev: o.dev,
    target: o.target,
    optimizer: o.optimizer,
    evaluator: createEvaluator(o.task, o.target),
    budget: o.budget,
    rng: optimizerRng(o.seed, o.optimizerName, o.task.id),
    log: o.log,
  };
}

/** Task family of a task id: "gsm8k", "bbh", "mmlu" or "like". */
export function taskFamily(taskId: string): string {
  return taskId.split(/[/?]/, 1)[0]!;
}

/**
 * Equal-budget step scaling (docs/optimizers.md, "Budgets"): the number of
 * examples each candidate is scored on, shrunk so that a run can afford its
 * start-up evaluations plus one full step within the target-call budget.
 *
 *   n' = min(n, max(1, ⌊B / (c_start + c_step)⌋))
 *
 * where B is the target-call limit (no limit: n unchanged), c_start the
 * candidates scored before the first step and c_step the candidates scored in
 * one step, each on n' examples. Memoized re-scorings cost nothing and are not
 * counted. The result is recorded by the caller (event `budget-scaled`).
 */
export function fitEvalSize(ctx: OptimizerContext, n: number, cStart: number, cStep: number): number {
  const B = ctx.budget.limits.targetCalls;
  if (B === undefined || !Number.isFinite(B)) return n;
  const per = cStart + cStep;
  if (per <= 0) return n;
  return Math.min(n, Math.max(1, Math.floor(B / per)));
}

/** Apply `fitEvalSize` and log the change (event `budget-scaled`) when it shrinks n. */
export function fitEvalSizeLogged(ctx: OptimizerContext, optimizer: string, what: string, n: number, cStart: number, cStep: number): number {
  const fitted = fitEvalSize(ctx, n, cStart, cStep);
  if (fitted < n) ctx.log.emit({ type: 'budget-scaled', optimizer, what, from: n, to: fitted, targetCalls: ctx.budget.limits.targetCalls, cStart, cStep });
  return fitted;
}
