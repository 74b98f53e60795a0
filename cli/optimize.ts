import { readFileSync, renameSync } from 'node:fs';
import { tempPath } from '../core/atomic.js';
import { resolveEmbedder } from '../llm/embeddings.js';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { Budget, type BudgetLimits } from '../core/budget.js';
import { UserError } from '../core/errors.js';
import { JsonlRunStore, MemoryRunStore } from '../core/store.js';
import type { EventSink } from '../core/types.js';
import { optimizerContext, resultScorer } from '../optimizers/common.js';
import { OPTIMIZERS, optimizerNames } from '../optimizers/index.js';
import { checkInitial, checkOptions, PRESETS, resolveRun, type InitialOverride, type PresetName } from '../optimizers/setup.js';
import { SCORINGS, type Scoring } from '../optimizers/types.js';
import { withScoring } from '../tasks/scoring.js';
import type { Layout, Position } from '../core/types.js';
import type { OptimizeResult } from '../optimizers/types.js';
import { wilsonInterval } from '../reports/stats/wilson.js';
import { withSessionOptions } from './eval.js';
import { checkOutFile, renameOrRescue, writeOrRescue } from './outpath.js';
import { parseFloatFlag, parseIntFlag, Session, type SessionFlags } from './session.js';

export interface OptimizeFlags extends SessionFlags {
  optimizer: string;
  task: string;
  target: string;
  optimizerModel: string;
  budget?: string;
  optimizerBudget?: string;
  tokens?: string;
  maxCostUsd?: string;
  mode?: string;
  set: string[];
  trainSize?: string;
  devSize?: string;
  testLimit?: string;
  out?: string;
  events?: string;
  progress: boolean;
  initial?: string;
  initialPosition?: string;
  initialLayout?: string;
  embeddings?: string;
  preset?: string;
  scoring?: string;
}

/** Parse `key=value` option overrides; values are JSON when they parse as JSON, else strings. */
export function parseSets(sets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UserError(`--set: expected key=value, got "${s}"`);
    const key = s.slice(0, eq).trim();
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      if (raw === 'Infinity') value = Infinity;
    }
    out[key] = value;
  }
  return out;
}

export { checkOptions, type OptionIssue } from '../optimizers/setup.js';

/** Merge overrides over an optimizer's defaults and validate; errors name the option. */
export function resolveOptions(name: string, mode: 'paper' | 'equal', sets: Record<string, unknown>): Record<string, unknown> {
  const r = checkOptions(name, mode, sets);
  if ('issue' in r) throw new UserError(`--set ${r.issue.option}: ${r.issue.message} (optimizer ${name})`);
  return r.options;
}

/** `--initial TEXT|@file`: the text, or the contents of the file after `@` (one trailing newline dropped). */
export function readInitialFlag(value: string): string {
  if (!value.startsWith('@')) return value;
  const file = value.slice(1);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`--initial: cannot read file "${file}"`);
  }
  return text.replace(/\r?\n$/, '');
}

