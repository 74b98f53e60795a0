/**
 * OPRO — Yang et al. 2023, "Large Language Models as Optimizers" (ICLR 2024).
 *
 * Each step the optimizer LLM reads a meta-prompt holding the best previous
 * instructions with their training accuracies (ascending, so the best come
 * last) and a few task exemplars showing where the instruction goes (<INS>),
 * and is sampled several times for new instructions; the new ones that pass
 * the filters are scored and join the history. Section numbers refer to the
 * arXiv v3 paper; the filters follow the authors' reference implementation
 * (google-deepmind/opro, opro/optimization/opt_utils.py).
 */
import { z } from 'zod';
import { BudgetExhausted } from '../core/errors.js';
import { POSITIONS, type Example, type Layout, type Position, type Prompt, type Task, type TaskSplits } from '../core/types.js';
import { Rng } from '../core/rng.js';
import { countSchema, fitEvalSizeLogged, Recorder, roundHalfEven, scoreSetOf, taskFamily, untilBudget } from './common.js';
import type { Optimizer, PaperPreset } from './types.js';

export type OproMetaPromptStyle = 'gpt' | 'palm';
export type OproOrder = 'ascending' | 'descending' | 'random';

export interface OproOptions {
  /** Optimization steps; Infinity lets the budget end the run. */
  steps: number;
  /** Instructions sampled per step (each sample is one optimizer call). */
  candidatesPerStep: number;
  /** Most (instruction, score) pairs kept in the meta-prompt (the best ones). */
  maxPairs: number;
  /** Score-set exemplars shown per step; 0 leaves the exemplar part out. */
  numExemplars: number;
  /** Optimizer-LLM sampling temperature. */
  optimizerTemperature: number;
  /** Longest instruction (characters) that is scored. */
  maxLength: number;
  /**
   * Which published meta-prompt: 'gpt' (the text for GPT optimizers, `<INS>` /
   * `<Start>` tags) or 'palm' (the text-bison text, square brackets).
   */
  metaPrompt: OproMetaPromptStyle;
  /** Where the instruction goes; null = the starting prompt's (else Q_begin). */
  position: Position | null;
  /**
   * Pairs scoring below this are left out of the meta-prompt; 'by-scorer' is
   * the reference's rule: 0.3 for GPT scorers, 0 (none) for the others.
   */
  scoreThreshold: number | 'by-scorer';
  /** Drop instructions containing a digit: 'gsm8k' (the reference: on GSM8K only), 'always' or 'never'. */
  digitFilter: 'gsm8k' | 'always' | 'never';
  /** Scores are shown as round(acc · scoreBuckets) (100 = integers 0–100; §5.3 ablation: 20). */
  scoreBuckets: number;
  /** §5.3 ablation: false leaves the scores out (pairs still in ascending order). */
  showScores: boolean;
  /** §5.3 ablation: order of the pairs (the reference sorts ascending). */
  order: OproOrder;
  /** Examples each instruction is scored on: 'all' of ctx.dev, or a fixed random subset of this size. */
  scoreExamples: number | 'all';
}

/** The reference's starting instruction (opro/optimization/optimize_instructions.py:710-714). */
export const OPRO_GSM8K_INITIAL = "Let's solve the problem.";

export const OPRO_DEFAULTS: OproOptions = {
  steps: 200, // optimize_instructions.py:708 num_search_steps = 200
  candidatesPerStep: 8, // optimize_instructions.py:707 num_generated_instructions_in_each_step = 8
  maxPairs: 20, // optimize_instructions.py:727-729 max_num_instructions = 20
  numExemplars: 3, // optimize_instructions.py:701 num_few_shot_questions_for_instruction_refinement = 3
  optimizerTemperature: 1.0, // optimize_instructions.py:303 (text-bison) and :341 (GPT) temperature 1.0
  maxLength: 500, // opt_utils.py:805 len(instruction) > 500 → skipped
  metaPrompt: 'gpt', // optimize_instructions.py:75-77 default optimizer gpt-3.5-turbo → the GPT text (opt_utils.py:163-175, 271-289)
  position: null, // starting prompt's: Q_begin, as the README's command (README.md:33-34)
  scoreThreshold: 'by-scorer', // optimize_instructions.py:682-687: 0.0 for text-bison, 0.3 for GPT scorers
  digitFilter: 'gsm8k', // opt_utils.py:808-815: on GSM8K, instructions with digits are skipped
  scoreBuckets: 100, // optimize_instructions.py:731 num_score_buckets = 100 (opt_utils.py:47-49 round(score · buckets))
  showScores: true,
  order: 'ascending', // opt_utils.py:62-64 sorted by score ascending
  scoreExamples: 'all',
};

