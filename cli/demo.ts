/**
 * `popbench demo`: the main job on the simulated world, with no keys and no
 * network. (1) baseline prompts on every sim target size; (2) every optimizer
 * under one equal budget; (3) how often ProTeGi's and ABO's error reflections
 * name the true cause, by optimizer-model size and whether outputs are shown. Prints tables with 95% intervals.
 */
import type { Command } from 'commander';
import { Budget } from '../core/budget.js';
import { createEvaluator } from '../core/evaluator.js';
import { Rng } from '../core/rng.js';
import type { EventSink, OptimizerContext, Prompt } from '../core/types.js';
import { resultScorer } from '../optimizers/common.js';
import { OPTIMIZERS, optimizerNames } from '../optimizers/index.js';
import { anytimeCurve } from '../reports/anytime.js';
import { scoreReflections } from '../reports/reflection.js';
import { wilsonInterval } from '../reports/stats/wilson.js';
import { parseCauses, SIM_TARGET_MODELS } from '../sim/index.js';
import { resolveDataDir } from '../tasks/registry.js';
import { checkOutFile, writeOrRescue } from './outpath.js';
import { parseIntFlag, Session } from './session.js';

interface DemoFlags {
  task?: string;
  budget: string;
  optimizerBudget: string;
  testLimit: string;
  seed: string;
  world?: string;
  out?: string;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const ciText = (k: number, n: number) => {
  const ci = wilsonInterval(k, n);
  return `${pct(k / n)} [${pct(ci.lo)}, ${pct(ci.hi)}]`;
};

/** Plain-text table with padded columns. */
export function table(head: string[], rows: string[][]): string {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  return [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function defaultTask(): string {
  try {
    resolveDataDir();
    return 'bbh/navigate';
  } catch {
    return 'like/navigate';
  }
}

export async function runDemo(flags: DemoFlags, print: (s: string) => void = console.log): Promise<Record<string, unknown>> {
  const testLimit = parseIntFlag('--test-limit', flags.testLimit, { min: 1 });
  const targetBudget = parseIntFlag('--budget', flags.budget, { min: 1 });
  const optimizerBudget = parseIntFlag('--optimizer-budget', flags.optimizerBudget, { min: 0 });
  if (flags.out !== undefined) checkOutFile('--out', flags.out);
  const session = new Session({ seed: flags.seed, world: flags.world ?? '0', cache: false });
  const report: Record<string, unknown> = {};
  try {
    const taskId = flags.task ?? defaultTask();
    const task = session.task(taskId);
    const test = task.splits.test.slice(0, testLimit);
    print(`popbench demo on the simulated world ${session.world.world} — task ${task.id} (${task.description.split('\n')[0]})`);
    print('Sim numbers exercise the harness; they are not research results (docs/sim.md).\n');

    // 1. Baseline prompts × target sizes.
    const prompts: Array<[string, Prompt]> = [
      ['empty', { instruction: '' }],
      ['zero-shot CoT', { instruction: "Let's think step by step.", position: 'A_begin' }],
      ['APE CoT', { instruction: "Let's work this out in a step by step way to be sure we have the right answer.", position: 'A_begin' }],
      ['CoT + format', { instruction: `Let's think step by step. ${task.formatInstruction}` }],
    ];
    const rows1: string[][] = [];
    const grid: Record<string, Record<string, number>> = {};
    for (const [label, prompt] of prompts) {
      const row = [label];
      for (const model of SIM_TARGET_MODELS) {
        const r = await createEvaluator(task, session.model(model)).evaluate(prompt, test);
        row.push(ciText(r.correct, r.n));
        (grid[label] ??= {})[model] = r.accuracy;
      }
      rows1.push(row);
    }
    report.baselines = grid;
    print(`1. Baseline prompts on ${test.length} test examples (accuracy, 95% Wilson CI)`);
    print(table(['prompt', ...SIM_TARGET_MODELS], rows1) + '\n');

    // 2. Every optimizer under one equal budget.
    const rows2: string[][] = [];
    const runs: Record<string, unknown> = {};
    const reflections: Record<string, ReturnType<typeof scoreReflections>> = {};
    for (const name of optimizerNames()) {
      const { optimizer, equalBudget } = OPTIMIZERS[name]!;
      const budget = new Budget({ targetCalls: targetBudget, optimizerCalls: optimizerBudget });
      const target = session.model('sim-8b', budget);
      const log: EventSink = { emit: () => {} };
      const ctx: OptimizerContext = {
        task,
        train: task.splits.train,
        dev: task.splits.dev,
        target,
        optimizer: session.model('sim-opt-large', budget),
        evaluator: createEvaluator(task, target),
        budget,
        rng: new Rng(session.seed).derive(`demo:${name}`),
        log,
      };
      const res = await optimizer.optimize(ctx, optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget }));
      const t = await resultScorer(task, res, session.model('sim-8b'), session.model('sim-opt-large')).evaluate(test);
      const curve = anytimeCurve(res.trajectory);
      const half = curve.filter((p) => p.targetCalls <= targetBudget / 2).at(-1)?.best;
      rows2.push([
        name,
        res.stoppedBy,
        `${budget.spent.targetCalls}/${budget.spent.optimizerCalls}`,
        String(res.trajectory.candidates.length),
        half === undefined ? '-' : pct(half),
        pct(res.bestScore),
        ciText(t.correct, t.n),
      ]);
      runs[name] = { stoppedBy: res.stoppedBy, spent: budget.spent, ownScore: res.bestScore, test: t.accuracy, best: res.best, curve };
      if (res.trajectory.reflections.length) reflections[name] = scoreReflections(res.trajectory.reflections, parseCauses);
    }
    report.optimizers = runs;
    print(`2. Optimizers on sim-8b with sim-opt-large, equal budget: ${targetBudget} target / ${optimizerBudget} optimizer calls`);
    print(table(['optimizer', 'stopped', 'calls t/o', 'cands', 'own@½', 'own best', 'test (95% CI)'], rows2));
    print(
      "own@½, own best: the optimizer's own score of its incumbent at half the budget and at the end — what it selected on\n" +
        '(dev accuracy, a dev minibatch or a bandit mean, by method), not comparable across methods. test: the returned prompt\n' +
        `on ${test.length} held-out test examples, scored outside the budget.\n`,
    );

    // 3. Reflection quality: ProTeGi's textual gradients vs ABO's step checks, by optimizer size.
    const rows3: string[][] = [];
    const reflectionBySize: Record<string, unknown> = {};
    for (const name of ['protegi', 'abo'].filter((n) => OPTIMIZERS[n])) {
      const { optimizer } = OPTIMIZERS[name]!;
      for (const optModel of ['sim-opt-small', 'sim-opt-large']) {
        for (const showOutputs of [true, false]) {
          const budget = new Budget({ targetCalls: 5 * targetBudget, optimizerCalls: 5 * optimizerBudget });
          const target = session.model('sim-8b', budget);
          const res = await optimizer.optimize(
            {
              task,
              train: task.splits.train,
              dev: task.splits.dev,
              target,
              optimizer: session.model(optModel, budget),
              evaluator: createEvaluator(task, target),
              budget,
              rng: new Rng(session.seed).derive(`demo:reflect:${name}:${optModel}:${showOutputs}`),
              log: { emit: () => {} },
            },
            optimizer.schema.parse({ ...optimizer.defaults, showOutputs, steps: Infinity, editCheck: 'shown' }),
          );
          const s = scoreReflections(res.trajectory.reflections, parseCauses);
          const hits = Math.round(s.hitRate * s.n);
          const avg = (f: (x: (typeof s.scores)[number]) => number) => (s.scores.length ? s.scores.reduce((t, x) => t + f(x), 0) / s.scores.length : Number.NaN);
          const chanceHit = avg((x) => x.chanceHit);
          const chancePrecision = avg((x) => x.chancePrecision);
          rows3.push([
            name,
            optModel,
            showOutputs ? 'yes' : 'no',
            String(s.n),
            s.n ? ciText(hits, s.n) : '-',
            s.n ? pct(chanceHit) : '-',
            s.n ? pct(s.meanPrecision) : '-',
            s.n ? pct(chancePrecision) : '-',
          ]);
          reflectionBySize[`${name}:${optModel}:${showOutputs ? 'outputs' : 'no-outputs'}`] = { n: s.n, hitRate: s.hitRate, chanceHit, precision: s.meanPrecision, chancePrecision };
        }
      }
    }
    if (rows3.length) {
      report.reflection = reflectionBySize;
      print('3. Error reflection: how often a diagnosis names a true cause of the failures it was shown');
      print(table(['optimizer', 'optimizer model', 'outputs shown', 'reflections', 'names a true cause (95% CI)', 'chance', 'precision', 'chance'], rows3));
      print(
        'chance: the same number of causes drawn from the sim optimizer\'s prior (docs/reports.md); the lift over it is what\n' +
          'reflection adds. The interval is Wilson over the reflections of one run, which share its dev set: `popbench report`\n' +
          'on a suite gives lift intervals clustered by run.\n',
      );
    }
    print(session.usage.format());
    if (flags.out) {
      writeOrRescue('--out', flags.out, JSON.stringify(report, (_k, v) => (v === Infinity ? 'Infinity' : v), 2), 'report');
      print(`report written to ${flags.out}`);
    }
    return report;
  } finally {
    session.close();
  }
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('run the main job on the simulated world: baselines by model size, all optimizers under one budget, reflection quality')
    .option('--task <id>', 'task (default: bbh/navigate when the datasets are found, else like/navigate)')
    .option('--budget <n>', 'target-model calls per optimizer', '600')
    .option('--optimizer-budget <n>', 'optimizer-model calls per optimizer', '120')
    .option('--test-limit <n>', 'test examples to score', '200')
    .option('--seed <n>', 'seed', '0')
    .option('--world <n>', 'sim world seed: 0 is the documented default world; N > 0 draws feature effects (docs/sim.md)', '0')
    .option('--out <file.json>', 'write the numbers as JSON')
    .action(async (opts: DemoFlags) => {
      await runDemo(opts);
    });
}
