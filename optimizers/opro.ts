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
import { POSITIONS, type Example, type Position, type Prompt } from '../core/types.js';
import type { Rng } from '../core/rng.js';
import { countSchema, instructionPrompt, Recorder, roundHalfEven, scoreSetOf, untilBudget } from './common.js';
import type { Optimizer } from './types.js';

export interface OproOptions {
  /** Optimization steps; Infinity lets the budget end the run. */
  steps: number;
  /** Instructions sampled per step (each sample is one optimizer call). */
  candidatesPerStep: number;
  /** Most (instruction, score) pairs kept in the meta-prompt (the best ones). */
  maxPairs: number;
  /** Training exemplars shown per step; 0 leaves the exemplar part out. */
  numExemplars: number;
  /** Optimizer-LLM sampling temperature. */
  optimizerTemperature: number;
  /** Longest instruction (characters) that is scored. */
  maxLength: number;
  /** Where the instruction goes in the scorer prompt. */
  position: Position;
  /**
   * Starting instruction; null = ctx.initial's instruction ("" when none).
   * The paper starts from "" on BBH and "Let's solve the problem." on GSM8K (§5.1).
   */
  initialInstruction: string | null;
  /** Ablation: false shows the history without scores, in random order (§5.3). */
  showScores: boolean;
  /** Ablation: false shows the history in descending score order (§5.3). */
  sortAscending: boolean;
  /** Examples each instruction is scored on: 'all' of ctx.dev, or a fixed random subset of this size. */
  scoreExamples: number | 'all';
}

/** OPRO §5.1: the GSM8K starting instruction ("" is used for BBH). */
export const OPRO_GSM8K_INITIAL = "Let's solve the problem.";

export const OPRO_DEFAULTS: OproOptions = {
  steps: 200, // §5.2, Figure 1/5: GSM8K and BBH optimization curves run 200 steps
  candidatesPerStep: 8, // §5.1: "generate 8 instructions at each optimization step"
  maxPairs: 20, // §5.1: the meta-prompt keeps the 20 highest-scoring instructions
  numExemplars: 3, // §5.1: 3 exemplars randomly picked from the training set per step
  optimizerTemperature: 1.0, // §5.1 / §5.3: default optimizer temperature 1.0 (scorer at 0: evaluator default)
  maxLength: 500, // reference opt_utils.py: instructions longer than 500 characters are skipped
  position: 'Q_begin', // §5.1: Q_begin for instruction-tuned scorers (A_begin for pre-trained PaLM 2-L)
  initialInstruction: null,
  showScores: true,
  sortAscending: true, // §3.2 / Appendix C.2: pairs sorted ascending by score
  scoreExamples: 'all',
};

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
  maxPairs: number;
  showScores: boolean;
  sortAscending: boolean;
  /** Used only to shuffle the pairs when scores are hidden. */
  rng: Rng;
}

/** How an exemplar shows where the instruction goes (Appendix C.2, Figure 3: `Q: <INS>` etc.). */
export function exemplarInput(question: string, position: Position): string {
  switch (position) {
    case 'before_Q':
      return `<INS>\nQ: ${question}\nA:`;
    case 'Q_begin':
      return `Q: <INS>\n${question}\nA:`;
    case 'Q_end':
      return `Q: ${question}\n<INS>\nA:`;
    case 'A_begin':
      return `Q: ${question}\nA: <INS>`;
  }
}

/** The score shown for an accuracy: round(100·acc) with Python's half-even rounding (§5.1). */
export function shownScore(accuracy: number): number {
  return roundHalfEven(100 * accuracy);
}

/** The pairs the meta-prompt shows: the maxPairs best, in display order. */
export function selectPairs(
  history: readonly ScoredInstruction[],
  opts: Pick<OproMetaPromptArgs, 'maxPairs' | 'showScores' | 'sortAscending' | 'rng'>,
): ScoredInstruction[] {
  // Stable ascending sort, keep the top maxPairs (reference: sorted(...)[-max_num_instructions:]).
  const ascending = history
    .map((h, i) => ({ h, i }))
    .sort((a, b) => a.h.score - b.h.score || a.i - b.i)
    .map((x) => x.h);
  const top = opts.maxPairs > 0 ? ascending.slice(-opts.maxPairs) : [];
  if (!opts.showScores) return opts.rng.shuffle(top);
  return opts.sortAscending ? top : top.reverse();
}

/**
 * The OPRO meta-prompt (Appendix C.2, Figure 3, adapted to ask for the
 * instruction inside <INS></INS> as the paper's GPT meta-prompts do):
 * meta-instruction, the best previous instructions with their scores,
 * exemplars with <INS> at the instruction position and their gold outputs,
 * and the request for a new, better instruction.
 */