/** The reference's threshold for a scorer model (optimize_instructions.py:682-687). */
export function thresholdForScorer(model: string): number {
  return /gpt-3\.5-turbo|gpt-4/i.test(model) ? 0.3 : 0;
}

// ---------------------------------------------------------------- meta-prompt

export interface ScoredInstruction {
  instruction: string;
  /** Accuracy in [0, 1]. */
  score: number;
}

export interface OproMetaPromptArgs {
  history: readonly ScoredInstruction[];
  exemplars: readonly Example[];
  position: Position;
  /** The target's layout: the exemplars show the instruction where it goes (default qa). */
  layout?: Layout;
  style?: OproMetaPromptStyle;
  maxPairs: number;
  /** Pairs below it are left out after the top maxPairs are kept (0: none). */
  threshold?: number;
  scoreBuckets?: number;
  showScores: boolean;
  order?: OproOrder;
  /** Used only to shuffle the pairs when order is 'random'. */
  rng: Rng;
}

/**
 * How an exemplar shows where the instruction goes, as the reference's
 * gen_meta_prompt writes it (opt_utils.py:220-245). `tag` is `<INS>` (or
 * `<Start>` for the GPT text at A_begin).
 */
export function exemplarInput(question: string, position: Position, layout: Layout = 'qa', style: OproMetaPromptStyle = 'gpt'): string {
  if (layout === 'ape') return `input:\nInstruction: <INS>\n\nInput: ${question}\nOutput:`; // no reference form: APE's template (ours)
  if (layout === 'plain') {
    const body = position === 'Q_end' ? `${question}\n<INS>\n` : `<INS>\n${question}\n`; // opt_utils.py:233-245
    return style === 'gpt' ? `Problem:\n${body}` : `input:\n${body}`;
  }
  switch (position) {
    case 'before_Q':
      return `input:\n<INS>\nQ: ${question}\nA:`; // opt_utils.py:221-222
    case 'Q_begin':
      return `input:\nQ: <INS>\n${question}\nA:`; // opt_utils.py:223-224
    case 'Q_end':
      return `input:\nQ: ${question}\n<INS>\nA:`; // opt_utils.py:225-226
    case 'A_begin':
      return style === 'gpt' ? `Q: ${question}\nA: <Start>` : `input:\nQ: ${question}\nA: <INS>`; // opt_utils.py:227-232
  }
}

/** The score shown for an accuracy: round(acc · buckets), Python's half-even rounding (opt_utils.py:47-49, 74-77). */
export function shownScore(accuracy: number, buckets = 100): number {
  return roundHalfEven(buckets * accuracy);
}

/**
 * The pairs the meta-prompt shows (opt_utils.py:62-72): stable ascending sort,
 * keep the maxPairs best, then drop those below the threshold; the §5.3
 * ablations reverse or shuffle the kept pairs.
 */
export function selectPairs(
  history: readonly ScoredInstruction[],
  opts: Pick<OproMetaPromptArgs, 'maxPairs' | 'threshold' | 'order' | 'rng'>,
): ScoredInstruction[] {
  const ascending = history
    .map((h, i) => ({ h, i }))
    .sort((a, b) => a.h.score - b.h.score || a.i - b.i)
    .map((x) => x.h);
  const threshold = opts.threshold ?? 0;
  const top = (opts.maxPairs > 0 ? ascending.slice(-opts.maxPairs) : []).filter((p) => !threshold || p.score >= threshold);
  const order = opts.order ?? 'ascending';
  if (order === 'random') return opts.rng.shuffle(top);
  return order === 'ascending' ? top : top.reverse();
}

