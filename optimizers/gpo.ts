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
import { POSITIONS, type EvalResult, type Example, type Position, type Prompt } from '../core/types.js';
import { allBetween, countSchema, instructionPrompt, Recorder, roundHalfEven, scoreSetOf, untilBudget } from './common.js';
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
  /** Instruction position; null = ctx.initial's (else Q_begin). The reference runs use Q_end. */
  position: Position | null;
  /** Examples each prompt is scored on: all of ctx.dev, or a fixed random subset of this size. */
  scoreExamples: number | 'all';
}

export const GPO_DEFAULTS: GpoOptions = {
  epochs: 3,
  batchSize: 8,
  candidatesPerStep: 8,
  numExemplars: 3,
  direction: 'trajectory-relevance',
  retrievalSize: 3,
  editLimit: true,
  initialEditWords: 50,
  finalEditWords: 10,
  decay: 'cosine',
  limitCheck: 'none',
  showFailures: true,
  showOutputs: true,
  editCheck: 'batch',
  temperature: 1.0,
  feedbackTemperature: 0,
  maxTokens: 512,
  position: null,
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
 * Relevance between two prompts. The reference code embeds prompts with a
 * sentence encoder and uses cosine similarity; without an embedding model,
 * this is the cosine similarity of lower-cased word-count vectors.
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

export interface TrajectoryEntry {
  instruction: string;
  /** Accuracy in [0, 1]. */
  score: number;
}

/**
 * The update direction (reference first_order_momentum, "k-list" update):
 * the latest trajectory entry (the current prompt) first, then k − 1 earlier
 * entries — the most relevant to the current prompt ('trajectory-relevance';
 * ties: most recent first) or the most recent ('recency'). 'none' shows nothing.
 */
export function retrieveTrajectory(trajectory: readonly TrajectoryEntry[], k: number, direction: GpoDirection): TrajectoryEntry[] {
  if (direction === 'none' || trajectory.length === 0 || k <= 0) return [];
  const current = trajectory[trajectory.length - 1]!;
  const earlier = trajectory.slice(0, -1).reverse(); // most recent first
  const picked =
    direction === 'recency'
      ? earlier.slice(0, k - 1)
      : earlier
          .map((e, i) => ({ e, i, r: relevance(current.instruction, e.instruction) }))
          .sort((a, b) => b.r - a.r || a.i - b.i)
          .slice(0, k - 1)
          .map((x) => x.e);
  return [current, ...picked];
}

// ---------------------------------------------------------------- meta-prompts

export const shownScore = (acc: number) => roundHalfEven(100 * acc);

/** One failure as the feedback meta-prompt shows it (reference: Question / Wrong prediction / Ground truth answer). */
export function formatFailures(failures: readonly ShownFailure[], preds: readonly (string | null)[], showOutputs: boolean): string {
  return failures
    .map((f, i) =>
      [
        `Question: ${f.input.trim()}`,
        `Wrong prediction: ${showOutputs ? f.output.trim() : (preds[i] ?? '(no answer found)')}`,
        `Ground truth: ${f.gold}`,
      ].join('\n'),
    )
    .join('\n\n');
}

/** The "gradient" meta-prompt (reference gradient/feedback_gradient.py). */
export function feedbackMetaPrompt(instruction: string, failureString: string): string {
  return [
    'Your task is to point out the problems with the current prompt based on the wrong examples.',
    '',
    'The current prompt is:',
    `"${instruction}"`,
    '',
    'But this prompt gets the following examples wrong.',
    'Analyze the differences between the wrong predictions and the ground truth answers, and consider carefully why the prompt led to incorrect predictions.',
    '',
    'Below are the task examples with the question, the wrong prediction and the ground truth answer.',
    '',
    failureString,
    '',
    'Give a reason why the prompt could have gotten these examples wrong.',
    'Wrap the reason with <START> and <END>.',
  ].join('\n');
}

/** A task exemplar with <Prompt> at the instruction position (reference generate_based_util_gradient.py). */
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
  /** Retrieved trajectory (prompt, score), the current prompt first; empty = no update direction shown. */
  retrieved: readonly TrajectoryEntry[];
  /** The reason from the feedback call; null when failures are not shown. */
  problems: string | null;
  exemplars: readonly Example[];
  position: Position;
  /** Words that may change; null = no limit stated. */
  editWords: number | null;
}

/**
 * The generation-based refinement meta-prompt (reference
 * generate_based_util_gradient.py with k-list momentum, and w_lr.py which puts
 * the word limit right before the last line): the retrieved prompts with
 * their scores, the current prompt, the problems found, task exemplars, and
 * the request for a new prompt wrapped in <START> and <END>.
 */
