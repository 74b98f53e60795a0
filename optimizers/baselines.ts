/**
 * Fixed-prompt baselines. None of them calls the optimizer LLM: each builds
 * one prompt, scores it once on ctx.dev (so its trajectory has the same shape
 * as an optimizer's and is comparable) and returns it.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { POSITIONS, type Demo, type Example, type Layout, type OptimizerContext, type Position, type Prompt } from '../core/types.js';
import { layoutAllows } from '../tasks/task.js';
import { Recorder, untilBudget } from './common.js';
import type { OptimizeResult, Optimizer } from './types.js';

/** Kojima et al. 2022, "Large Language Models are Zero-Shot Reasoners", §3 (the answer trigger). */
export const ZERO_SHOT_COT_INSTRUCTION = "Let's think step by step.";
/** Zhou et al. 2023 (APE), §4.3: the zero-shot CoT trigger APE found on MultiArith/GSM8K. */
export const APE_COT_INSTRUCTION = "Let's work this out in a step by step way to be sure we have the right answer.";

export interface FixedInstructionOptions {
  /** Where the instruction goes (core/types.ts Position). */
  position: Position;
}

export interface FewShotOptions {
  /** Number of train demos. */
  k: number;
  /** Instruction shown with the demos (default none). */
  instruction: string;
  position: Position;
}

const positionSchema = z.enum(POSITIONS as unknown as [Position, ...Position[]]);

/**
 * A demo from a train example: its gold answer, or, when the example carries a
 * worked rationale (GSM8K), the rationale followed by "So the answer is X." so
 * the demo shows the answer format the extractor parses.
 */
export function demoFromExample(ex: Example): Demo {
  const rationale = ex.rationale?.trim();
  return { input: ex.input, output: rationale ? `${rationale} So the answer is ${ex.target}.` : ex.target };
}

/** Record one fixed prompt, score it once on ctx.dev, return it. */
export async function scoreFixedPrompt(ctx: OptimizerContext, name: string, prompt: Prompt): Promise<OptimizeResult> {
  const recorder = new Recorder(ctx, name);
  const { candidate } = recorder.propose(prompt, { origin: name, step: 0 });
  const stoppedBy = await untilBudget(async () => {
    await recorder.score(candidate, ctx.dev);
    recorder.stepDone(0);
  });
  return recorder.result(stoppedBy, prompt);
}

function fixedInstruction(
  name: string,
  paper: string,
  instruction: string,
  defaultPosition: Position,
): Optimizer<FixedInstructionOptions> {
  return {
    name,
    paper,
    defaults: { position: defaultPosition },
    schema: z.strictObject({ position: positionSchema }),
    optimize: async (ctx, options) => scoreFixedPrompt(ctx, name, { instruction, position: options.position, ...layoutOf(ctx, name, options.position) }),
  };
}

/**
 * The layout a fixed baseline uses: the starting prompt's layout when the run sets one
 * (suite `initial: { layout }`, `--initial-layout`), so that a baseline can be scored in
 * the same template as the method it is compared with (e.g. OPRO's plain Q_begin layout);
 * otherwise the default (qa). A layout without the baseline's position is a UserError.
 */
function layoutOf(ctx: OptimizerContext, name: string, position: Position): { layout?: Layout } {
  const layout = ctx.initial?.layout;
  if (!layout) return {};
  if (!layoutAllows(layout, position)) throw new UserError(`${name}: the ${layout} layout has no ${position} position (set position or use the qa layout)`);
  return { layout };
}

/** The empty instruction (the harness's usual starting prompt). */
export const empty = fixedInstruction('empty', 'Baseline: empty instruction', '', 'Q_begin');

/** Kojima et al. 2022 put the trigger at the start of the answer ("A: Let's think step by step."), §3. */
export const zeroShotCot = fixedInstruction(
  'zero-shot-cot',
  'Kojima et al. 2022, Large Language Models are Zero-Shot Reasoners (zero-shot CoT)',
  ZERO_SHOT_COT_INSTRUCTION,
  'A_begin',
);

/** APE §4.3 uses its trigger in the same answer-start slot as zero-shot CoT. */
export const apeCot = fixedInstruction(
  'ape-cot',
  'Zhou et al. 2023, Large Language Models Are Human-Level Prompt Engineers (APE), §4.3 zero-shot CoT prompt',
  APE_COT_INSTRUCTION,
  'A_begin',
);

/** k random train demos (drawn with ctx.rng), no instruction by default. */
export const fewShot: Optimizer<FewShotOptions> = {
  name: 'few-shot',
  paper: 'Baseline: k random training demonstrations (Brown et al. 2020 few-shot prompting)',
  defaults: { k: 3, instruction: '', position: 'Q_begin' },
  schema: z.strictObject({
    k: z.number().int().nonnegative(),
    instruction: z.string(),
    position: positionSchema,
  }),
  optimize(ctx, options) {
    const demos = ctx.rng.derive('few-shot-demos').sample(ctx.train, options.k).map(demoFromExample);
    return scoreFixedPrompt(ctx, 'few-shot', { instruction: options.instruction, demos, position: options.position });
  },
};