/** Is the GPT text asking for an answer-starting sentence (`<Start>` tags)? (opt_utils.py:164, 272, 746) */
export function usesStartTag(position: Position, layout: Layout, style: OproMetaPromptStyle): boolean {
  return style === 'gpt' && position === 'A_begin' && layout === 'qa';
}

/**
 * OPRO's meta-prompt, character for character as the reference builds it
 * (`gen_meta_prompt`, opro/optimization/opt_utils.py:90-295, meta_prompt_type
 * "both_instructions_and_exemplars", instructions before exemplars):
 * 'gpt' is the text for GPT optimizers (<INS> tags, "concise, effective, and
 * generally applicable"), 'palm' the text-bison text (square brackets).
 * Ablations (§5.3): without scores the `score:` lines are left out; with
 * order 'descending' / 'random' the PaLM text names that order (ours: the
 * reference has no switch for either).
 */
export function buildOproMetaPrompt(args: OproMetaPromptArgs): string {
  const style = args.style ?? 'gpt';
  const layout = args.layout ?? 'qa';
  const buckets = args.scoreBuckets ?? 100;
  const order = args.order ?? 'ascending';
  const start = usesStartTag(args.position, layout, style);
  const pairs = selectPairs(args.history, { maxPairs: args.maxPairs, threshold: args.threshold ?? 0, order, rng: args.rng });

  let old: string;
  if (style === 'gpt') {
    old = start
      ? 'Your task is to generate the answer starting sentence <Start>. Below are some previous starting sentences with their scores. The score ranges from 0 to 100.\n' // opt_utils.py:165-169
      : 'Your task is to generate the instruction <INS>. Below are some previous instructions with their scores. The score ranges from 0 to 100.\n'; // opt_utils.py:171-175
  } else {
    old = `I have some texts along with their corresponding scores. The texts are arranged in ${order} order based on their scores, where higher scores indicate better quality.\n\n`; // opt_utils.py:178-182
  }
  for (const p of pairs) old += args.showScores ? `\ntext:\n${p.instruction}\nscore:\n${shownScore(p.score, buckets)}\n` : `\ntext:\n${p.instruction}\n`; // opt_utils.py:78-80

  let meta = old;
  if (args.exemplars.length > 0) {
    let ex =
      style === 'gpt'
        ? 'Below are some problems.\n' // opt_utils.py:196
        : 'The following exemplars show how to apply your text: you replace <INS> in each input with your text, then read the input and give an output. We say your output is wrong if your output is different from the given output, and we say your output is correct if they are the same. When replacing <INS> with an old piece of text above, we get wrong outputs on the following inputs.\n\n'; // opt_utils.py:199-207
    for (const e of args.exemplars) {
      ex += `\n${exemplarInput(e.input, args.position, layout, style)}`;
      ex += style === 'gpt' ? `\nGround truth answer:\n${e.target}\n` : `\noutput:\n${e.target}\n`; // opt_utils.py:247-253
    }
    meta += '\n\n' + ex; // opt_utils.py:256-261
  }
  if (style === 'gpt') {
    meta += start
      ? '\n\nGenerate a starting sentence that is different from all the <Start> sentences above, and has a higher score than all the <Start> sentences above. The starting sentence should begin with <Start> and end with </Start>. The starting sentence should be concise, effective, and generally applicable to all QA pairs above.' // opt_utils.py:273-280
      : '\n\nGenerate an instruction that is different from all the instructions <INS> above, and has a higher score than all the instructions <INS> above. The instruction should begin with <INS> and end with </INS>. The instruction should be concise, effective, and generally applicable to all problems above.'; // opt_utils.py:282-289
  } else {
    meta += '\n\nWrite your new text that is different from the old ones and has a score as high as possible. Write the text in square brackets.'; // opt_utils.py:292-295
  }
  return meta;
}

