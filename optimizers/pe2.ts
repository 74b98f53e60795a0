/**
 * PE2 — Ye, Axmed, Pryzant & Khani 2023, "Prompt Engineering a Prompt
 * Engineer" (arXiv 2311.05661v3; ACL Findings 2024). No reference code was
 * reachable: the meta-prompt is the paper's Appendix F.4 listing (a guidance
 * program; its line numbers are cited below), the search is Algorithm 1
 * (Appendix D.1), the constants are §4.1 and Appendices B and D.2.
 *
 * Search (Algorithm 1, with back-tracking and hard negative sampling, §5.2):
 * for t = 0..T−1, select the n best prompts (by dev accuracy) among all prompts
 * so far; for each, m times: sample a batch of `batchSize` of its errors on the
 * train set, and run the two-step meta-prompt:
 *
 * 1. a conversation that describes the two-step task up front ("detailed
 *    descriptions"), gives the current prompt, the full template showing where
 *    the prompt sits relative to the input ("context specification"), the batch
 *    (input, final answer, the model's reasoning, label) and asks for reasoning
 *    per example along a fixed list of questions ("step-by-step reasoning
 *    template"); answered at temperature 0;
 * 2. the same conversation plus that reasoning and the request to refine the
 *    prompt (at most `maxWords` words; reply with the prompt only); answered at
 *    temperature 0.7, at most 300 tokens.
 *
 * The new prompts are scored on dev; the best prompt over all steps is returned.
 * Every step-1 reasoning is recorded as a reflection (shown failures, the
 * conversation, the reasoning, the prompt it led to).
 */
import { z } from 'zod';
import type { EvalOutcome, Example, Message, OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, countSchema, untilBudget } from './common.js';
import type { Candidate, Optimizer, ReflectionRecord, ShownFailure } from './types.js';

export interface Pe2Options {
  /** Optimization steps T (§4.1 "Search Budget": 3). Accepts Infinity. */
  steps: number;
  /** Prompts expanded per step, n (§4.1: 4). */
  beamWidth: number;
  /** New prompts proposed from each, m (§4.1: 4). */
  proposalsPerPrompt: number;
  /** Examples shown per proposal (App. B (e): "By default PE2 uses a batch size of 2"). */
  batchSize: number;
  /** Sample the batch from the prompt's errors on train (§5.2 "hard negative sampling", kept in PE2) or at random. */
  hardNegatives: boolean;
  /** Select among all prompts so far (§5.2 "back-tracking", kept in PE2) or only the latest step's. */
  backtracking: boolean;
  /** Length limit stated in the meta-prompt (App. D.2: 50; 200 for counterfactual tasks). null drops the line. */
  maxWords: number | null;
  /** "You are allowed to change up to s words" (App. B (f); not in the final PE2: null). */
  stepSize: number | null;
  /** Train examples the errors are drawn from ('all' = ctx.train; the paper's D_train has 100). */
  errorPool: number | 'all';
  /** Reasoning (step 1) temperature (F.4 line 61: 0). */
  reasoningTemperature: number;
  reasoningMaxTokens: number;
  /** Proposal (step 2) temperature and max tokens (F.4 line 88: 0.7, 300). */
  temperature: number;
  maxTokens: number;
  /**
   * Check each new prompt on the failures it was shown, for the reflection
   * records' `fixed` lists: 'shown' (instrumentation: costs ≤ batchSize target
   * calls per proposal, not in the paper) or 'off' (default).
   */
  editCheck: 'shown' | 'off';
}

export const PE2_DEFAULTS: Pe2Options = {
  steps: 3,
  beamWidth: 4,
  proposalsPerPrompt: 4,
  batchSize: 2,
  hardNegatives: true,
  backtracking: true,
  maxWords: 50,
  stepSize: null,
  errorPool: 'all',
  reasoningTemperature: 0,
  reasoningMaxTokens: 1024,
  temperature: 0.7,
  maxTokens: 300,
  editCheck: 'off',
};

const pos = z.number().int().positive();
export const pe2Schema = z.strictObject({
  steps: countSchema(),
  beamWidth: pos,
  proposalsPerPrompt: pos,
  batchSize: pos,
  hardNegatives: z.boolean(),
  backtracking: z.boolean(),
  maxWords: pos.nullable(),
  stepSize: pos.nullable(),
  errorPool: z.union([pos, z.literal('all')]),
  reasoningTemperature: z.number().min(0).max(2),
  reasoningMaxTokens: pos,
  temperature: z.number().min(0).max(2),
  maxTokens: pos,
  editCheck: z.enum(['shown', 'off']),
}) as z.ZodType<Pe2Options>;

// ---------------------------------------------------------------- meta-prompt (arXiv 2311.05661v3, Appendix F.4)

/** F.4 line 2. */
export const PE2_SYSTEM = 'You are a helpful assistant.';

