/**
 * GPO — Tang et al. 2024, "Unleashing the Potential of Large Language Models
 * as Prompt Optimizers: An Analogical Analysis with Gradient-based Model
 * Optimizers" (arXiv 2402.17564; reference code RUCAIBox/GPO).
 *
 * Gradient-descent analogy. Each step:
 * 1. the current prompt is evaluated on the next train batch (8 examples);
 * 2. "gradient": the optimizer LLM is shown the batch's failures and asked for
 *    a reason the prompt got them wrong (temperature 0; recorded as a reflection);
 * 3. update direction ("momentum"): prompts retrieved from the optimization
 *    trajectory with their scores, by relevance to the current prompt (the
 *    paper's choice; recency and none are ablations);
 * 4. update method: generation-based refinement — one meta-prompt with the
 *    retrieved trajectory, the current prompt, the problems found and a few task
 *    exemplars, asking for a new prompt that changes at most N words, where N
 *    ("learning rate") decays with a cosine schedule over all steps; sampled
 *    8 times;
 * 5. the new prompts are scored on the dev set, and the best new one becomes
 *    the current prompt (the reference code moves to the best new prompt even
 *    when it is worse; the run returns the best-scoring prompt seen).
 * Structure and constants follow the reference code (src/optimization/main.py,
 * gradient/feedback_gradient.py, utilize_gradient/generate_based_util_gradient.py,
 * learning_rate/w_lr.py, learning_rate_scheduler/consine.py,
 * first_order_momentum/ relevance selection, GPO.sh).
 */
import { z } from 'zod';
import { BudgetExhausted } from '../core/errors.js';
import { POSITIONS, type Embedder, type EvalResult, type Example, type Position, type Prompt, type Task, type TaskSplits } from '../core/types.js';
import { countSchema, instructionPrompt, Recorder, scoreSetOf, taskFamily, untilBudget } from './common.js';
import { splitRng } from '../tasks/splits.js';
import type { Candidate, Optimizer, ReflectionRecord, ShownFailure } from './types.js';

export type GpoDirection = 'trajectory-relevance' | 'recency' | 'none';

export interface GpoOptions {
  /** Passes over the train set; steps = epochs × ⌈batches⌉ (reference GPO.sh: 3). Accepts Infinity. */
  epochs: number;
  /** Train examples per step whose failures are shown (reference GPO.sh opt_batch_size 8). */
  batchSize: number;
  /** Prompts sampled per step, one optimizer call each (reference GPO.sh: 8). */
  candidatesPerStep: number;
  /** Task exemplars shown with <Prompt> at the instruction position (reference GPO.sh format_data_num 3). */
  numExemplars: number;
  /** Update direction: trajectory prompts retrieved by relevance (paper), the most recent ones, or none. */
  direction: GpoDirection;
  /** Trajectory prompts shown, the current one included (reference GPO.sh momentum_selection_num 3). */
  retrievalSize: number;
  /** Put the edit-distance limit ("learning rate") in the meta-prompt (reference w_lr / wo_lr). */
  editLimit: boolean;
  /** Word limit at the first step (reference initial_step_size). */
  initialEditWords: number;
  /** Word limit reached at the last step (reference final_step_size). */
  finalEditWords: number;
  /** Schedule of the limit: cosine decay (paper) or constant at initialEditWords. */
  decay: 'cosine' | 'none';
  /**
   * What happens to a candidate that changes more words than allowed: the
   * reference code only states the limit ('none'); 'filter' drops it (not scored).
   */
  limitCheck: 'none' | 'filter';
  /** Ask for a reason from the batch failures and show it in the meta-prompt (reference gradient "feedback"). */
  showFailures: boolean;
  /** Show the target's full output with each failure (else only the extracted prediction). */
  showOutputs: boolean;
  /**
   * Check the new prompts on the step's batch to fill the reflection's
   * fixed/broke lists ('batch'), or not ('off'). Costs up to batchSize target
   * calls per new prompt; not in the paper.
   */
  editCheck: 'batch' | 'off';
  /** Optimizer temperature for generation. */
  temperature: number;
  /** Optimizer temperature for the failure analysis (reference: 0). */
  feedbackTemperature: number;
  maxTokens: number;
  /** Instruction position; null = the starting prompt's (GPO's reference starting prompt: Q_end, GPO.sh:10). */
  position: Position | null;
  /** Examples each prompt is scored on: all of ctx.dev, or a fixed random subset of this size. */
  scoreExamples: number | 'all';
}