export function register(program: Command): void {
  withSessionOptions(
    program
      .command('optimize')
      .description('run one prompt optimizer on a task and report the best prompt on dev and test')
      .requiredOption('--optimizer <name>', 'optimizer name (see `popbench optimizers`)')
      .requiredOption('--task <id>', 'task id')
      .option('--target <model>', 'target model', 'sim-8b')
      .option('--optimizer-model <model>', 'optimizer (meta-prompt) model', 'sim-opt-large')
      .option('--budget <n>', 'target-model calls the optimizer may spend')
      .option('--optimizer-budget <n>', 'optimizer-model calls it may spend (default: same as --budget)')
      .option('--tokens <n>', 'total token limit over both models')
      .option('--max-cost-usd <usd>', 'cost cap in USD over both models (priced models only; default: the config\'s maxCostUsd)')
      .option('--mode <mode>', "'equal' (the budget stops it; default with --budget or --tokens) or 'paper' (the paper's schedule; default without)")
      .option('--initial <text|@file>', "starting prompt (default: the optimizer's reference starting prompt, else empty)")
      .option('--initial-position <pos>', 'where the starting prompt goes: before_Q, Q_begin, Q_end or A_begin')
      .option('--initial-layout <layout>', 'the target template around the question: qa, plain or ape (docs/tasks.md)')
      .option('--embeddings <model>', 'embedding model (OpenAI-compatible /embeddings) for optimizers that compare texts (GPO); default: their offline measure')
      .option('--preset <name>', "'paper': the paper's splits, starting prompt, position, scorer sample sizes and steps for the task")
      .option('--scoring <rule>', "'strict' (default) or 'paper' (the paper's answer scoring, where it defines one)")
      .option('--set <key=value>', 'override an optimizer option (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
      .option('--train-size <n>', 'use only the first n train examples')
      .option('--dev-size <n>', 'use only the first n dev examples')
      .option('--test-limit <n>', 'evaluate the best prompt on only the first n test examples')
      .option('--out <file.json>', 'write the result and full trajectory as JSON')
      .option('--events <file.jsonl>', 'stream every event (candidates, evaluations, reflections, steps) to a JSONL run store')
      .option('--no-progress', 'no progress bar'),
  ).action(async (opts: OptimizeFlags) => {
    await runOptimize(opts);
  });

  program
    .command('optimizers')
    .description('list optimizers with their paper and default options')
    .action(() => {
      for (const name of optimizerNames()) {
        const { optimizer } = OPTIMIZERS[name]!;
        console.log(`${name} — ${optimizer.paper}\n  defaults: ${JSON.stringify(optimizer.defaults)}`);
      }
    });
}

export async function runOptimize(flagsIn: OptimizeFlags, print: (line: string) => void = console.log): Promise<OptimizeResult> {
  const flags = { ...flagsIn, mode: flagsIn.mode ?? (flagsIn.budget !== undefined || flagsIn.tokens !== undefined ? 'equal' : 'paper') };
  if (flags.mode !== 'equal' && flags.mode !== 'paper') throw new UserError(`--mode: expected equal or paper, got "${flags.mode}"`);
  if (flags.preset !== undefined && !PRESETS.includes(flags.preset as PresetName))
    throw new UserError(`--preset: expected one of ${PRESETS.join(', ')}, got "${flags.preset}"`);
  if (flags.scoring !== undefined && !SCORINGS.includes(flags.scoring as Scoring))
    throw new UserError(`--scoring: expected one of ${SCORINGS.join(', ')}, got "${flags.scoring}"`);
  if (!OPTIMIZERS[flags.optimizer]) throw new UserError(`unknown optimizer "${flags.optimizer}"; known: ${optimizerNames().join(', ')}`);
  // Output paths are checked before any work, so a bad one never costs a finished search.
  if (flags.out !== undefined) checkOutFile('--out', flags.out);
  if (flags.events !== undefined) checkOutFile('--events', flags.events);
  if (flags.out !== undefined && flags.events !== undefined && path.resolve(flags.out) === path.resolve(flags.events))
    throw new UserError(`--out and --events: both name ${flags.out}; give two files`);
  const override: InitialOverride = {};
  if (flags.initial !== undefined) override.instruction = readInitialFlag(flags.initial);
  if (flags.initialPosition !== undefined) override.position = flags.initialPosition as Position;
  checkInitial({ ...(override.position ? { position: override.position } : {}) }, '--initial-position');
  if (flags.initialLayout !== undefined) override.layout = flags.initialLayout as Layout;
  checkInitial({ ...(override.layout ? { layout: override.layout } : {}) }, '--initial-layout');
  const setup = resolveRun({
    optimizer: flags.optimizer,
    taskId: flags.task,
    mode: flags.mode,
    sets: parseSets(flags.set ?? []),
    ...(flags.preset !== undefined ? { preset: flags.preset as PresetName } : {}),
    initial: override,
    ...(flags.scoring !== undefined ? { scoring: flags.scoring as Scoring } : {}),
  });
  const options = setup.options;
  const limits: BudgetLimits = {};
  if (flags.budget !== undefined) limits.targetCalls = parseIntFlag('--budget', flags.budget, { min: 1 });
  if (flags.optimizerBudget !== undefined) limits.optimizerCalls = parseIntFlag('--optimizer-budget', flags.optimizerBudget, { min: 0 });
  else if (limits.targetCalls !== undefined) limits.optimizerCalls = limits.targetCalls;
  if (flags.tokens !== undefined) limits.tokens = parseIntFlag('--tokens', flags.tokens, { min: 1 });
  if (flags.maxCostUsd !== undefined) limits.costUsd = parseFloatFlag('--max-cost-usd', flags.maxCostUsd, { min: 0 });
  if (flags.mode === 'equal' && limits.targetCalls === undefined && limits.tokens === undefined)
    throw new UserError('--mode equal needs --budget or --tokens (or use --mode paper)');

  const trainSize = flags.trainSize !== undefined ? parseIntFlag('--train-size', flags.trainSize, { min: 1 }) : undefined;
  const devSize = flags.devSize !== undefined ? parseIntFlag('--dev-size', flags.devSize, { min: 1 }) : undefined;
  const testLimit = flags.testLimit !== undefined ? parseIntFlag('--test-limit', flags.testLimit, { min: 1 }) : undefined;

  const session = new Session(flags);
  try {
    session.checkModels({ targets: [flags.target] }, '--target');
    session.checkModels({ others: [flags.optimizerModel] }, '--optimizer-model');
    const loaded = session.task(flags.task);
    const task = withScoring(setup.preset?.splits ? { ...loaded, splits: setup.preset.splits(loaded, session.seed) } : loaded, setup.scoring);
    const cap = session.config.maxCostUsd;
    const budget = new Budget({ ...(cap !== undefined && limits.costUsd === undefined ? { costUsd: cap } : {}), ...limits });
    const target = session.model(flags.target, budget);
    const optimizerLLM = session.model(flags.optimizerModel, budget);
    const train = trainSize !== undefined ? task.splits.train.slice(0, trainSize) : task.splits.train;
    const dev = devSize !== undefined ? task.splits.dev.slice(0, devSize) : task.splits.dev;

    const bar =
      flags.progress !== false && process.stderr.isTTY
        ? new cliProgress.SingleBar(
            { format: `${flags.optimizer} |{bar}| {value}/{total} target calls · best {best}`, stream: process.stderr, hideCursor: true },
            cliProgress.Presets.shades_classic,
          )
        : undefined;
    // Events stream into a temp file beside --events, which replaces it only when the search ends:
    // a failing rerun never erases an earlier run's events (its own are kept in <events>.partial).
    const eventsTmp = flags.events ? tempPath(flags.events) : undefined;
    const store = eventsTmp ? new JsonlRunStore(eventsTmp) : new MemoryRunStore();
    let best = 0;
    const log: EventSink = {
      emit(e) {
        store.emit(e);
        if (e.type === 'evaluation' && typeof e.score === 'number') best = Math.max(best, e.score);
        bar?.update(budget.spent.targetCalls, { best: (100 * best).toFixed(1) + '%' });
      },
    };
    bar?.start(limits.targetCalls ?? 0, 0, { best: '-' });
    const ctx = optimizerContext({ optimizerName: flags.optimizer, seed: session.seed, task, train, dev, target, optimizer: optimizerLLM, budget, log, ...(setup.initial ? { initial: setup.initial } : {}) });
    if (flags.embeddings !== undefined) ctx.embedder = resolveEmbedder(flags.embeddings, { config: session.config });
    const reg = OPTIMIZERS[flags.optimizer]!;
    let result: OptimizeResult;
    try {
      result = await reg.optimizer.optimize(ctx, options);
    } catch (err) {
      if (eventsTmp) {
        try {
          renameSync(eventsTmp, `${flags.events}.partial`);
        } catch {
          // the events stay in the temp file; the error below is the run's own
        }
      }
      throw err;
    } finally {
      bar?.update(budget.spent.targetCalls);
      bar?.stop();
    }
    // A failing move of the events is reported after the result is printed and written.
    let eventsError: unknown;
    if (eventsTmp) {
      try {
        renameOrRescue('--events', eventsTmp, flags.events!, 'events');
      } catch (err) {
        eventsError = err;
      }
    }

    // Final scoring is outside the optimizer's budget: a fresh, unbudgeted stack.
    const scorer = resultScorer(task, result, session.model(flags.target), session.model(flags.optimizerModel));
    const devRes = await scorer.evaluate(dev);
    const testSet = testLimit !== undefined ? task.splits.test.slice(0, testLimit) : task.splits.test;
    const testRes = await scorer.evaluate(testSet);
    const pct = (x: number) => (100 * x).toFixed(1) + '%';
    const ci = wilsonInterval(testRes.correct, testRes.n);
    print(`optimizer ${flags.optimizer} · task ${task.id} · target ${flags.target} · optimizer model ${flags.optimizerModel} · mode ${flags.mode}${setup.preset ? ' · preset paper' : ''}${setup.scoring !== 'strict' ? ` · scoring ${setup.scoring}` : ''}`);
    print(`starting prompt: ${setup.initial ? `${JSON.stringify(setup.initial.instruction)} [${setup.initial.position ?? 'Q_begin'}${setup.initial.layout && setup.initial.layout !== 'qa' ? ', ' + setup.initial.layout : ''}]` : 'empty'}${setup.preset ? ` · preset: ${setup.preset.source}` : ''}`);
    print(`stopped by: ${result.stoppedBy}; spent ${budget.spent.targetCalls} target calls, ${budget.spent.optimizerCalls} optimizer calls, ${budget.spent.tokens} tokens; ${result.trajectory.candidates.length} candidates`);
    print(`best prompt${scorer.perQuery ? ' (plus per-query rewriting)' : ''}: ${JSON.stringify(result.best.instruction)}${result.best.demos?.length ? ` + ${result.best.demos.length} demos` : ''} [${result.best.position ?? 'Q_begin'}${result.best.layout && result.best.layout !== 'qa' ? ', ' + result.best.layout : ''}]`);
    print(`dev accuracy ${pct(devRes.accuracy)} (${devRes.correct}/${devRes.n})`);
    print(`test accuracy ${pct(testRes.accuracy)} (${testRes.correct}/${testRes.n}), 95% Wilson CI [${pct(ci.lo)}, ${pct(ci.hi)}]`);
    print(session.usage.format());
    if (flags.out) {
      const { rewriter: _r, rewriterOn: _o, ...plain } = result;
      writeOrRescue(
        '--out',
        flags.out,
        JSON.stringify({ optimizer: flags.optimizer, options, ...(setup.initial ? { initial: setup.initial } : {}), scoring: setup.scoring, ...(flags.preset ? { preset: flags.preset } : {}), task: task.id, target: flags.target, optimizerModel: flags.optimizerModel, limits, spent: budget.spent, dev: devRes.accuracy, test: testRes.accuracy, result: plain, events: store.events() }, (_k, v) => (v === Infinity ? 'Infinity' : v), 2),
        'result',
      );
      print(`result written to ${flags.out}`);
    }
    if (eventsError !== undefined) throw eventsError;
    return result;
  } finally {
    session.close();
  }
}