/** F.4 lines 13-21: the two-step task description. */
export const PE2_TASK_DESCRIPTION = `A prompt is a text paragraph that outlines the expected actions and instructs the model to generate a specific output. This prompt is concatenated with the input text, and the model then creates the required output.

In our collaboration, we'll work together to refine a prompt. The process consists of two main steps:

## Step 1
I will provide you with the current prompt, how the prompt is concatenated with the input text (i.e., "full template"), along with {{batch_size}} example(s) that are associated with this prompt. Each examples contains the input, the reasoning process generated by the model when the prompt is attached, the final answer produced by the model, and the ground-truth label to the input. Your task is to analyze the examples, determining whether the existing prompt is decsribing the task reflected by these examples precisely, and suggest changes to the prompt.

## Step 2
Next, you will carefully review your reasoning in step 1, integrate the insights to craft a new, optimized prompt. Optionally, the history of refinements made to this prompt from past sessions will be included. Some extra instructions (e.g., the number of words you can edit) will be provided too.`;

/** F.4 lines 25-26: the assistant's scripted reply. */
export const PE2_ASSISTANT_ACK = `Sure, I'd be happy to help you with this prompt engineering problem.
Please provide me with the prompt engineering history, the current prompt, and the examples you have.`;

/** F.4 lines 30-57: prompt, full template (context specification), examples, step-by-step reasoning template. */
export const PE2_STEP1 = `## Prompt
{{prompt}}

## Full Template
This describes how the prompt of interested is concatenated with the input text.
The prompt may appear before the input text, or after the input text.
Optionally the full template may contain other template information.
\`\`\`
{{full_prompt}}
\`\`\`

## Examples
{{examples}}

## Instructions
For some of these examples, the output does not match with the label. This may be due to the prompt being misleading or not describing the task precisely.

Please examine the example(s) carefully. Note that the ground-truth labels are __absolutely correct__, but the prompts (task descriptions) may be incorrect and need modification. For each example, provide reasoning according to the following template:

### Example <id>
Input: <input>
Output: <output>
Label: <label>
Is the output correct compared to the label: <yes or no, and your reasoning>
Is the output correctly following the given prompt: <yes or no, and your reasoning>
Is the prompt correctly describing the task shown by the input-label pair: <yes or no, and your reasoning>
To output the correct label, is it necessary to edit the prompt: <yes or no, and your reasoning>
If yes, provide detailed analysis and actionable suggestions to edit the prompt: <analysis and suggestions>`;

/** F.4 lines 65-84 (without the optional history block, lines 67-71, not in the final PE2). */
export function pe2Step2(prompt: string, o: Pick<Pe2Options, 'maxWords' | 'stepSize'>): string {
  const lines = ['Now please carefully review your reasoning in Step 1 and help with Step 2: refining the prompt.', '', '## Current Prompt', prompt, '', '## Instructions'];
  if (o.stepSize !== null) lines.push(`* You are allowed to change up to ${o.stepSize} words in the original prompt.`);
  if (o.maxWords !== null) lines.push(`* The total length of the prompt should be less than ${o.maxWords} words.`);
  lines.push('* Please help edit the prompt so that the updated prompt will not fail on these examples anymore.');
  lines.push('* Reply with the prompt. Do not include other text.');
  return lines.join('\n');
}

/** One batch example as in the paper's Figure 3: input, final answer, the model's reasoning, label. */
export function formatPe2Examples(batch: ReadonlyArray<Pick<EvalOutcome, 'input' | 'output' | 'pred' | 'gold'>>): string {
  return batch
    .map((x, i) =>
      [`## Example ${i + 1}`, `Input: ${x.input.trim()}`, `Output: ${x.pred ?? '(no answer found)'}`, `Reasoning: ${x.output.trim()}`, `Label: ${x.gold}`].join('\n'),
    )
    .join('\n\n');
}

/** The full template (context specification): the prompt rendered around a placeholder input. */
export function fullTemplate(ctx: OptimizerContext, prompt: Prompt): string {
  const placeholder: Example = { id: 'pe2-template', input: '<input>', target: '' };
  return ctx.task
    .render(prompt, placeholder)
    .map((m) => m.content)
    .join('\n\n');
}

/** The step-1 conversation (F.4 lines 1-58). */
export function pe2Step1Messages(prompt: string, template: string, examples: string, batchSize: number): Message[] {
  return [
    { role: 'system', content: PE2_SYSTEM },
    { role: 'user', content: PE2_TASK_DESCRIPTION.replace('{{batch_size}}', String(batchSize)) },
    { role: 'assistant', content: PE2_ASSISTANT_ACK },
    {
      role: 'user',
      content: PE2_STEP1.replace('{{prompt}}', () => prompt)
        .replace('{{full_prompt}}', () => template)
        .replace('{{examples}}', () => examples),
    },
  ];
}

/** The reply as the new prompt: trimmed, one pair of enclosing quotes removed. */
export function parsePe2Reply(reply: string): string {
  const t = reply.trim();
  const m = /^"([\s\S]*)"$/.exec(t);
  return (m ? m[1]! : t).trim();
}

// ---------------------------------------------------------------- the optimizer