/**
 * GPO's reference starting prompt (GPO.sh:10-11, :27): "Let's think step by
 * step." at Q_end, without the Q:/A: pattern (INCLUDE_QA=false: the `plain`
 * layout, eval_utils.py:257-266). Used when the run sets no starting prompt.
 */
export const GPO_INITIAL: Prompt = { instruction: "Let's think step by step.", position: 'Q_end', layout: 'plain' };

export const GPO_DEFAULTS: GpoOptions = {
  epochs: 3, // GPO.sh:9 NUM_SEARCH_EPOCHS
  batchSize: 8, // GPO.sh:13 OPT_BATCH_SIZE
  candidatesPerStep: 8, // GPO.sh:12 NUM_GENERATED_INSTRUCTIONS_IN_EACH_STEP
  numExemplars: 3, // GPO.sh:14 FORMAT_DATA_NUM
  direction: 'trajectory-relevance', // GPO.sh:17 MOMENTUM_SELECTION_NAME="relavance", :19 "k-list"
  retrievalSize: 3, // GPO.sh:18 MOMENTUM_SELECTION_NUM
  editLimit: true, // GPO.sh:20 LEARNING_RATE_NAME="w_lr"
  initialEditWords: 50, // GPO.sh:22 INITIAL_STEP_SIZE
  finalEditWords: 10, // GPO.sh:26 FINAL_STEP_SIZE
  decay: 'cosine', // GPO.sh:23 DECAY_STRATEGY="consine", :24 no warm-up
  limitCheck: 'none', // the reference only states the limit (w_lr.py)
  showFailures: false, // GPO.sh:15 GRADIENT_NAME="-", :21 UTIL_GRADIENT_NAME="generate_without"
  showOutputs: false, // feedback_gradient.py:38 parsed_answer (only with showFailures)
  editCheck: 'off', // instrumentation, not in the reference
  temperature: 1.0, // args.py:44 optimizer_temperature
  feedbackTemperature: 0, // optimize.py:630
  maxTokens: 512, // optimize.py:112 optimizer_gpt_max_decode_steps
  position: null, // the starting prompt's: GPO_INITIAL (GPO.sh:10 Q_end) unless the run sets another
  scoreExamples: 'all',
};

const pos = z.number().int().positive();
export const gpoSchema = z.strictObject({
  epochs: countSchema(),
  batchSize: pos,
  candidatesPerStep: pos,
  numExemplars: z.number().int().nonnegative(),
  direction: z.enum(['trajectory-relevance', 'recency', 'none']),
  retrievalSize: pos,
  editLimit: z.boolean(),
  initialEditWords: pos,
  finalEditWords: pos,
  decay: z.enum(['cosine', 'none']),
  limitCheck: z.enum(['none', 'filter']),
  showFailures: z.boolean(),
  showOutputs: z.boolean(),
  editCheck: z.enum(['batch', 'off']),
  temperature: z.number().min(0).max(2),
  feedbackTemperature: z.number().min(0).max(2),
  maxTokens: pos,
  position: z.enum(POSITIONS as unknown as [Position, ...Position[]]).nullable(),
  scoreExamples: z.union([pos, z.literal('all')]),
}) as z.ZodType<GpoOptions>;

// ---------------------------------------------------------------- schedule and distances

/**
 * The word limit at a step (reference consine.py, no warm-up): with t = number
 * of trajectory entries so far (1 at the first step) and T = total steps,
 * ⌊final + (initial − final) · ½(1 + cos(π·t/T))⌋; t is capped at T.
 * 'none' keeps the initial limit.
 */
export function editLimitAt(
  t: number,
  o: { initial: number; final: number; total: number; decay: 'cosine' | 'none' },
): number {
  if (o.decay === 'none' || !(o.total > 0)) return o.initial;
  const frac = Math.min(1, t / o.total);
  return Math.trunc(o.final + (o.initial - o.final) * 0.5 * (1 + Math.cos(Math.PI * frac)));
}

