import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { tempPath } from '../core/atomic.js';
import { createEvaluator } from '../core/evaluator.js';
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import { POSITIONS, type Demo, type EvalOutcome, type Example, type Position, type Prompt, type SplitName } from '../core/types.js';
import { wilsonInterval } from '../reports/stats/wilson.js';
import { checkOutFile, renameOrRescue } from './outpath.js';
import { parseFloatFlag, parseIntFlag, Session, type SessionFlags } from './session.js';
import { didYouMean } from './suggest.js';

/** Upper bound of --max-tokens (no model answers in more; larger values are typos). */
export const MAX_TOKENS = 1_000_000;

export interface EvalFlags extends SessionFlags {
  task: string;
  model: string;
  prompt?: string;
  promptFile?: string;
  position: string;
  demos?: string;
  cotDemos?: boolean;
  split: string;
  ids?: string;
  limit?: string;
  out?: string;
  temperature: string;
  maxTokens: string;
}

const SPLITS: readonly SplitName[] = ['train', 'dev', 'test'];
const CHUNK = 50;

export function parsePosition(value: string): Position {
  if (!POSITIONS.includes(value as Position))
    throw new UserError(`--position: expected one of ${POSITIONS.join(', ')}, got "${value}"`);
  return value as Position;
}

export function parseSplit(value: string): SplitName {
  if (!SPLITS.includes(value as SplitName)) throw new UserError(`--split: expected one of ${SPLITS.join(', ')}, got "${value}"`);
  return value as SplitName;
}

/** `--split`: one split, or `all` (train, dev and test in that order). */
export function parseSplits(value: string): SplitName[] {
  if (value === 'all') return SPLITS.slice();
  if (!SPLITS.includes(value as SplitName)) throw new UserError(`--split: expected one of ${SPLITS.join(', ')} or all, got "${value}"`);
  return [value as SplitName];
}

/** Demo from a training example: its worked solution when it has one, else the gold answer. */
export function demoFrom(ex: Example): Demo {
  const answer = `So the answer is ${ex.target}.`;
  return { input: ex.input, output: ex.rationale ? `${ex.rationale.replace(/\n?#### .*$/s, '').trim()} ${answer}` : answer };
}

export interface EvalSummary {
  task: string;
  model: string;
  /** A split name, or "all". */
  split: SplitName | 'all';
  n: number;
  correct: number;
  accuracy: number;
  ci95: [number, number];
}