async function optimize(ctx: OptimizerContext, o: Pe2Options) {
  const recorder = new Recorder(ctx, 'pe2');
  const initial: Prompt = ctx.initial ?? { instruction: '' };
  const withInstruction = (instruction: string): Prompt => ({ ...initial, instruction });
  const pool = o.errorPool === 'all' ? ctx.train : ctx.rng.derive('pe2-error-pool').sample(ctx.train, o.errorPool);
  const byStep: Candidate[][] = [];

  const stoppedBy = await untilBudget(async () => {
    const root = recorder.propose(initial, { origin: 'initial', step: 0 }).candidate;
    await recorder.score(root, ctx.dev);
    byStep.push([root]);
    recorder.stepDone(0);
    for (let t = 0; t < o.steps; t++) {
      const rng = ctx.rng.derive(`pe2-step-${t}`);
      const from = o.backtracking ? byStep.flat() : byStep[byStep.length - 1]!;
      const parents = [...new Set(from)]
        .filter((c) => c.score !== undefined)
        .sort((a, b) => b.score! - a.score! || Number(a.id.slice(1)) - Number(b.id.slice(1)))
        .slice(0, o.beamWidth);
      const next: Candidate[] = [];
      for (const [pi, parent] of parents.entries()) {
        const train = await ctx.evaluator.evaluate(parent.prompt, pool);
        const errors = train.outcomes.filter((x) => !x.correct);
        for (let j = 0; j < o.proposalsPerPrompt; j++) {
          const brng = rng.derive(`batch-${pi}-${j}`);
          const batch = o.hardNegatives && errors.length > 0 ? brng.sample(errors, o.batchSize) : brng.sample(train.outcomes, o.batchSize);
          const child = await propose(parent, batch, t + 1);
          if (child && !next.includes(child)) next.push(child);
        }
      }
      for (const c of next) if (c.score === undefined) await recorder.score(c, ctx.dev);
      byStep.push(next);
      recorder.stepDone(t + 1);
      if (next.length === 0 && !Number.isFinite(o.steps)) break;
    }
  });

  async function propose(parent: Candidate, batch: EvalOutcome[], step: number): Promise<Candidate | undefined> {
    const instruction = parent.prompt.instruction;
    const messages = pe2Step1Messages(instruction, fullTemplate(ctx, parent.prompt), formatPe2Examples(batch), batch.length);
    const shown: ShownFailure[] = batch
      .filter((x) => !x.correct)
      .map((x) => ({
        exampleId: x.exampleId,
        input: x.input,
        output: x.output,
        gold: x.gold,
        ...(x.trueCause !== undefined ? { trueCause: x.trueCause } : {}),
      }));
    const metaPrompt = messages.map((m) => `[${m.role}]\n${m.content}`).join('\n\n');
    const reasoning = await recorder.chat(messages, { temperature: o.reasoningTemperature, maxTokens: o.reasoningMaxTokens });
    const rec: ReflectionRecord = { step, parentId: parent.id, shown, metaPrompt, text: reasoning, editIds: [] };
    try {
      const step2 = pe2Step2(instruction, o);
      const reply = await recorder.chat([...messages, { role: 'assistant', content: reasoning }, { role: 'user', content: step2 }], {
        temperature: o.temperature,
        maxTokens: o.maxTokens,
      });
      const text = parsePe2Reply(reply);
      if (!text) return undefined;
      const { candidate } = recorder.propose(withInstruction(text), {
        parents: [parent.id],
        origin: 'pe2',
        step,
        metaPrompt: `${metaPrompt}\n\n[assistant]\n${reasoning}\n\n[user]\n${step2}`,
        rawReply: reply,
      });
      if (candidate.id === parent.id) return undefined;
      rec.editIds.push(candidate.id);
      if (o.editCheck === 'shown' && shown.length > 0) {
        const byId = new Map(pool.map((e) => [e.id, e]));
        const res = await ctx.evaluator.evaluate(
          candidate.prompt,
          shown.map((s) => byId.get(s.exampleId)!),
        );
        const now = new Map(res.outcomes.map((x) => [x.exampleId, x.correct]));
        rec.fixed = { [candidate.id]: shown.filter((s) => now.get(s.exampleId) === true).map((s) => s.exampleId) };
      }
      return candidate;
    } finally {
      recorder.reflect(rec);
    }
  }

  return recorder.result(stoppedBy, initial);
}

/**
 * The paper's starting prompt (§4.3 "Prompt Initialization": "Let's think step
 * by step." for math reasoning and BIG-bench Hard), at the start of the answer
 * as in its full template (Figure 3: "Question: <input> / Answer: Let's think
 * step by step."). Other families start from the empty instruction.
 */
export function pe2Initial(taskId: string): Prompt | undefined {
  const family = taskId.split(/[/?]/, 1)[0]!;
  return family === 'gsm8k' || family === 'bbh' ? { instruction: "Let's think step by step.", position: 'A_begin' } : undefined;
}

export const pe2: Optimizer<Pe2Options> = {
  name: 'pe2',
  paper: 'Ye et al. 2023, Prompt Engineering a Prompt Engineer (PE2, arXiv 2311.05661)',
  defaults: PE2_DEFAULTS,
  schema: pe2Schema,
  initial: pe2Initial,
  optimize,
};