export function words(text: string): string[] {
  const t = text.trim();
  return t ? t.split(/\s+/) : [];
}

/** Word-level Levenshtein distance: words inserted, deleted or replaced to turn a into b. */
export function wordEditDistance(a: string, b: string): number {
  const x = words(a);
  const y = words(b);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++)
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * Bag-of-words relevance, the offline fallback: the cosine similarity of
 * lower-cased word-count vectors. (The reference embeds prompts with a
 * sentence encoder, relavance_selection.py:14-26; with `ctx.embedder` GPO
 * uses embeddings instead.)
 */
export function relevance(a: string, b: string): number {
  const count = (s: string) => {
    const m = new Map<string, number>();
    for (const w of s.toLowerCase().match(/[a-z0-9']+/g) ?? []) m.set(w, (m.get(w) ?? 0) + 1);
    return m;
  };
  const ca = count(a);
  const cb = count(b);
  let dot = 0;
  for (const [w, n] of ca) dot += n * (cb.get(w) ?? 0);
  const norm = (m: Map<string, number>) => Math.sqrt([...m.values()].reduce((s, n) => s + n * n, 0));
  const d = norm(ca) * norm(cb);
  return d > 0 ? dot / d : 0;
}

/** Cosine similarity of two vectors (0 when either is zero). */
export function cosine(x: readonly number[], y: readonly number[]): number {
  let dot = 0;
  let nx = 0;
  let ny = 0;
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    dot += x[i]! * y[i]!;
    nx += x[i]! * x[i]!;
    ny += y[i]! * y[i]!;
  }
  return nx > 0 && ny > 0 ? dot / Math.sqrt(nx * ny) : 0;
}

/** Similarities of `query` to each of `texts`: embeddings when an embedder is given (one call), else bag-of-words. */
export async function similarities(query: string, texts: readonly string[], embedder?: Embedder): Promise<number[]> {
  if (texts.length === 0) return [];
  if (!embedder) return texts.map((t) => relevance(query, t));
  const [q, ...vs] = await embedder.embed([query, ...texts]);
  return vs.map((v) => cosine(q!, v));
}

export interface TrajectoryEntry {
  instruction: string;
  /** Accuracy in [0, 1]. */
  score: number;
}

/**
 * The update direction (k_update.py + relavance_selection.py / recency_selection.py,
 * "k-list" update): the latest trajectory entry (the current prompt) first,
 * then k − 1 earlier entries — the most similar to the current prompt
 * ('trajectory-relevance'; `np.argsort(sim)[::-1]` over the earlier entries
 * most recent first, so ties go to the older entry) or the most recent
 * ('recency'). 'none' shows nothing. `sims` gives the similarity of the
 * current prompt to each earlier entry, most recent first (default bag-of-words).
 */
export function retrieveTrajectory(
  trajectory: readonly TrajectoryEntry[],
  k: number,
  direction: GpoDirection,
  sims?: readonly number[],
): TrajectoryEntry[] {
  if (direction === 'none' || trajectory.length === 0 || k <= 0) return [];
  const current = trajectory[trajectory.length - 1]!;
  const earlier = trajectory.slice(0, -1).reverse(); // most recent first
  const sim = sims ?? earlier.map((e) => relevance(current.instruction, e.instruction));
  const picked =
    direction === 'recency'
      ? earlier.slice(0, k - 1)
      : earlier
          .map((e, i) => ({ e, i, r: sim[i]! }))
          .sort((a, b) => b.r - a.r || b.i - a.i)
          .slice(0, k - 1)
          .map((x) => x.e);
  return [current, ...picked];
}

// ---------------------------------------------------------------- meta-prompts (reference code, verbatim)

/** Python's str() of a float (repr): "0.5", "1.0", "0.4583333333333333", "1e-05". */
export function pyFloat(x: number): string {
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  if (Number.isInteger(x) && Math.abs(x) < 1e16) return x.toFixed(1);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-4 || a >= 1e16)) {
    const [m, e] = x.toExponential().split('e');
    const exp = Number(e);
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return String(x);
}

/** Python's round(x, 2) on a double: correctly rounded, exact ties (x = k/8) to even. */
export function pyRound2(x: number): number {
  const y = x * 100;
  if (Number.isInteger(x * 8) && Math.abs(y - Math.trunc(y)) === 0.5) {
    const f = Math.floor(y);
    return (f % 2 === 0 ? f : f + 1) / 100;
  }
  return Number(x.toFixed(2));
}

/** Python's str of a score as the reference prints it (raw fraction, optimize.py:442-443). */
export const shownScore = (acc: number) => pyFloat(acc);

/** Reference eval_utils.polish_sentence: strip, drop "**", capitalise the first letter. */
export function polishSentence(sentence: string): string {
  let s = sentence.trim();
  if (s) {
    s = s.split('**').join('');
    if (s.length > 1) s = s[0]!.toUpperCase() + s.slice(1);
  }
  return s;
}

/**
 * The failures as the feedback meta-prompt shows them (feedback_gradient.py:40-46):
 * `Question` / `Wrong prediction` (the parsed answer; the full output with
 * `showOutputs`) / `Ground truth answer`, separated by a blank line.
 */
export function formatFailures(failures: readonly ShownFailure[], preds: readonly (string | null)[], showOutputs: boolean): string {
  return failures
    .map((f, i) =>
      [
        `Question: ${f.input}`,
        `Wrong prediction: ${showOutputs ? f.output.trim() : (preds[i] ?? 'None')}`,
        `Ground truth answer: ${f.gold}`,
      ].join('\n'),
    )
    .join('\n\n');
}

/** The "gradient" meta-prompt (feedback_gradient.py:48-57), used with showFailures. */
export function feedbackMetaPrompt(instruction: string, failureString: string): string {
  return (
    'Your task is to point out the problems with the current prompt based on the wrong examples.\n\n' +
    `The current prompt is:\n${instruction}\n\n` +
    'But this prompt gets the following examples wrong.\n' +
    'You should analyze the differences between wrong predictions and ground truth answers,' +
    ' and carefully consider why this prompt led to incorrect predictions.\n\n' +
    `Below are the task examples with Queston, Wrong prediction, and Ground truth answer.\n\n${failureString}\n\n` +
    'Give a reason why the prompt could have gotten these examples wrong.\n' +
    'Wrap the reason with <START> and <END>.'
  );
}

/** A task exemplar with <Prompt> at the instruction position (generate_without_gradient.py:31-52). */
export function gpoExemplar(ex: Example, position: Position): string {
  switch (position) {
    case 'before_Q':
    case 'Q_begin':
      return `Input:\n<Prompt>\n${ex.input}\nOutput:\n${ex.target}`;
    case 'Q_end':
      return `Input:\n${ex.input}\n<Prompt>\nOutput:\n${ex.target}`;
    case 'A_begin':
      return `Input:\nQ: ${ex.input}\nA: <Prompt>\nOutput:\n${ex.target}`;
  }
}

const POSITION_WORDS: Record<Position, string> = {
  before_Q: 'before the question',
  Q_begin: 'at the beginning of the question',
  Q_end: 'at the end of the question',
  A_begin: 'at the beginning of the answer',
};

export interface GpoMetaPromptArgs {
  current: string;
  /** The current prompt's score (accuracy in [0, 1]); shown rounded to 2 places when no trajectory is shown. */
  currentScore: number;
  /** Retrieved trajectory (prompt, score), the current prompt first; empty = no update direction shown. */
  retrieved: readonly TrajectoryEntry[];
  /** The reason from the feedback call; null when failures are not shown. */
  problems: string | null;
  exemplars: readonly Example[];
  position: Position;
  /** Words that may change; null = no limit stated. */
  editWords: number | null;
}

const EXEMPLAR_EXPLANATION =
  'The following exemplars show how to apply the prompt: you replace <Prompt> in each input with your new prompt, then read the input and give an output. We say your output is wrong if it is different from the given output, and we say your output is correct if they are the same.\n\n';

/**
 * The update meta-prompt, as the reference builds it: generation without
 * gradient (generate_without_gradient.py:54-78; the GPO.sh default) or with
 * the feedback gradient's problems (generate_based_util_gradient.py:54-80),
 * with the k-list trajectory (k_update.py:19-25; scores as raw fractions) or,
 * with no trajectory, the current prompt and its score rounded to 2 places
 * (optimize.py:771-772); then the learning-rate sentence inserted before the
 * last line (w_lr.py:10-19).
 */
export function buildGpoMetaPrompt(a: GpoMetaPromptArgs): string {
  const examples = a.exemplars.map((e) => gpoExemplar(e, a.position)).join('\n\n');
  const problems = a.problems !== null ? `Below are the problems with this prompt.\n\n${a.problems}\n\n` : '';
  const where = ` to replace <Prompt> ${POSITION_WORDS[a.position]} in the task examples.\n`;
  let text: string;
  if (a.retrieved.length > 0) {
    const kList =
      'Below are the previous prompts with their scores. The score ranges from 0 to 100, and higher scores indicate better quality.\n\n' +
      a.retrieved.map((e) => `Prompt: ${e.instruction}\nScore: ${shownScore(e.score)}`).join('\n\n') +
      '\n\n';
    text =
      'Your task is to write a prompt to replace <Prompt>.\n\n' +
      kList +
      `The current prompt is:\n${a.current}\n\n` +
      problems +
      EXEMPLAR_EXPLANATION +
      `${examples}\n\n` +
      'Carefully analyze the previous prompts and their scores, and write a new improved prompt' +
      where +
      'Wrap the new prompt with <START> and <END>.';
  } else {
    text =
      'Your task is to write a prompt to replace <Prompt>.\n\n' +
      'Below is the current prompt with its score. The score ranges from 0 to 100, and higher score indicates better quality.\n' +
      `Prompt: ${a.current}\nScore: ${pyFloat(pyRound2(a.currentScore))}\n\n` +
      `The current prompt is:\n${a.current}\n\n` +
      problems +
      EXEMPLAR_EXPLANATION +
      `${examples}\n\n` +
      'Write a new improved prompt' +
      where +
      'Wrap the new prompt with <START> and <END>.';
  }
  if (a.editWords === null) return text;
  const lines = text.split('\n');
  const last = lines.pop()!;
  return `${lines.join('\n')}\nYou are allowed to change up to ${a.editWords} words in the current prompt.\n\n${last}`;
}

/** The text in a reply (optimize.py:39-49 extract_text): from after the first <START> (else the start) to the first <END> (else the end), trimmed. */
export function parseGpoReply(reply: string): string {
  const s = reply.indexOf('<START>');
  const from = s < 0 ? 0 : s + '<START>'.length;
  const e = reply.indexOf('<END>');
  return reply.slice(from, e < 0 ? reply.length : e).trim();
}

// ---------------------------------------------------------------- optimizer

/** An unbounded run stops after this many steps that add no candidate and spend no target call (not from the paper). */
const STALL_STEPS = 3;

/**
 * The paper's splits (RUCAIBox/GPO data/): BBH per task 20% / 20% / 60% of the
 * examples left after 5 format and 5 few-shot examples (navigate: 48 / 48 / 144,
 * data/BIG-Bench-Hard/navigate/*.jsonl; causal_judgement 35 / 35 / 107), MMLU
 * 20 / 20 / 60 per subject (data/MMLU/anatomy/*.jsonl), GSM8K 100 / 100 / 300
 * (data/reasoning/GSM8K/*.jsonl: train and eval from the training set, test
 * from the test set). Drawn with the split seed from the loaded task's examples.
 */
export function gpoPaperSplits(family: string): ((task: Task, seed: number) => TaskSplits) | undefined {
  const rng = (task: Task, seed: number) => splitRng(seed, `gpo-paper/${task.id}`);
  if (family === 'bbh')
    return (task, seed) => {
      const all = rng(task, seed).shuffle([...task.splits.train, ...task.splits.dev, ...task.splits.test]);
      const m = Math.max(0, all.length - 10);
      const n = Math.floor(0.2 * m);
      return { train: all.slice(0, n), dev: all.slice(n, 2 * n), test: all.slice(2 * n, m) };
    };
  if (family === 'mmlu')
    return (task, seed) => {
      const all = rng(task, seed).shuffle([...task.splits.train, ...task.splits.dev, ...task.splits.test]);
      return { train: all.slice(0, 20), dev: all.slice(20, 40), test: all.slice(40, 100) };
    };
  if (family === 'gsm8k')
    return (task, seed) => {
      const r = rng(task, seed);
      const pool = r.shuffle([...task.splits.train, ...task.splits.dev]);
      return { train: pool.slice(0, 100), dev: pool.slice(100, 200), test: r.derive('test').sample(task.splits.test, 300) };
    };
  return undefined;
}

export const gpo: Optimizer<GpoOptions> = {
  name: 'gpo',
  initial: () => GPO_INITIAL,
  paperPreset(taskId) {
    const splits = gpoPaperSplits(taskFamily(taskId));
    if (!splits) return undefined;
    return {
      source: 'GPO §4.1; RUCAIBox/GPO GPO.sh (run settings), data/ (splits); strict scoring (eval_utils.py:731 treat_include_as_correct=False)',
      initial: GPO_INITIAL,
      splits,
    };
  },
  paper: 'Tang et al. 2024, Unleashing the Potential of LLMs as Prompt Optimizers: An Analogical Analysis with Gradient-based Model Optimizers (GPO)',
  defaults: GPO_DEFAULTS,
  schema: gpoSchema,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'gpo');
    const start = ctx.initial ?? GPO_INITIAL;
    const position: Position = o.position ?? start.position ?? 'Q_begin';
    const makePrompt = instructionPrompt({ ...ctx, initial: start }, position);
    const fallback = makePrompt(start.instruction);
    const scoreSet = scoreSetOf(ctx, o.scoreExamples, 'gpo');
    // Reference: the train order and the format exemplars are drawn once per run.
    const order = ctx.rng.derive('gpo-train-order').shuffle(ctx.train);
    const exemplars = ctx.rng.derive('gpo-exemplars').sample(ctx.train, o.numExemplars);
    // Reference main.py: a last partial batch counts as a step when it holds at least half a batch.
    const rest = order.length % o.batchSize;
    const stepsPerEpoch = Math.max(1, Math.floor(order.length / o.batchSize) + (rest >= o.batchSize / 2 ? 1 : 0));
    const totalSteps = o.epochs * stepsPerEpoch;
    // With unbounded epochs the schedule decays over the paper's 3 epochs, then stays at the final limit.
    const horizon = Number.isFinite(totalSteps) ? totalSteps : GPO_DEFAULTS.epochs * stepsPerEpoch;

    const trajectory: TrajectoryEntry[] = [];
    const stepPicks = new Set<string>();

    const ensureRoomToScore = (extra = 0) => {
      if (ctx.budget.remaining().targetCalls < scoreSet.length + extra)
        throw new BudgetExhausted(
          'target calls (too few left to score a new prompt)',
          ctx.budget.spent.targetCalls,
          ctx.budget.limits.targetCalls ?? Infinity,
        );
    };

    const stoppedBy = await untilBudget(async () => {
      let current = rec.propose(fallback, { origin: 'initial', step: 0 }).candidate;
      await rec.score(current, scoreSet);
      trajectory.push({ instruction: current.prompt.instruction, score: current.score! });
      stepPicks.add(current.id);
      rec.stepDone(0, current);
      let stalled = 0;

      for (let step = 1; step <= totalSteps; step++) {
        ensureRoomToScore(o.batchSize);
        const before = { n: rec.trajectory.candidates.length, target: ctx.budget.spent.targetCalls };
        const b = (step - 1) % stepsPerEpoch;
        const batch = order.slice(b * o.batchSize, Math.min(order.length, (b + 1) * o.batchSize));
        const base: EvalResult = await ctx.evaluator.evaluate(current.prompt, batch);
        const instruction = current.prompt.instruction;

        // gradient: a reason for the batch failures (recorded as a reflection)
        let problems: string | null = null;
        let reflection: ReflectionRecord | undefined;
        const failures = base.outcomes.filter((x) => !x.correct);
        if (o.showFailures && failures.length > 0) {
          const shown: ShownFailure[] = failures.map((f) => ({
            exampleId: f.exampleId,
            input: f.input,
            output: f.output,
            gold: f.gold,
            ...(f.trueCause ? { trueCause: f.trueCause } : {}),
          }));
          const meta = feedbackMetaPrompt(instruction, formatFailures(shown, failures.map((f) => f.pred), o.showOutputs));
          const [reply = ''] = await rec.ask(meta, { temperature: o.feedbackTemperature, maxTokens: o.maxTokens });
          // optimize.py:639-642: extract_text, then polish_sentence
          problems = polishSentence(parseGpoReply(reply));
          reflection = { step, parentId: current.id, shown, metaPrompt: meta, text: problems, editIds: [] };
        }

        try {
          // update direction and learning rate
          const earlier = trajectory.slice(0, -1).reverse().map((e) => e.instruction);
          const sims =
            o.direction === 'trajectory-relevance' && earlier.length > 0
              ? await similarities(instruction, earlier, ctx.embedder)
              : undefined;
          const retrieved = retrieveTrajectory(trajectory, o.retrievalSize, o.direction, sims);
          const limit = o.editLimit
            ? editLimitAt(trajectory.length, { initial: o.initialEditWords, final: o.finalEditWords, total: horizon, decay: o.decay })
            : null;
          const metaPrompt = buildGpoMetaPrompt({
            current: instruction,
            currentScore: current.score ?? 0,
            retrieved,
            problems,
            exemplars,
            position,
            editWords: limit,
          });
          ensureRoomToScore();
          const replies = await rec.ask(metaPrompt, { samples: o.candidatesPerStep, temperature: o.temperature, maxTokens: o.maxTokens });

          // candidates of this step
          const pool: Candidate[] = [];
          const fresh: Candidate[] = [];
          const distances: { text: string; words: number; dropped: boolean }[] = [];
          for (const raw of replies) {
            const text = polishSentence(parseGpoReply(raw)); // optimize.py:827-834
            if (!text || text === instruction) continue;
            const d = wordEditDistance(instruction, text);
            const over = limit !== null && d > limit;
            distances.push({ text, words: d, dropped: over && o.limitCheck === 'filter' });
            if (over && o.limitCheck === 'filter') continue;
            // room to score is checked before proposing, so the trajectory never holds an unscored candidate
            ensureRoomToScore();
            const { candidate, isNew } = rec.propose(makePrompt(text), {
              parents: [current.id],
              origin: 'gpo',
              step,
              metaPrompt,
              rawReply: raw,
            });
            if (isNew) {
              await rec.score(candidate, scoreSet);
              fresh.push(candidate);
            }
            if (!pool.includes(candidate)) pool.push(candidate);
            if (reflection && !reflection.editIds.includes(candidate.id)) reflection.editIds.push(candidate.id);
          }
          ctx.log.emit({ type: 'gpo-edit-distance', optimizer: 'gpo', step, limit, candidates: distances });

          // fixed / broke on the step's batch, for reflection quality reports
          if (reflection && o.editCheck === 'batch' && fresh.length > 0) {
            const wasRight = new Set(base.outcomes.filter((x) => x.correct).map((x) => x.exampleId));
            const shownIds = new Set(reflection.shown.map((s) => s.exampleId));
            reflection.fixed = {};
            reflection.broke = {};
            for (const c of pool) {
              const res = await ctx.evaluator.evaluate(c.prompt, batch);
              reflection.fixed[c.id] = res.outcomes.filter((x) => x.correct && shownIds.has(x.exampleId)).map((x) => x.exampleId);
              reflection.broke[c.id] = res.outcomes.filter((x) => !x.correct && wasRight.has(x.exampleId)).map((x) => x.exampleId);
            }
          }

          // update: the best prompt of this step that was not already a step's pick (reference main.py)
          const movable = pool.filter((c) => !stepPicks.has(c.id) && c.score !== undefined);
          if (movable.length > 0) {
            current = movable.reduce((best, c) => (c.score! > best.score! ? c : best));
            stepPicks.add(current.id);
          }
          trajectory.push({ instruction: current.prompt.instruction, score: current.score! });
        } finally {
          if (reflection) rec.reflect(reflection);
        }
        rec.stepDone(step);
        const nothingNew = rec.trajectory.candidates.length === before.n && ctx.budget.spent.targetCalls === before.target;
        stalled = nothingNew ? stalled + 1 : 0;
        if (stalled >= STALL_STEPS) break;
      }
    });
    return rec.result(stoppedBy, fallback);
  },
};
