/**
 * A real optimizer context on the simulated world for tests and benchmarks:
 * sim target and optimizer models behind the real middleware stack (budget
 * meter included), an evaluator, and provider-level call counters that sit
 * below every middleware, so tests can check budgets against what actually
 * reached the models.
 */
import { Budget, type BudgetLimits } from '../core/budget.js';
import { createEvaluator } from '../core/evaluator.js';
import { Rng } from '../core/rng.js';
import type { EventSink, LLM, OptimizerContext, RunEvent } from '../core/types.js';
import { buildStack, createProvider, lookupModel, UsageMeter } from '../llm/index.js';
import { SimWorld, type SimOptimizerOverrides } from '../sim/index.js';
import { loadTask } from '../tasks/registry.js';

export interface TestContextOptions {
  /** Task id; generated like/ tasks need no data directory. */
  task: string;
  target?: string;
  optimizer?: string;
  budget?: BudgetLimits;
  seed?: number;
  trainSize?: number;
  devSize?: number;
  dataDir?: string;
  /** Parameter overrides of the sim optimizer model (e.g. `{ recognise: 0 }`; sim/params.ts OptimizerParams). */
  simOptimizer?: SimOptimizerOverrides;
}

/** Counts the calls that reach a provider, per role. */
function counting(llm: LLM, counts: Map<string, number>): LLM {
  return {
    provider: llm.provider,
    model: llm.model,
    complete(req, signal) {
      const role = req.role ?? 'target';
      counts.set(role, (counts.get(role) ?? 0) + 1);
      return llm.complete(req, signal);
    },
  };
}

export async function makeTestContext(opts: TestContextOptions) {
  const seed = opts.seed ?? 0;
  const task = loadTask(opts.task, { seed, ...(opts.dataDir ? { dataDir: opts.dataDir } : {}) });
  const world = new SimWorld();
  world.register(task);
  const budget = new Budget(opts.budget ?? {});
  const usage = new UsageMeter();
  const counts = new Map<string, number>();
  const stacked = (name: string, simOptimizer?: SimOptimizerOverrides) =>
    buildStack(counting(createProvider(lookupModel(name), { world, ...(simOptimizer ? { simOptimizer } : {}) }), counts), { meter: usage, budget, timeoutMs: 0 });
  const target = stacked(opts.target ?? 'sim-8b');
  const optimizer = stacked(opts.optimizer ?? 'sim-opt-large', opts.simOptimizer);
  const events: RunEvent[] = [];
  const log: EventSink = { emit: (e) => void events.push(e) };
  const train = opts.trainSize !== undefined ? task.splits.train.slice(0, opts.trainSize) : task.splits.train;
  const dev = opts.devSize !== undefined ? task.splits.dev.slice(0, opts.devSize) : task.splits.dev;
  const ctx: OptimizerContext = {
    task,
    train,
    dev,
    target,
    optimizer,
    evaluator: createEvaluator(task, target),
    budget,
    rng: new Rng(seed).derive(`optimize:${opts.task}`),
    log,
  };
  return {
    ctx,
    task,
    world,
    usage,
    events,
    /** Calls that reached the target provider. */
    targetCalls: () => counts.get('target') ?? 0,
    /** Calls that reached the optimizer provider (optimizer, rewriter and judge roles). */
    optimizerCalls: () => (counts.get('optimizer') ?? 0) + (counts.get('rewriter') ?? 0) + (counts.get('judge') ?? 0),
  };
}

/** `llm` that also appends each request's message texts (joined by newlines) to `seen`. */
export function recording(llm: LLM, seen: string[]): LLM {
  return {
    provider: llm.provider,
    model: llm.model,
    complete(req, signal) {
      seen.push(req.messages.map((m) => m.content).join('\n'));
      return llm.complete(req, signal);
    },
  };
}