// ---------------------------------------------------------------- replies and filters

/**
 * The instruction in a reply, as the reference extracts it:
 * - GPT text: the text after the first `<INS>` (or `<Start>`) up to the first
 *   `</INS>`; a missing tag means the start / end of the reply (opt_utils.py:745-762);
 * - PaLM text: the first `[…]` on one line, else "" (opt_utils.py:33-38, 764-768).
 */
export function parseOproReply(reply: string, style: OproMetaPromptStyle = 'gpt', startTag = false): string {
  if (style === 'palm') {
    const m = /\[.*?\]/.exec(reply);
    return m ? m[0].slice(1, -1) : '';
  }
  const open = startTag ? '<Start>' : '<INS>';
  const close = startTag ? '</Start>' : '</INS>';
  const i = reply.indexOf(open);
  const from = i < 0 ? 0 : i + open.length;
  const j = reply.indexOf(close);
  const to = j < 0 ? reply.length : j;
  return reply.slice(from, to).trim();
}

/** OPRO's `polish_sentence` (opro/evaluation/eval_utils.py:90-117): strip, drop "**", capitalize the first letter. */
export function polishSentence(sentence: string): string {
  let s = sentence.trim();
  if (s) {
    s = s.split('**').join('');
    if (s.length > 1) s = s[0]!.toUpperCase() + s.slice(1);
  }
  return s;
}

export type OproDropReason = 'duplicate' | 'too-long' | 'contains-digit' | 'contains-INS';

/**
 * OPRO's candidate filters in the reference order (opt_utils.py:785-822):
 * polish every reply, drop those seen before in any step (every polished text
 * is added to `seen`, even one a later filter drops) or earlier in the batch,
 * then those longer than maxLength, containing a digit (when `noDigits`), or
 * containing "INS".
 */
export function filterOproCandidates(
  texts: readonly string[],
  seen: Set<string>,
  maxLength: number,
  noDigits = false,
): { keep: string[]; dropped: { text: string; reason: OproDropReason }[] } {
  const fresh: string[] = [];
  const dropped: { text: string; reason: OproDropReason }[] = [];
  for (const raw of texts) {
    const text = polishSentence(raw);
    if (seen.has(text)) dropped.push({ text, reason: 'duplicate' });
    else {
      seen.add(text);
      fresh.push(text);
    }
  }
  const keep: string[] = [];
  for (const text of fresh) {
    if (text.length > maxLength) dropped.push({ text, reason: 'too-long' });
    else if (noDigits && /\d/.test(text)) dropped.push({ text, reason: 'contains-digit' });
    else if (text.includes('INS')) dropped.push({ text, reason: 'contains-INS' });
    else keep.push(text);
  }
  return { keep, dropped };
}

// ---------------------------------------------------------------- reference settings

/**
 * The reference's starting prompt: "Let's solve the problem."
 * (optimize_instructions.py:710-714) — on BBH the paper starts from the empty
 * string (§5.2.2) — at Q_begin (README.md:33-34) in the layout without Q/A
 * (include_qa = False, optimize_instructions.py:689-697).
 */
export function oproInitial(taskId: string): Prompt {
  const instruction = taskFamily(taskId) === 'bbh' ? '' : OPRO_GSM8K_INITIAL;
  return { instruction, position: 'Q_begin', layout: 'plain' };
}

/** OPRO's split ratios (optimize_instructions.py:640-649): the fraction of the task it optimizes (scores) on. */
export const OPRO_TRAIN_RATIO = { gsm8k: 0.035, bbh: 0.2 } as const;

