/**
 * ABO — Automatic Behavior Optimization, after Ma et al. 2024, "Are Large
 * Language Models Good Prompt Optimizers?" (arXiv 2402.02101).
 *
 * The paper finds that LLM optimizers mis-identify the causes of the target's
 * errors during free reflection and that a single refinement often fails to
 * change the target's behaviour as intended; it proposes optimizing the
 * target's behaviour directly and more controllably. Here that is:
 * 1. the optimizer writes an explicit, numbered step-by-step procedure the
 *    target should follow (the prompt becomes the procedure);
 * 2. each step, the target's failures on a train minibatch are checked against
 *    the procedure: the optimizer compares each output trace with the steps and
 *    names the step the output deviates from and why (the diagnosis, recorded
 *    as a reflection with the shown failures and their true causes);
 * 3. the optimizer revises that step (the rest of the procedure is kept);
 * 4. the revision is scored on the dev set and replaces the incumbent only
 *    when it scores higher (otherwise the incumbent is kept).
 * Ablations: `procedure: false` falls back to free reflection and free
 * instruction editing (ProTeGi-style); `stepCheck: false` revises the
 * procedure from the failures without a separate step check.
 * The paper's text available here gives no numeric settings for this loop;
 * the constants below are harness choices (documented in docs/optimizers.md).
 */
import { z } from 'zod';
import { BudgetExhausted } from '../core/errors.js';
import { POSITIONS, type EvalResult, type Example, type Position, type Prompt } from '../core/types.js';
import { allBetween, countSchema, instructionPrompt, Recorder, scoreSetOf, untilBudget } from './common.js';
import type { Candidate, Optimizer, ReflectionRecord, ShownFailure } from './types.js';

export interface AboOptions {
  /** Optimization steps (one diagnosis and one revision each); accepts Infinity. */
  steps: number;
  /** Train examples the incumbent is run on per step to find failures. */
  minibatchSize: number;
  /** Failures shown per diagnosis (as ProTeGi's error groups, so reflections compare). */
  errorsPerCheck: number;
  /** Behaviour as an explicit numbered procedure (paper); false = free reflection and instruction edits. */
  procedure: boolean;
  /** Check the failures step by step against the procedure before revising (paper); false = revise directly. */
  stepCheck: boolean;
  /**
   * Give the target an instruction-following demonstration with the procedure:
   * the optimizer executes the steps on one train example (its answer must be
   * right, else no demonstration is kept) and that worked example goes into
   * the prompt as a demo (paper; removing it is the paper's ablation).
   */
  demonstration: boolean;
  /**
   * Fill the reflection's fixed/broke lists by running each revision on the
   * minibatch ('minibatch'), only on the shown failures ('shown'), or not ('off').
   */
  editCheck: 'minibatch' | 'shown' | 'off';
  /** Show the target's full output (its trace) with each failure; the step check needs it. */
  showOutputs: boolean;
  temperature: number;
  maxTokens: number;
  /** Instruction position; null = ctx.initial's (else Q_begin). */
  position: Position | null;
  /** Examples each prompt is scored on: all of ctx.dev, or a fixed random subset of this size. */
  scoreExamples: number | 'all';
}

export const ABO_DEFAULTS: AboOptions = {
  steps: 8,
  minibatchSize: 16,
  errorsPerCheck: 4,
  procedure: true, // paper (Automatic Behavior Optimization)
  stepCheck: true, // paper
  demonstration: true, // paper: the instruction-following demonstration
  editCheck: 'off', // instrumentation, not the method
  showOutputs: true,
  temperature: 0.7,
  maxTokens: 1024,
  position: null,
  scoreExamples: 'all',
};

const pos = z.number().int().positive();
export const aboSchema = z.strictObject({
  steps: countSchema(),
  minibatchSize: pos,
  errorsPerCheck: pos,
  procedure: z.boolean(),
  stepCheck: z.boolean(),
  demonstration: z.boolean(),
  editCheck: z.enum(['minibatch', 'shown', 'off']),
  showOutputs: z.boolean(),
  temperature: z.number().min(0).max(2),
  maxTokens: pos,
  position: z.enum(POSITIONS as unknown as [Position, ...Position[]]).nullable(),
  scoreExamples: z.union([pos, z.literal('all')]),
}) as z.ZodType<AboOptions>;

// ---------------------------------------------------------------- procedures

/** Numbered lines ("1. …", "2) …", "Step 3: …") of a procedure, in order. */
export function procedureSteps(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(\d+[.)]|step \d+:)\s+/i.test(l));
}

/** Is the instruction an explicit procedure (at least two numbered steps)? */
export const isProcedure = (text: string) => procedureSteps(text).length >= 2;

