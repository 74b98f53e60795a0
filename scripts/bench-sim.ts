/**
 * Sim target throughput (section 1 of `npm run bench`; alone:
 * `node --import tsx scripts/bench-sim.ts`).
 *
 * What is measured: target calls per second of CPU time of the process (the
 * sim runs on one thread: its speed on one core; wall-clock calls/s beside
 * it), through the path an evaluation takes in-process: `Session.model` (the
 * provider and the middleware stack a suite cell gets for a sim model: meter
 * with the cell's budget → retry → timeout → sim provider; the call cache is
 * off for sim models, as by default), called by `createEvaluator(...).evaluate`
 * (render, the memo key, extract, score). Every timed call is a fresh one: each
 * (prompt, task, size, world) is scored once by a new evaluator.
 *
 * The mix: tasks gsm8k, bbh/navigate, bbh/date_understanding,
 * bbh/boolean_expressions, mmlu (all subjects pooled) and like/gsm, like/date,
 * like/navigate, like/object_counting (only the like/ tasks when the datasets
 * are absent); six prompts per task (none, a CoT cue, CoT + concepts + the
 * format instruction, a numbered procedure, three demos, an off-topic
 * sentence); sizes sim-1b, sim-8b, sim-70b; worlds 0 and 1; the first
 * `EXAMPLES` test examples of each task. A warm-up pass first scores other
 * prompts on dev examples (so the JIT is warm, but no prompt or example of
 * the timed pass has been seen).
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Budget } from '../core/budget.js';
import { createEvaluator } from '../core/evaluator.js';
import type { Example, Prompt, Task } from '../core/types.js';
import { Session } from '../benchmarks/session.js';
import { UsageMeter } from '../llm/index.js';
import { resolveDataDir } from '../tasks/registry.js';

export const SIM_GOAL = 20_000;
const EXAMPLES = 100;
const SIZES = ['sim-1b', 'sim-8b', 'sim-70b'] as const;
const WORLDS = [0, 1] as const;
const REAL = ['gsm8k', 'bbh/navigate', 'bbh/date_understanding', 'bbh/boolean_expressions', 'mmlu'];
const LIKE = ['like/gsm', 'like/date', 'like/navigate', 'like/object_counting'];

function dataDir(): string | undefined {
  try {
    const d = resolveDataDir();
    return existsSync(d) ? d : undefined;
  } catch {
    return undefined;
  }
}

/** Six prompts of the kinds optimizers produce; `variant` makes a distinct set (for the warm-up). */
function promptsFor(task: Task, variant: string): Prompt[] {
  const c = task.concepts;
  const fi = task.formatInstruction ?? '';
  const demos = task.splits.train.slice(0, 3).map((ex) => ({ input: ex.input, output: `Let's think step by step. ${variant} So the answer is ${ex.target}.` }));
  return [
    { instruction: variant },
    { instruction: `Let's think step by step. ${variant}` },
    { instruction: `Let's think step by step. Remember to apply ${c.slice(0, 2).join(' and ')}. ${fi} ${variant}` },
    { instruction: `1. Read the question carefully.\n2. Apply ${c[0] ?? 'the rules'}.\n3. Check the result. ${variant}\n${fi}` },
    { instruction: `Answer the question. ${variant}`, demos },
    { instruction: `The harbour lights were glowing softly over the quiet bay tonight. ${variant} Solve the problem.` },
  ];
}

export interface SimThroughput {
  /** Calls per second of wall time. */
  callsPerSec: number;
  /** Calls per second of this process's CPU time (user + system, all its threads). */
  callsPerCpuSec: number;
  calls: number;
  ms: number;
  cpuMs: number;
  tasks: string[];
  prompts: number;
}

export async function simThroughput(opts: { examples?: number } = {}): Promise<SimThroughput> {
  const n = opts.examples ?? EXAMPLES;
  const dir = dataDir();
  const ids = [...(dir ? REAL : []), ...LIKE];
  if (!dir) console.log('(datasets not found: the sim throughput mix has the like/ tasks only)');
  const sessions = WORLDS.map((world) => new Session({ world, ...(dir ? { dataDir: dir } : {}) }));
  const cells: { session: Session; task: Task; model: string; test: Example[]; dev: Example[] }[] = [];
  for (const session of sessions)
    for (const id of ids) {
      const task = session.task(id);
      for (const model of SIZES) cells.push({ session, task, model, test: task.splits.test.slice(0, n), dev: task.splits.dev.slice(0, 20) });
    }
  const evalCell = async (cell: (typeof cells)[number], prompts: Prompt[], examples: Example[]) => {
    // one budget and meter per cell, as a suite cell has
    const llm = cell.session.model(cell.model, new Budget({ targetCalls: 1e9 }), new UsageMeter());
    let calls = 0;
    for (const p of prompts) {
      const r = await createEvaluator(cell.task, llm).evaluate(p, examples);
      calls += r.n;
    }
    return calls;
  };
  for (const cell of cells) await evalCell(cell, promptsFor(cell.task, 'Warm-up.'), cell.dev);
  let calls = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const cell of cells) calls += await evalCell(cell, promptsFor(cell.task, ''), cell.test);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  for (const s of sessions) s.close();
  return { callsPerSec: (calls / ms) * 1000, callsPerCpuSec: (calls / cpuMs) * 1000, calls, ms, cpuMs, tasks: ids, prompts: 6 };
}

/**
 * The bench line: measured figure, goal, met or missed. The figure is calls
 * per second of the process's CPU time: the sim runs on one thread, so this is
 * its speed on one core, and it does not fall when other processes share the
 * machine (the wall-clock figure, printed beside it, does).
 */
export function simThroughputLine(r: SimThroughput) {
  return {
    what: `sim target calls per CPU-second, in-process eval path (${r.calls} calls: ${r.tasks.length} tasks × ${r.prompts} prompts × 3 sizes × 2 worlds; wall ${r.callsPerSec.toFixed(0)}/s)`,
    value: r.callsPerCpuSec.toFixed(0),
    target: `≥ ${SIM_GOAL}`,
    ok: r.callsPerCpuSec >= SIM_GOAL,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await simThroughput();
  const line = simThroughputLine(r);
  console.log(`${line.ok ? 'ok  ' : 'MISS'}  ${line.what}  ${line.value}  (target ${line.target})`);
  console.log(`(${r.calls} calls in ${(r.ms / 1000).toFixed(2)} s wall, ${(r.cpuMs / 1000).toFixed(2)} s CPU: ${r.callsPerCpuSec.toFixed(0)} calls per CPU-second; tasks: ${r.tasks.join(', ')})`);
  if (!line.ok) process.exitCode = 1;
}