export function buildGpoMetaPrompt(a: GpoMetaPromptArgs): string {
  const parts: string[] = ['Your task is to write a prompt to replace <Prompt>.'];
  // The current prompt comes first: readers of the request take the first "current prompt is:" as the one to edit.
  parts.push(`The current prompt is:\n"${a.current}"`);
  if (a.retrieved.length > 0)
    parts.push(
      'Below are previous prompts from the optimization trajectory with their scores. The score ranges from 0 to 100, and higher scores indicate better quality.\n\n' +
        a.retrieved.map((e) => `Prompt: ${e.instruction}\nScore: ${shownScore(e.score)}`).join('\n\n'),
    );
  if (a.problems !== null) parts.push(`Below are the problems with this prompt.\n\n${a.problems}`);
  if (a.exemplars.length > 0)
    parts.push(
      'The following exemplars show how to apply the prompt: you replace <Prompt> in each input with your new prompt, then read the input and give an output. We say your output is wrong if it is different from the given output, and we say your output is correct if they are the same.\n\n' +
        a.exemplars.map((e) => gpoExemplar(e, a.position)).join('\n\n'),
    );
  const analyse = a.retrieved.length > 0 ? 'carefully analyze the previous prompts and their scores, and ' : '';
  const request =
    `Based on the above information, ${analyse}write a new improved prompt to replace <Prompt> ${POSITION_WORDS[a.position]} in the task examples.\n` +
    (a.editWords !== null ? `You are allowed to change up to ${a.editWords} words in the current prompt.\n` : '') +
    'Wrap the new prompt with <START> and <END>.';
  parts.push(request);
  return parts.join('\n\n');
}

/** The prompt in a reply: between the first <START> and the next <END> (either may be missing), trimmed. */
export function parseGpoReply(reply: string): string {
  const s = reply.indexOf('<START>');
  const from = s < 0 ? 0 : s + '<START>'.length;
  const e = reply.indexOf('<END>', from);
  return reply.slice(from, e < 0 ? reply.length : e).trim();
}

// ---------------------------------------------------------------- optimizer

/** An unbounded run stops after this many steps that add no candidate and spend no target call (not from the paper). */
const STALL_STEPS = 3;

export const gpo: Optimizer<GpoOptions> = {
  name: 'gpo',
  paper: 'Tang et al. 2024, Unleashing the Potential of LLMs as Prompt Optimizers: An Analogical Analysis with Gradient-based Model Optimizers (GPO)',
  defaults: GPO_DEFAULTS,
  schema: gpoSchema,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'gpo');
    const position: Position = o.position ?? ctx.initial?.position ?? 'Q_begin';
    const makePrompt = instructionPrompt(ctx, position);
    const fallback = makePrompt(ctx.initial?.instruction ?? '');
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
          // Reference extract_text: the first wrapped reason (the whole reply when unwrapped).
          problems = allBetween(reply, '<START>', '<END>')[0] ?? reply.trim();
          reflection = { step, parentId: current.id, shown, metaPrompt: meta, text: problems, editIds: [] };
        }

        try {
          // update direction and learning rate
          const retrieved = retrieveTrajectory(trajectory, o.retrievalSize, o.direction);
          const limit = o.editLimit
            ? editLimitAt(trajectory.length, { initial: o.initialEditWords, final: o.finalEditWords, total: horizon, decay: o.decay })
            : null;
          const metaPrompt = buildGpoMetaPrompt({ current: instruction, retrieved, problems, exemplars, position, editWords: limit });
          ensureRoomToScore();
          const replies = await rec.ask(metaPrompt, { samples: o.candidatesPerStep, temperature: o.temperature, maxTokens: o.maxTokens });

          // candidates of this step
          const pool: Candidate[] = [];
          const fresh: Candidate[] = [];
          const distances: { text: string; words: number; dropped: boolean }[] = [];
          for (const raw of replies) {
            const text = parseGpoReply(raw);
            if (!text || text === instruction) continue;
            const d = wordEditDistance(instruction, text);
            const over = limit !== null && d > limit;
            distances.push({ text, words: d, dropped: over && o.limitCheck === 'filter' });
            if (over && o.limitCheck === 'filter') continue;
            const { candidate, isNew } = rec.propose(makePrompt(text), {
              parents: [current.id],
              origin: 'gpo',
              step,
              metaPrompt,
              rawReply: raw,
            });
            if (isNew) {
              ensureRoomToScore();
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