// ---------------------------------------------------------------- meta-prompts

/** Failures as shown to the optimizer: the input, the target's output (its trace) and the expected answer. */
export function formatAboFailures(failures: readonly ShownFailure[], preds: readonly (string | null)[], showOutputs: boolean): string {
  return failures
    .map((f, i) =>
      [
        `## Failure ${i + 1}`,
        `Input: ${f.input.trim()}`,
        showOutputs ? `Model output:\n${f.output.trim()}` : `Model answer: ${preds[i] ?? '(no answer found)'}`,
        `Expected answer: ${f.gold}`,
      ].join('\n'),
    )
    .join('\n\n');
}

/**
 * Write the first procedure: the task, the current instruction and a few
 * failures, asking for an explicit numbered step-by-step procedure the target
 * model should follow to solve every example of the task.
 */
export function writeProcedureMetaPrompt(taskDescription: string, instruction: string, failures: string): string {
  return [
    'You are optimizing the behaviour of a target language model on a task.',
    `Task: ${taskDescription}`,
    '',
    'The current prompt is:',
    `"${instruction}"`,
    '',
    'With this prompt the model gets the following examples wrong:',
    '',
    failures || '(none shown)',
    '',
    'Write an explicit step-by-step procedure that the target model should follow to solve any example of this task.',
    'Write it as a numbered procedure (1., 2., 3., ...), one short, checkable action per step, ending with the step that writes the final answer in the required format.',
    'Wrap the procedure with <START> and <END>.',
  ].join('\n');
}

/**
 * Step 0's instruction-following demonstration: the optimizer executes the
 * procedure on one example, writing what each step gives, and ends with the
 * answer in the required format; the worked example is shown to the target.
 */
export function demonstrationMetaPrompt(procedure: string, input: string, expected: string, formatInstruction: string): string {
  return [
    'Below is a numbered procedure that a target language model must follow, and one input of the task with its expected answer.',
    'Show the target model how to follow the procedure: carry out every step on this input in order, writing "Step N:" and what the step gives, then the final answer.',
    formatInstruction,
    '',
    'Procedure:',
    procedure,
    '',
    `Input: ${input.trim()}`,
    `Expected answer: ${expected}`,
    '',
    'Wrap the demonstration with <START> and <END>.',
  ].join('\n');
}

/**
 * The step check (the diagnosis): the procedure with numbered steps and the
 * failures with the target's outputs; for each failure the optimizer compares
 * the output with the steps, names the first step the output deviates from
 * and the cause of the error.
 */
export function stepCheckMetaPrompt(procedure: string, failures: string): string {
  return [
    'A target language model was told to follow this procedure:',
    '',
    procedure,
    '',
    'It got the following examples wrong:',
    '',
    failures,
    '',
    "For each failure, compare the model's output with the procedure one step at a time and find the first step the output deviates from.",
    'Name that step by its number and give the cause of the error at that step (what the model did instead of what the step asks).',
    'Wrap the diagnosis of each failure with <START> and <END>.',
  ].join('\n');
}

/**
 * Revise the procedure: the current procedure, the failures and (when the
 * step check ran) the diagnosis; only the steps the diagnosis points to are
 * revised (a step may be added when one is missing), the others kept.
 */
export function reviseProcedureMetaPrompt(procedure: string, failures: string, diagnosis: string | null): string {
  return [
    'The current prompt is:',
    `"${procedure}"`,
    '',
    'It is a procedure a target language model follows. The model gets the following examples wrong:',
    '',
    failures,
    '',
    ...(diagnosis !== null ? ['Step-by-step check of these failures:', diagnosis, ''] : []),
    diagnosis !== null
      ? 'Revise only the steps the check points to (add a step if one is missing) and keep every other step unchanged.'
      : 'Revise the steps that made the model fail on these examples and keep every other step unchanged.',
    'Write the full revised numbered procedure and wrap it with <START> and <END>.',
  ].join('\n');
}

/** Free reflection (the `procedure: false` ablation): reasons for the failures, as in reflection-based optimizers. */
export function freeReflectionMetaPrompt(instruction: string, failures: string): string {
  return [
    'The current prompt is:',
    `"${instruction}"`,
    '',
    'But this prompt gets the following examples wrong:',
    '',
    failures,
    '',
    'Give the reasons why the prompt could have gotten these examples wrong.',
    'Wrap each reason with <START> and <END>.',
  ].join('\n');
}

