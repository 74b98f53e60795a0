/**
 * The one optimizer interface (compare DSPy's `compile(program, trainset)`):
 * every method is `optimize(ctx, options)`, gets all it may use through `ctx`
 * (splits, target and optimizer LLMs, evaluator, budget, rng, log) and touches
 * no global state, file or clock.
 */
import type { z } from 'zod';
import type { BudgetSpent } from '../core/budget.js';
import type { LLM, OptimizerContext, Prompt, Scoring, Task, TaskSplits } from '../core/types.js';

export interface Candidate {
  id: string;
  prompt: Prompt;
  /** Mean dev/train score in [0, 1] when evaluated. */
  score?: number;
  /** Ids of the candidates it was made from. */
  parents: string[];
  step: number;
  /** How it was made: "initial", "opro", "ape-forward", "ape-resample", "protegi-edit", ... */
  origin: string;
  /** The meta-prompt sent to the optimizer LLM and its raw reply, when one made it. */
  metaPrompt?: string;
  rawReply?: string;
  /** Budget spent when the candidate was proposed / scored. */
  spentAtProposal: BudgetSpent;
  spentAtScore?: BudgetSpent;
}

/** A failure shown to the optimizer during reflection. */
export interface ShownFailure {
  exampleId: string;
  input: string;
  output: string;
  gold: string;
  /** Ground-truth cause when the target is sim. */
  trueCause?: string;
}

/** One error reflection ("textual gradient") and what followed it. */
export interface ReflectionRecord {
  step: number;
  /** Candidate that was reflected on. */
  parentId: string;
  shown: ShownFailure[];
  metaPrompt: string;
  text: string;
  /** Candidates produced by editing with this reflection. */
  editIds: string[];
  /** Shown failures each edit fixed / correct ones it broke (filled when edits are evaluated). */
  fixed?: Record<string, string[]>;
  broke?: Record<string, string[]>;
}

export interface StepRecord {
  step: number;
  bestId: string;
  bestScore: number;
  spent: BudgetSpent;
}

export interface Trajectory {
  candidates: Candidate[];
  reflections: ReflectionRecord[];
  steps: StepRecord[];
}

/** Per-query optimizers (BPO) rewrite each input instead of searching an instruction. */
export type QueryRewriter = (input: string) => Promise<string>;

export interface OptimizeResult {
  best: Prompt;
  bestScore: number;
  /** Present for per-query optimizers: apply to every input at evaluation time. */
  rewriter?: QueryRewriter;
  /**
   * Per-query optimizers: the same rewriting on another rewriter LLM stack, e.g. an
   * unbudgeted one for scoring after the search (inference cost is not search cost).
   */
  rewriterOn?: (llm: LLM) => QueryRewriter;
  trajectory: Trajectory;
  /** Why it stopped. */
  stoppedBy: 'done' | 'budget';
}

export { SCORINGS, type Scoring } from '../core/types.js';

/**
 * What `preset: paper` sets for one task: the paper's splits, starting
 * prompt, position (inside `initial`), scorer sample sizes and steps
 * (inside `options`), and scoring. Every number is cited beside it in the
 * optimizer's file (docs/optimizers.md, "Paper presets").
 */
export interface PaperPreset {
  /** What it follows, e.g. "OPRO §5.1; google-deepmind/opro optimize_instructions.py:640-679". */
  source: string;
  /** Option overrides, over the defaults and equal-budget overrides and under the user's own. */
  options?: Record<string, unknown>;
  /** The starting prompt (an explicit `--initial` / suite `initial` wins). */
  initial?: Prompt;
  /** Scoring rule (an explicit `--scoring` / suite `scoring` wins). */
  scoring?: Scoring;
  /**
   * The paper's train / dev / test for the loaded task; `seed` is the run's
   * split seed. The optimizer sees train and dev; the result is reported on test.
   */
  splits?: (task: Task, seed: number) => TaskSplits;
}

export interface Optimizer<O extends object = Record<string, unknown>> {
  /** CLI name, e.g. "opro". */
  name: string;
  /** Paper reference, e.g. "Yang et al. 2023, Large Language Models as Optimizers (OPRO)". */
  paper: string;
  /** Paper defaults. */
  defaults: O;
  /** Validates user options (partial, merged over defaults). */
  schema: z.ZodType<O>;
  /**
   * The reference's starting prompt for a task (instruction and position),
   * used when the run sets none; undefined = the empty instruction at Q_begin.
   */
  initial?(taskId: string): Prompt | undefined;
  /** The paper preset for a task (`preset: paper`); undefined when the paper has none for its family. */
  paperPreset?(taskId: string): PaperPreset | undefined;
  optimize(ctx: OptimizerContext, options: O): Promise<OptimizeResult>;
}