/**
 * OPRO's splits for a loaded task: it scores on `int(ratio · n)` examples
 * drawn once from the task (optimize_instructions.py:660-667: np.random.seed(0)
 * choice without replacement; here a seeded shuffle), eval_ratio 0
 * (:643-649). BBH: n = the whole task, the other 80% are the test set
 * (the paper reports test accuracy on them, §5.2.2). GSM8K: n = the 7,473
 * training problems (`gsm_train.tsv`), tested on the 1,319 test problems.
 * Exemplars come from the same scored subset (opt_utils.py:680-688), so
 * train = dev = that subset.
 */
export function oproPaperSplits(task: Task, seed: number): TaskSplits {
  const family = taskFamily(task.id);
  const all = family === 'gsm8k' ? [...task.splits.train, ...task.splits.dev] : [...task.splits.train, ...task.splits.dev, ...task.splits.test];
  const pool = [...all].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const ratio = family === 'gsm8k' ? OPRO_TRAIN_RATIO.gsm8k : OPRO_TRAIN_RATIO.bbh;
  const n = Math.floor(ratio * pool.length);
  const shuffled = new Rng(seed).derive(`opro-paper-split/${task.id}`).shuffle(pool);
  const scored = shuffled.slice(0, n);
  return { train: scored, dev: scored, test: family === 'gsm8k' ? task.splits.test.slice() : shuffled.slice(n) };
}

/** `preset: paper` for OPRO: GSM8K and BBH as in §5.1-5.2 and the reference run script. */
export function oproPaperPreset(taskId: string): PaperPreset | undefined {
  const family = taskFamily(taskId);
  if (family !== 'gsm8k' && family !== 'bbh') return undefined;
  return {
    source:
      family === 'gsm8k'
        ? 'OPRO §5.1; optimize_instructions.py:643-645 (scores on 3.5% of GSM8K train), :708 (200 steps), :710-714 (starting instruction)'
        : 'OPRO §5.1-5.2.2; optimize_instructions.py:647-649 (scores on 20% of each BBH task, tests on the rest), :708 (200 steps); empty starting instruction',
    options: { steps: 200, scoreExamples: 'all' },
    initial: oproInitial(taskId),
    scoring: 'paper',
    splits: oproPaperSplits,
  };
}

// ---------------------------------------------------------------- optimizer

const positionSchema = z.enum(POSITIONS as unknown as [Position, ...Position[]]);

export const oproSchema = z.strictObject({
  steps: countSchema(),
  candidatesPerStep: z.number().int().positive(),
  maxPairs: z.number().int().nonnegative(),
  numExemplars: z.number().int().nonnegative(),
  optimizerTemperature: z.number().nonnegative(),
  maxLength: z.number().int().positive(),
  metaPrompt: z.enum(['gpt', 'palm']),
  position: positionSchema.nullable(),
  scoreThreshold: z.union([z.number().min(0).max(1), z.literal('by-scorer')]),
  digitFilter: z.enum(['gsm8k', 'always', 'never']),
  scoreBuckets: z.number().int().positive(),
  showScores: z.boolean(),
  order: z.enum(['ascending', 'descending', 'random']),
  scoreExamples: z.union([z.number().int().positive(), z.literal('all')]),
});