/** Free instruction edit (the `procedure: false` ablation) from the reflection. */
export function freeEditMetaPrompt(instruction: string, failures: string, reasons: string): string {
  return [
    'My current prompt is:',
    `"${instruction}"`,
    '',
    'But it gets the following examples wrong:',
    '',
    failures,
    '',
    `Based on these examples the problem with this prompt is that ${reasons}`,
    '',
    'Write one improved prompt and wrap it with <START> and <END>.',
  ].join('\n');
}

/** The wrapped text of a reply (first <START>…<END>; the whole reply when unwrapped). */
export function parseAboReply(reply: string): string {
  return allBetween(reply, '<START>', '<END>')[0] ?? reply.trim();
}

// ---------------------------------------------------------------- optimizer

/** An unbounded run stops after this many steps that add no candidate and spend no target call. */
const STALL_STEPS = 3;

export const abo: Optimizer<AboOptions> = {
  name: 'abo',
  paper: 'Ma et al. 2024, Are Large Language Models Good Prompt Optimizers? (Automatic Behavior Optimization)',
  defaults: ABO_DEFAULTS,
  schema: aboSchema,
  /**
   * The paper gives the paradigm (behaviour procedure, instruction-following
   * demonstration, step-wise checks) but no numeric settings in the text
   * available here, so its preset is the method as the paper describes it
   * (the defaults, demonstration on) with popbench's own constants, on any task.
   */
  paperPreset: () => ({
    source: 'Ma et al. 2024 (arXiv 2402.02101), Automatic Behavior Optimization: procedure + demonstration + step check; constants are popbench\'s',
    options: { procedure: true, demonstration: true, stepCheck: true },
  }),
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'abo');
    const position: Position = o.position ?? ctx.initial?.position ?? 'Q_begin';
    const makePrompt = instructionPrompt(ctx, position);
    const fallback = makePrompt(ctx.initial?.instruction ?? '');
    const scoreSet = scoreSetOf(ctx, o.scoreExamples, 'abo');
    const ask = async (meta: string) =>
      (await rec.ask(meta, { temperature: o.temperature, maxTokens: o.maxTokens }))[0] ?? '';

    const ensureRoom = (n: number) => {
      if (ctx.budget.remaining().targetCalls < n)
        throw new BudgetExhausted(
          'target calls (too few left to finish a step)',
          ctx.budget.spent.targetCalls,
          ctx.budget.limits.targetCalls ?? Infinity,
        );
    };

    let incumbent!: Candidate;

    /** Run a revision on the minibatch / shown failures and fill the reflection's fixed and broke lists. */
    async function check(edit: Candidate, r: ReflectionRecord, base: EvalResult, minibatch: readonly Example[]) {
      const shownIds = new Set(r.shown.map((s) => s.exampleId));
      const exs = o.editCheck === 'minibatch' ? minibatch : minibatch.filter((e) => shownIds.has(e.id));
      const res = await ctx.evaluator.evaluate(edit.prompt, exs);
      const wasRight = new Set(base.outcomes.filter((x) => x.correct).map((x) => x.exampleId));
      r.fixed = { [edit.id]: res.outcomes.filter((x) => x.correct && shownIds.has(x.exampleId)).map((x) => x.exampleId) };
      r.broke = {
        [edit.id]:
          o.editCheck === 'minibatch' ? res.outcomes.filter((x) => !x.correct && wasRight.has(x.exampleId)).map((x) => x.exampleId) : [],
      };
    }

    const stoppedBy = await untilBudget(async () => {
      incumbent = rec.propose(fallback, { origin: 'initial', step: 0 }).candidate;
      await rec.score(incumbent, scoreSet);
      rec.stepDone(0, incumbent);
      let stalled = 0;

      for (let step = 1; step <= o.steps; step++) {
        ensureRoom(o.minibatchSize + scoreSet.length);
        const before = { n: rec.trajectory.candidates.length, target: ctx.budget.spent.targetCalls };
        const rng = ctx.rng.derive(`abo-step-${step}`);
        const minibatch = rng.derive('minibatch').sample(ctx.train, o.minibatchSize);
        const base = await ctx.evaluator.evaluate(incumbent.prompt, minibatch);
        const failures = rng.derive('errors').sample(
          base.outcomes.filter((x) => !x.correct),
          o.errorsPerCheck,
        );
        const shown: ShownFailure[] = failures.map((f) => ({
          exampleId: f.exampleId,
          input: f.input,
          output: f.output,
          gold: f.gold,
          ...(f.trueCause ? { trueCause: f.trueCause } : {}),
        }));
        const failureText = formatAboFailures(shown, failures.map((f) => f.pred), o.showOutputs);
        const instruction = incumbent.prompt.instruction;

        let origin: string;
        let metaPrompt: string;
        let reflection: ReflectionRecord | undefined;
        if (o.procedure && !isProcedure(instruction)) {
          // 1. behaviour as an explicit procedure
          origin = 'abo-procedure';
          metaPrompt = writeProcedureMetaPrompt(ctx.task.description, instruction, failureText);
        } else if (shown.length === 0) {
          // nothing to diagnose on this minibatch
          rec.stepDone(step, incumbent);
          stalled = ctx.budget.spent.targetCalls === before.target ? stalled + 1 : 0;
          if (stalled >= STALL_STEPS) break;
          continue;
        } else if (o.procedure) {
          // 2. step check (diagnosis), 3. revise the failing step
          let diagnosis: string | null = null;
          if (o.stepCheck) {
            const checkMeta = stepCheckMetaPrompt(instruction, failureText);
            const reply = await ask(checkMeta);
            ctx.log.emit({ type: 'abo-step', optimizer: 'abo', step, aboStep: 1, phase: 'step-check' });
            const parts = allBetween(reply, '<START>', '<END>');
            diagnosis = (parts.length ? parts.join('\n') : reply).trim();
            reflection = { step, parentId: incumbent.id, shown, metaPrompt: checkMeta, text: diagnosis, editIds: [] };
          }
          origin = 'abo-revision';
          metaPrompt = reviseProcedureMetaPrompt(instruction, failureText, diagnosis);
        } else {
          // ablation: free reflection, then a free edit of the instruction
          const reflMeta = freeReflectionMetaPrompt(instruction, failureText);
          const reply = await ask(reflMeta);
          const parts = allBetween(reply, '<START>', '<END>');
          const reasons = (parts.length ? parts.join(' ') : reply).trim();
          reflection = { step, parentId: incumbent.id, shown, metaPrompt: reflMeta, text: reasons, editIds: [] };
          origin = 'abo-edit';
          metaPrompt = freeEditMetaPrompt(instruction, failureText, reasons);
        }

        try {
          const raw = await ask(metaPrompt);
          const text = parseAboReply(raw);
          if (text && text !== instruction) {
            let prompt = makePrompt(text);
            if (o.procedure && o.demonstration && isProcedure(text)) {
              // Step 0 (and after each revision): the instruction-following demonstration on one train example
              const ex = failures.length ? minibatch.find((e) => e.id === failures[0]!.exampleId)! : rng.derive('demo').pick(ctx.train);
              const demoMeta = demonstrationMetaPrompt(text, ex.input, ex.target, ctx.task.formatInstruction);
              const demoRaw = await ask(demoMeta);
              const demo = parseAboReply(demoRaw);
              const right = ctx.task.score(ctx.task.extract(demo, ex), ex);
              ctx.log.emit({ type: 'abo-step', optimizer: 'abo', step, aboStep: 0, phase: 'demonstration', exampleId: ex.id, kept: right });
              if (right) prompt = { ...prompt, demos: [...(prompt.demos ?? []), { input: ex.input, output: demo }] };
            }
            const { candidate, isNew } = rec.propose(prompt, {
              parents: [incumbent.id],
              origin,
              step,
              metaPrompt,
              rawReply: raw,
            });
            if (reflection) reflection.editIds.push(candidate.id);
            if (isNew) {
              ensureRoom(scoreSet.length);
              await rec.score(candidate, scoreSet);
            }
            if (reflection && o.editCheck !== 'off') await check(candidate, reflection, base, minibatch);
            // 4. keep the incumbent unless the new behaviour scores higher (a first procedure may tie)
            const better =
              candidate.score !== undefined &&
              (candidate.score > incumbent.score! || (origin === 'abo-procedure' && candidate.score === incumbent.score!));
            const from = incumbent.id;
            if (better) incumbent = candidate;
            // the paper's Step 0 (behaviour procedure + demonstration), Step 1 (step check), Step 2 (revision)
            const aboStep = origin === 'abo-procedure' ? 0 : 2;
            ctx.log.emit({ type: 'abo-decision', optimizer: 'abo', step, aboStep, candidateId: candidate.id, from, accepted: better });
          }
        } finally {
          if (reflection) rec.reflect(reflection);
        }
        rec.stepDone(step, incumbent);
        const nothingNew = rec.trajectory.candidates.length === before.n && ctx.budget.spent.targetCalls === before.target;
        stalled = nothingNew ? stalled + 1 : 0;
        if (stalled >= STALL_STEPS) break;
      }
    });
    return rec.result(stoppedBy, fallback, { best: incumbent?.prompt ?? fallback, bestScore: incumbent?.score ?? 0 });
  },
};