export function buildOproMetaPrompt(args: OproMetaPromptArgs): string {
  const pairs = selectPairs(args.history, args);
  const parts: string[] = [];
  if (args.showScores) {
    const order = args.sortAscending ? 'ascending' : 'descending';
    parts.push(
      `I have some texts along with their corresponding scores. The texts are arranged in ${order} order ` +
        'based on their scores, where higher scores indicate better quality.',
    );
    for (const p of pairs) parts.push(`text:\n${p.instruction}\nscore:\n${shownScore(p.score)}`);
  } else {
    parts.push('I have some texts. The texts are arranged in random order.');
    for (const p of pairs) parts.push(`text:\n${p.instruction}`);
  }
  if (args.exemplars.length > 0) {
    parts.push(
      'The following exemplars show how to apply your text: you replace <INS> in each input with your text, ' +
        'then read the input and give an output. We say your output is wrong if your output is different from ' +
        'the given output, and we say your output is correct if they are the same.',
    );
    for (const ex of args.exemplars) parts.push(`input:\n${exemplarInput(ex.input, args.position)}\noutput:\n${ex.target}`);
  }
  parts.push(
    args.showScores
      ? 'Write your new text that is different from the old ones and has a score as high as possible. ' +
          'Write the text between <INS> and </INS>.'
      : 'Write your new text that is different from the old ones and is as good as possible. ' +
          'Write the text between <INS> and </INS>.',
  );
  return parts.join('\n\n');
}

// ---------------------------------------------------------------- replies and filters

/**
 * The instruction in a reply: the text inside <INS>…</INS>; with only one of
 * the tags, the text after / before it; with neither, the whole reply
 * (reference opt_utils.py does the same).
 */
export function parseOproReply(reply: string): string {
  const open = reply.indexOf('<INS>');
  const from = open < 0 ? 0 : open + '<INS>'.length;
  const close = reply.indexOf('</INS>', from);
  const to = close < 0 ? reply.length : close;
  return reply.slice(from, to).trim();
}

export type OproDropReason = 'empty' | 'duplicate' | 'too-long' | 'contains-INS';

/**
 * OPRO's candidate filters (reference opt_utils.py): drop instructions seen
 * before (in any earlier step or earlier in this batch), longer than maxLength
 * characters, or containing "INS" (a leaked placeholder). Every candidate text
 * is added to `seen`.
 */
export function filterOproCandidates(
  texts: readonly string[],
  seen: Set<string>,
  maxLength: number,
): { keep: string[]; dropped: { text: string; reason: OproDropReason }[] } {
  const keep: string[] = [];
  const dropped: { text: string; reason: OproDropReason }[] = [];
  for (const text of texts) {
    if (text === '') dropped.push({ text, reason: 'empty' });
    else if (seen.has(text)) dropped.push({ text, reason: 'duplicate' });
    else if (text.length > maxLength) dropped.push({ text, reason: 'too-long' });
    else if (text.includes('INS')) dropped.push({ text, reason: 'contains-INS' });
    else keep.push(text);
    seen.add(text);
  }
  return { keep, dropped };
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
  position: positionSchema,
  initialInstruction: z.string().nullable(),
  showScores: z.boolean(),
  sortAscending: z.boolean(),
  scoreExamples: z.union([z.number().int().positive(), z.literal('all')]),
});

export const opro: Optimizer<OproOptions> = {
  name: 'opro',
  paper: 'Yang et al. 2023, Large Language Models as Optimizers (OPRO)',
  defaults: OPRO_DEFAULTS,
  schema: oproSchema,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'opro');
    const makePrompt = instructionPrompt(ctx, o.position);
    const initial = o.initialInstruction ?? ctx.initial?.instruction ?? '';
    const fallback = makePrompt(initial);
    // The paper scores on the training split; here a fixed set chosen once per run.
    const scoreSet = scoreSetOf(ctx, o.scoreExamples, 'opro');
    const seen = new Set<string>([initial]);
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
        const exemplars = rng.derive('exemplars').sample(ctx.train, o.numExemplars);
        const metaPrompt = buildOproMetaPrompt({
          history,
          exemplars,
          position: o.position,
          maxPairs: o.maxPairs,
          showScores: o.showScores,
          sortAscending: o.sortAscending,
          rng: rng.derive('order'),
        });
        const replies = await rec.ask(metaPrompt, { samples: o.candidatesPerStep, temperature: o.optimizerTemperature });
        const parsed = replies.map((r) => ({ raw: r, text: parseOproReply(r) }));
        const { keep, dropped } = filterOproCandidates(
          parsed.map((p) => p.text),
          seen,
          o.maxLength,
        );
        if (dropped.length > 0) ctx.log.emit({ type: 'opro-filtered', optimizer: 'opro', step, dropped });
        for (const text of keep) {
          ensureRoomToScore();
          const raw = parsed.find((p) => p.text === text)!.raw;
          const { candidate, isNew } = rec.propose(makePrompt(text), {
            origin: 'opro',
            step,
            metaPrompt,
            rawReply: raw,
          });
          if (!isNew) continue;
          await rec.score(candidate, scoreSet);
          history.push({ instruction: text, score: candidate.score! });
        }
        rec.stepDone(step);
      }
    });
    return rec.result(stoppedBy, fallback);
  },
};