export const opro: Optimizer<OproOptions> = {
  name: 'opro',
  paper: 'Yang et al. 2023, Large Language Models as Optimizers (OPRO)',
  defaults: OPRO_DEFAULTS,
  schema: oproSchema,
  initial: oproInitial,
  paperPreset: oproPaperPreset,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'opro');
    const position: Position = o.position ?? ctx.initial?.position ?? 'Q_begin';
    const layout: Layout = ctx.initial?.layout ?? 'qa';
    const startTag = usesStartTag(position, layout, o.metaPrompt);
    const demos = ctx.initial?.demos;
    const makePrompt = (instruction: string): Prompt => ({
      instruction,
      position,
      ...(layout !== 'qa' ? { layout } : {}),
      ...(demos && demos.length > 0 ? { demos } : {}),
    });
    const initial = ctx.initial?.instruction ?? '';
    const fallback = makePrompt(initial);
    const threshold = o.scoreThreshold === 'by-scorer' ? thresholdForScorer(ctx.target.model) : o.scoreThreshold;
    const noDigits = o.digitFilter === 'always' || (o.digitFilter === 'gsm8k' && taskFamily(ctx.task.id) === 'gsm8k');
    // Equal-budget step scaling (common.ts fitEvalSize): the start plus one step of candidatesPerStep must fit.
    const wanted = o.scoreExamples === 'all' ? ctx.dev.length : Math.min(o.scoreExamples, ctx.dev.length);
    const fitted = fitEvalSizeLogged(ctx, 'opro', 'scoreExamples', wanted, 1, o.candidatesPerStep);
    const scoreSet = scoreSetOf(ctx, fitted === ctx.dev.length ? 'all' : fitted, 'opro');
    // Reference: generated instructions are deduplicated against every earlier generated one
    // (opt_utils.py:790-801); the starting instructions are not in that set.
    const seen = new Set<string>();
    const history: ScoredInstruction[] = [];

    /**
     * Plan, don't count: a new instruction costs scoreSet.length fresh target
     * calls (nothing of it is memoized), so a step or a candidate that cannot be
     * scored in full is not started. Optimizer calls are left to the meter.
     */
    const ensureRoomToScore = () => {
      if (ctx.budget.remaining().targetCalls < scoreSet.length)
        throw new BudgetExhausted(
          'target calls (too few left to score a new instruction)',
          ctx.budget.spent.targetCalls,
          ctx.budget.limits.targetCalls ?? Infinity,
        );
    };

    const stoppedBy = await untilBudget(async () => {
      const { candidate: start } = rec.propose(fallback, { origin: 'initial', step: 0 });
      await rec.score(start, scoreSet);
      history.push({ instruction: initial, score: start.score! });
      rec.stepDone(0);

      for (let step = 1; step <= o.steps; step++) {
        ensureRoomToScore();
        const rng = ctx.rng.derive(`opro-step-${step}`);
        // Exemplars: drawn per step from the scored subset, shown in index order (opt_utils.py:679-688).
        const picked = new Set(rng.derive('exemplars').sample(scoreSet, o.numExemplars));
        const exemplars = scoreSet.filter((e) => picked.has(e));
        const metaPrompt = buildOproMetaPrompt({
          history,
          exemplars,
          position,
          layout,
          style: o.metaPrompt,
          maxPairs: o.maxPairs,
          threshold,
          scoreBuckets: o.scoreBuckets,
          showScores: o.showScores,
          order: o.order,
          rng: rng.derive('order'),
        });
        const replies = await rec.ask(metaPrompt, { samples: o.candidatesPerStep, temperature: o.optimizerTemperature });
        const parsed = replies.map((r) => ({ raw: r, text: polishSentence(parseOproReply(r, o.metaPrompt, startTag)) }));
        const { keep, dropped } = filterOproCandidates(
          parsed.map((p) => p.text),
          seen,
          o.maxLength,
          noDigits,
        );
        if (dropped.length > 0) ctx.log.emit({ type: 'opro-filtered', optimizer: 'opro', step, dropped });
        // The step's new instructions are scored at once, with the result of scoring them one after
        // another: each only if the target calls left can score it in full (else the run stops there).
        const items = [];
        let room = ctx.budget.remaining().targetCalls;
        let full = false;
        for (const text of keep) {
          if (room < scoreSet.length) {
            full = true;
            break;
          }
          const raw = parsed.find((p) => p.text === text)!.raw;
          const prompt = makePrompt(text);
          // A text equal to a starting instruction is scored again in the reference (same score here, memoized).
          if (!rec.has(prompt)) room -= scoreSet.length;
          items.push({ prompt, info: { origin: 'opro', step, metaPrompt, rawReply: raw }, examples: scoreSet });
        }
        const scored = await rec.proposeAndScore(items);
        for (const [i, { candidate }] of scored.entries()) history.push({ instruction: keep[i]!, score: candidate.score! });
        if (full) ensureRoomToScore();
        rec.stepDone(step);
      }
    });
    return rec.result(stoppedBy, fallback);
  },
};