export async function runEval(flags: EvalFlags, print: (line: string) => void = console.log): Promise<EvalSummary> {
  // Every flag and the output path are checked before anything is opened or written.
  const splits = parseSplits(flags.split);
  const split = flags.split === 'all' ? 'all' : splits[0]!;
  const position = parsePosition(flags.position);
  const temperature = parseFloatFlag('--temperature', flags.temperature, { min: 0, max: 2 });
  const maxTokens = parseIntFlag('--max-tokens', flags.maxTokens, { min: 1, max: MAX_TOKENS });
  const limit = flags.limit !== undefined ? parseIntFlag('--limit', flags.limit, { min: 1 }) : undefined;
  const demoCount = flags.demos !== undefined ? parseIntFlag('--demos', flags.demos, { min: 0 }) : undefined;
  if (flags.out !== undefined) checkOutFile('--out', flags.out);
  const session = new Session(flags);
  try {
    session.checkModels({ targets: [flags.model] }, '--model');
    if (flags.prompt !== undefined && flags.promptFile !== undefined) throw new UserError('--prompt and --prompt-file: give only one');
    let instruction = flags.prompt ?? '';
    if (flags.promptFile !== undefined) {
      try {
        instruction = readFileSync(flags.promptFile, 'utf8').trim();
      } catch {
        throw new UserError(`--prompt-file: cannot read ${flags.promptFile}`);
      }
    }
    const task = session.task(flags.task);
    const target = session.model(flags.model);
    const splitOf = new Map<string, SplitName>();
    let examples: Example[] = [];
    for (const sp of splits)
      for (const ex of task.splits[sp]) {
        splitOf.set(ex.id, sp);
        examples.push(ex);
      }
    if (flags.ids !== undefined) {
      const ids = flags.ids.split(',').map((x) => x.trim()).filter(Boolean);
      if (ids.length === 0) throw new UserError('--ids: give at least one example id');
      const byId = new Map(examples.map((ex) => [ex.id, ex]));
      for (const id of ids)
        if (!byId.has(id)) {
          const known = [...byId.keys()];
          const near = didYouMean(id, known);
          const some = known.slice(0, 5).join(', ') + (known.length > 5 ? ', …' : '');
          throw new UserError(
            `--ids: task ${task.id} has no example "${id}" in split ${split}${near ? `; did you mean "${near}"?` : ''} (its ${known.length} ids: ${some || 'none'})`,
          );
        }
      examples = [...new Set(ids)].map((id) => byId.get(id)!);
    }
    if (limit !== undefined) examples = examples.slice(0, limit);
    if (examples.length === 0) throw new UserError(`task ${task.id} has no examples in split "${split}"`);

    let demos: Demo[] = [];
    if (flags.cotDemos) {
      if (!task.fewShotCot?.length) throw new UserError(`--cot-demos: task ${task.id} ships no chain-of-thought demos`);
      demos = task.fewShotCot;
    }
    if (demoCount !== undefined) {
      const k = demoCount;
      if (k > task.splits.train.length)
        throw new UserError(`--demos: task ${task.id} has only ${task.splits.train.length} train examples to draw ${k} demos from`);
      demos = demos.concat(new Rng(session.seed).derive(`demos:${task.id}`).sample(task.splits.train, k).map(demoFrom));
    }
    const prompt: Prompt = { instruction, position, ...(demos.length ? { demos } : {}) };

    // Samples stream into a temp file beside --out, which replaces --out only when every
    // example is done: a failing rerun never erases earlier results (its finished samples
    // are kept in <out>.partial).
    let partial: string | undefined;
    if (flags.out) {
      try {
        mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
        partial = tempPath(flags.out);
        writeFileSync(partial, '');
      } catch (err) {
        throw new UserError(`--out: cannot write beside ${flags.out} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
      }
    }
    const evaluator = createEvaluator(task, target, { temperature, maxTokens });
    const outcomes: EvalOutcome[] = [];
    // Evaluate in chunks and append each finished chunk, so a failure late in a
    // long run loses no finished sample (and the call cache keeps every call).
    try {
      for (let i = 0; i < examples.length; i += CHUNK) {
        const res = await evaluator.evaluate(prompt, examples.slice(i, i + CHUNK));
        outcomes.push(...res.outcomes);
        if (partial) {
          const lines = res.outcomes.map((o) => JSON.stringify({ task: task.id, model: flags.model, split: splitOf.get(o.exampleId), prompt, ...o }));
          appendFileSync(partial, lines.join('\n') + '\n');
        }
      }
    } catch (err) {
      if (partial) {
        try {
          renameSync(partial, `${flags.out}.partial`);
        } catch {
          // the finished samples stay in the temp file; the error below is the run's own
        }
      }
      throw err;
    }
    if (partial) renameOrRescue('--out', partial, flags.out!, 'samples');
    const correct = outcomes.filter((o) => o.correct).length;
    const n = outcomes.length;
    const ci = wilsonInterval(correct, n);
    const pct = (x: number) => (100 * x).toFixed(1);
    print(`task ${task.id} · split ${split} · model ${flags.model} · position ${position} · ${demos.length} demos`);
    print(`prompt: ${JSON.stringify(instruction)}`);
    print(`accuracy ${pct(correct / n)}% (${correct}/${n}), 95% Wilson CI [${pct(ci.lo)}%, ${pct(ci.hi)}%]`);
    const truncated = outcomes.filter((o) => o.finishReason === 'length').length;
    if (truncated > 0) {
      const empty = outcomes.filter((o) => o.finishReason === 'length' && o.output.trim() === '').length;
      print(
        `warning: ${truncated} of ${n} replies were cut off at --max-tokens ${maxTokens ?? 512} (finish_reason "length") and count as unanswered` +
          (empty ? `; ${empty} of them had no answer text at all (a reasoning model spent the tokens thinking)` : '') +
          '; raise --max-tokens',
      );
    }
    print(session.usage.format());
    if (flags.out) print(`samples written to ${flags.out}`);
    return { task: task.id, model: flags.model, split, n, correct, accuracy: correct / n, ci95: [ci.lo, ci.hi] };
  } finally {
    session.close();
  }
}

/** Flags shared by every command that runs models. */
/** The data, config and call-cache options every model-running command takes. */
export function withDataAndCacheOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'dataset directory (default: $POPBENCH_DATA or ../shared/datasets)')
    .option('--config <file>', 'config file (default: popbench.config.yaml when present)')
    .option('--cache <file>', 'call cache file (default from config: .popbench/cache.sqlite)')
    .option('--no-cache', 'do not read or write the call cache')
    .option('--offline', 'replay from the call cache only; a miss is an error');
}

export function withSessionOptions(cmd: Command): Command {
  return withDataAndCacheOptions(cmd)
    .option('--seed <n>', 'seed for splits, demos and sampling', '0')
    .option('--world <n>', 'sim world seed: 0 is the documented default world; N > 0 draws feature effects (docs/sim.md)', '0');
}

export function register(program: Command): void {
  withSessionOptions(
    program
      .command('eval')
      .description('evaluate one prompt on a task with a target model')
      .requiredOption('--task <id>', 'task id, e.g. bbh/navigate, gsm8k, mmlu/anatomy, like/gsm')
      .option('--model <name>', 'target model (sim-1b, sim-8b, sim-70b, openai:<model>, hf:<model>, or a config name)', 'sim-8b')
      .option('--prompt <text>', 'instruction text (default: empty)')
      .option('--prompt-file <file>', 'read the instruction from a file')
      .option('--position <pos>', 'instruction position (OPRO): before_Q, Q_begin, Q_end or A_begin', 'Q_begin')
      .option('--demos <k>', 'add k few-shot demos drawn from the train split')
      .option('--cot-demos', "add the dataset's chain-of-thought demos (BBH)")
      .option('--split <name>', 'train, dev, test or all', 'test')
      .option('--ids <id,...>', 'evaluate only these example ids (of the split, or of all splits with --split all)')
      .option('--limit <n>', 'evaluate only the first n examples of the split')
      .option('--temperature <t>', 'target sampling temperature', '0')
      .option('--max-tokens <n>', 'longest target answer in tokens (long chain-of-thought answers need more)', '512')
      .option('--out <file.jsonl>', 'write per-example samples as JSON lines (replaced only when the evaluation finishes)'),
  ).action(async (opts: EvalFlags) => {
    await runEval(opts);
  });
}
