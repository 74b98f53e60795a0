/**
 * CAPO — Zehle, Schlager, Heiß & Feurer 2025, "CAPO: Cost-Aware Prompt
 * Optimization" (AutoML 2025, arXiv 2504.16005); reference implementation the
 * `promptolution` package (automl/promptolution at 79994052:
 * promptolution/optimizers/capo.py, utils/capo_utils.py, utils/templates.py,
 * utils/test_statistics.py, tasks/base_task.py).
 *
 * An evolutionary search over prompts = instruction + few-shot demos:
 * - initial population: the starting prompt and prompts the meta-LLM writes
 *   from the task description (prompt_creation.py), each with a random number
 *   (0..upper_shots) of few-shot demos; a demo shows the target's own output
 *   under the instruction when it is correct, else the gold answer;
 * - each step: `crossoversPerIter` crossovers of two random parents (meta-LLM
 *   merges the instructions; the child gets half of the parents' pooled demos),
 *   each child mutated (meta-LLM rephrases the instruction; with probability
 *   1/3 a demo is added, 1/3 one is removed; demos shuffled);
 * - racing selects the next population from parents ∪ children: dev is cut
 *   into blocks; block by block every surviving candidate is scored, its
 *   per-example scores minus the length penalty γ·len/len_max are compared with
 *   every other's by a one-sided paired t-test at level α, and a candidate that
 *   `k` (population size) others beat significantly is eliminated; racing stops
 *   at k survivors or after `maxBlocksEval` blocks; survivors are ranked by
 *   their mean accuracy over the blocks they were scored on.
 * The answer is the first of the final population.
 */
import jstatModule from 'jstat';
import { z } from 'zod';
import type { Rng } from '../core/rng.js';
import type { Demo, Example, OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, countSchema, untilBudget } from './common.js';
import type { Candidate, Optimizer } from './types.js';

export interface CapoOptions {
  /** Steps (generations); promptolution's optimize(n_steps) has no default and the paper runs to a token budget. Accepts Infinity. */
  steps: number;
  /** Population size = number of initial prompts (prompt_creation.py:133 n_prompts=10; capo.py:114). */
  populationSize: number;
  /** Crossovers per step (capo.py:46). */
  crossoversPerIter: number;
  /** Most few-shot demos per prompt (capo.py:47). */
  upperShots: number;
  /** Most blocks raced per step (capo.py:48). */
  maxBlocksEval: number;
  /** Dev examples per block (base_task.py:49 n_subsamples=30). */
  blockSize: number;
  /** Significance level of the paired t-test (capo.py:50). */
  alpha: number;
  /** Length penalty γ (capo.py:51). */
  lengthPenalty: number;
  /** Demos from the target's own correct outputs (capo.py:53 create_fs_reasoning). */
  fewShotReasoning: boolean;
  /** Keep a reasoning demo only when the target's answer was right (capo.py:52 check_fs_accuracy). */
  checkFewShotAccuracy: boolean;
  /** Racing on: off scores every candidate on every block up to maxBlocksEval (the paper's no-racing ablation). */
  racing: boolean;
  temperature: number;
  maxTokens: number;
}

export const CAPO_DEFAULTS: CapoOptions = {
  steps: 10,
  populationSize: 10,
  crossoversPerIter: 4,
  upperShots: 5,
  maxBlocksEval: 10,
  blockSize: 30,
  alpha: 0.2,
  lengthPenalty: 0.05,
  fewShotReasoning: true,
  checkFewShotAccuracy: true,
  racing: true,
  temperature: 1.0,
  maxTokens: 1024,
};

const pos = z.number().int().positive();
export const capoSchema = z.strictObject({
  steps: countSchema(),
  populationSize: z.number().int().min(2),
  crossoversPerIter: pos,
  upperShots: z.number().int().nonnegative(),
  maxBlocksEval: pos,
  blockSize: pos,
  alpha: z.number().gt(0).lt(1),
  lengthPenalty: z.number().nonnegative(),
  fewShotReasoning: z.boolean(),
  checkFewShotAccuracy: z.boolean(),
  racing: z.boolean(),
  temperature: z.number().min(0).max(2),
  maxTokens: pos,
}) as z.ZodType<CapoOptions>;

// ---------------------------------------------------------------- meta-prompts (promptolution utils/templates.py)

/** CAPO_CROSSOVER_TEMPLATE (templates.py:163-169). */
export const CAPO_CROSSOVER_TEMPLATE = `You receive two prompts for the following task: <task_desc>
Please merge the two prompts into a single coherent prompt. Maintain the key linguistic features from both original prompts:
Prompt 1: <mother>
Prompt 2: <father>

Return the new prompt in the following format:
<prompt>new prompt</prompt>`;

/** CAPO_MUTATION_TEMPLATE (templates.py:171-176). */
export const CAPO_MUTATION_TEMPLATE = `You receive a prompt for the following task: <task_desc>
Please rephrase the prompt, preserving its core meaning while substantially varying the linguistic style.
Prompt: <instruction>

Return the new prompt in the following format:
<prompt>new prompt</prompt>`;

/** PROMPT_CREATION_TEMPLATE_FROM_TASK_DESCRIPTION (templates.py:141-147), used for the initial population (helpers.py:75-80). */
export const CAPO_CREATION_TEMPLATE = `Please create diverse system prompts for the following task, not using any placeholders, working universally, for any datapoint-specific instructions following each system prompt.

Task: <task_desc>

Explicitly state the expected format above by repeating its exact character sequence verbatim in every prompt if applicable.

Create overall <n_prompts> prompts within json format, meaning strings inside quotations marks ("") as an array. Do not response with anything else. Start the array with [ and end with ]. Separate each prompt by a comma, and do not use quotation marks inside the prompts.`;

/** default_prompts (templates.py:179-189): the reference's fallback when the creation reply cannot be parsed. */
export const CAPO_FALLBACK_PROMPTS = [
  'Give me your response within <final_answer> tags.',
  'Please provide a thoughtful answer to my question and wrap your response in <final_answer> tags so I can easily identify it.',
  'I need your expertise on this matter. Kindly structure your response within <final_answer> tags for better readability.',
  'Analyze the following and present your findings enclosed in <final_answer> </final_answer> tags.',
  'Consider this inquiry carefully. Your comprehensive response should be formatted within <final_answer> tags to facilitate extraction.',
  'Respond succinctly. Ensure all content appears between <final_answer> and </final_answer> markers.',
  'Would you mind addressing this request? Please place your entire response inside <final_answer> </final_answer> formatting.',
  "I'm seeking your insights on a particular topic. Kindly ensure that your complete analysis is contained within <final_answer> tags for my convenience.",
  'Examine this query thoroughly and deliver your conclusions. All output must be encapsulated in <final_answer> </final_answer> notation for processing purposes.',
  'Help me understand this subject better. Your explanation should begin with <final_answer> and conclude with </final_answer> to maintain proper structure.',
];

/** extract_from_tag (formatting.py:33): text after the last start tag, before the first end tag after it, trimmed. */
export function extractFromTag(text: string, start: string, end: string): string {
  const parts = text.split(start);
  return parts[parts.length - 1]!.split(end)[0]!.trim();
}

/** The creation reply as a list of exactly n strings, or null (prompt_creation.py:152-158). */
export function parseCreationReply(reply: string, n: number): string[] | null {
  try {
    const v: unknown = JSON.parse(reply);
    return Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- racing (capo.py:137-181, test_statistics.py)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const jStat = ((jstatModule as any).jStat ?? jstatModule) as { studentt: { cdf(x: number, df: number): number } };

/**
 * One-sided paired t-test (test_statistics.py:30-57, scipy ttest_rel with
 * alternative="greater"): is A's mean significantly higher than B's?
 * d = a − b, t = mean(d) / (sd(d)/√n) with sd at n − 1 degrees of freedom,
 * p = 1 − F_t(t; n − 1); true when p < α. Zero variance: t = ±∞ (p = 0 or 1)
 * when the mean differs from 0, and no decision (scipy's NaN) when it is 0.
 */
export function pairedTTestGreater(a: readonly number[], b: readonly number[], alpha: number): boolean {
  const n = a.length;
  if (n < 2 || b.length !== n) return false;
  const d = a.map((x, i) => x - b[i]!);
  const mean = d.reduce((s, x) => s + x, 0) / n;
  const sd = Math.sqrt(d.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  if (!(sd > 1e-12)) return mean > 1e-12;
  const t = mean / (sd / Math.sqrt(n));
  const p = 1 - jStat.studentt.cdf(t, n - 1);
  return p < alpha;
}

/**
 * One racing elimination (capo.py:164-172): C[i][j] = "j is significantly
 * better than i" on the penalized scores so far; a candidate survives when
 * fewer than k others beat it. Returns the survivors' indices.
 */
export function raceSurvivors(scores: ReadonlyArray<readonly number[]>, k: number, alpha: number): number[] {
  const out: number[] = [];
  scores.forEach((si, i) => {
    let better = 0;
    scores.forEach((sj) => {
      if (pairedTTestGreater(sj, si, alpha)) better++;
    });
    if (better < k) out.push(i);
  });
  return out;
}

/** Dev blocks (base_task.py:93, subsample "sequential_block"): ⌊n/b⌋ blocks of b; one block of all of dev when n < b. */
export function devBlocks<T>(dev: readonly T[], b: number): T[][] {
  const n = Math.floor(dev.length / b);
  if (n === 0) return dev.length ? [dev.slice()] : [];
  return Array.from({ length: n }, (_, i) => dev.slice(i * b, (i + 1) * b));
}

/** Prompt length (token_counter.py:33-34 without a tokenizer): whitespace words of the prompt without the input. */
export function promptLength(ctx: OptimizerContext, p: Prompt): number {
  const text = ctx.task
    .render(p, { id: 'capo-length', input: '', target: '' })
    .map((m) => m.content)
    .join('\n');
  return text.split(/\s+/).filter(Boolean).length;
}

// ---------------------------------------------------------------- the optimizer

interface Member {
  cand: Candidate;
  prompt: Prompt;
}

async function optimize(ctx: OptimizerContext, o: CapoOptions) {
  const recorder = new Recorder(ctx, 'capo');
  const initial: Prompt = ctx.initial ?? { instruction: '' };
  const rng = ctx.rng.derive('capo');
  const taskDesc = `${ctx.task.description}\n${ctx.task.formatInstruction}`.trim();
  const blocks = devBlocks(ctx.dev, o.blockSize);
  const maxBlocks = Math.min(o.maxBlocksEval, blocks.length);
  /** Per candidate id: block index → per-example scores (accuracy 0/1). */
  const blockScores = new Map<string, Map<number, number[]>>();
  let maxLen = 1;
  let population: Member[] = [];
  const ask = async (metas: string[]) => Promise.all(metas.map((m) => recorder.ask(m, { temperature: o.temperature, maxTokens: o.maxTokens }).then((r) => r[0] ?? '')));
  const make = (instruction: string, demos: Demo[]): Prompt => ({ ...initial, instruction, demos });

  /** build_few_shot_examples (capo_utils.py:14-50). */
  async function fewShots(instruction: string, num: number, r: Rng): Promise<Demo[]> {
    if (num === 0) return [];
    const sample = r.sample(ctx.train, num);
    const gold = (ex: Example): Demo => ({ input: ex.input, output: ex.target });
    if (!o.fewShotReasoning) return sample.map(gold);
    const res = await ctx.evaluator.evaluate(make(instruction, []), sample);
    return sample.map((ex, j) => {
      const out = res.outcomes[j]!;
      return out.correct || !o.checkFewShotAccuracy ? { input: ex.input, output: out.output.trim() } : gold(ex);
    });
  }

  const score = async (m: Member, b: number): Promise<number[]> => {
    let byBlock = blockScores.get(m.cand.id);
    if (!byBlock) blockScores.set(m.cand.id, (byBlock = new Map()));
    const have = byBlock.get(b);
    if (have) return have;
    const res = await ctx.evaluator.evaluate(m.prompt, blocks[b]!);
    const s = res.outcomes.map((x) => (x.correct ? 1 : 0));
    byBlock.set(b, s);
    const all = [...byBlock.values()].flat();
    m.cand.score = all.reduce((a, x) => a + x, 0) / all.length;
    m.cand.spentAtScore = { ...ctx.budget.spent };
    ctx.log.emit({ type: 'evaluation', optimizer: 'capo', candidateId: m.cand.id, score: m.cand.score, n: all.length, spent: m.cand.spentAtScore });
    return s;
  };

  /** _do_racing (capo.py:137-181). */
  async function race(candidates: Member[], k: number, step: number): Promise<Member[]> {
    let alive = candidates;
    const lens = new Map(alive.map((m) => [m.cand.id, promptLength(ctx, m.prompt) / maxLen]));
    for (let b = 0; alive.length > k && b < maxBlocks; b++) {
      const penalized: number[][] = [];
      for (const m of alive) {
        const upTo: number[] = [];
        for (let bb = 0; bb <= b; bb++) upTo.push(...(await score(m, bb)));
        penalized.push(upTo.map((x) => x - o.lengthPenalty * lens.get(m.cand.id)!));
      }
      if (!o.racing) continue;
      const keep = raceSurvivors(penalized, k, o.alpha);
      const dropped = alive.filter((_, i) => !keep.includes(i));
      if (dropped.length) ctx.log.emit({ type: 'capo-race', step, block: b, eliminated: dropped.map((m) => m.cand.id), survivors: keep.length });
      alive = keep.map((i) => alive[i]!);
    }
    // rank by mean accuracy over the blocks each was scored on (eval_strategy "evaluated"), best first
    const mean = (m: Member) => m.cand.score ?? 0;
    return alive
      .map((m, i) => ({ m, i }))
      .sort((x, y) => mean(y.m) - mean(x.m) || x.i - y.i)
      .slice(0, k)
      .map((x) => x.m);
  }

  const stoppedBy = await untilBudget(async () => {
    // initial population (helpers.py:75-80, capo.py:123-135)
    const seeds: string[] = [];
    if (initial.instruction.trim()) seeds.push(initial.instruction);
    const need = o.populationSize - seeds.length;
    if (need > 0) {
      const meta = CAPO_CREATION_TEMPLATE.replace('<task_desc>', () => taskDesc).replace('<n_prompts>', String(need));
      let created: string[] | null = null;
      for (let attempt = 0; attempt < 3 && !created; attempt++) created = parseCreationReply((await ask([meta]))[0]!, need);
      seeds.push(...(created ?? CAPO_FALLBACK_PROMPTS.slice(0, need)));
    }
    const initRng = rng.derive('init');
    for (const [i, ins] of seeds.entries()) {
      const demos = await fewShots(ins, initRng.int(0, o.upperShots), initRng.derive(`fs-${i}`));
      const prompt = make(ins, demos);
      const { candidate } = recorder.propose(prompt, { origin: i === 0 && ins === initial.instruction ? 'initial' : 'capo-init', step: 0 });
      if (!population.some((m) => m.cand === candidate)) population.push({ cand: candidate, prompt });
    }
    maxLen = Math.max(1, ...population.map((m) => promptLength(ctx, m.prompt)));
    // the initial population is scored on the first block (the reference scores it in the first racing)
    if (maxBlocks > 0) for (const m of population) await score(m, 0);
    recorder.stepDone(0, population[0]!.cand);

    const k = population.length;
    for (let step = 1; step <= o.steps; step++) {
      const srng = rng.derive(`step-${step}`);
      // crossover (capo_utils.py:53-81)
      const pairs = Array.from({ length: o.crossoversPerIter }, () => srng.sample(population, 2) as [Member, Member]);
      const crossMetas = pairs.map(([m, f]) =>
        CAPO_CROSSOVER_TEMPLATE.replace('<task_desc>', () => taskDesc)
          .replace('<mother>', () => m.prompt.instruction)
          .replace('<father>', () => f.prompt.instruction)
          .trim(),
      );
      const offDemos = pairs.map(([m, f]) => {
        const pool = [...(m.prompt.demos ?? []), ...(f.prompt.demos ?? [])];
        return pool.length ? srng.sample(pool, Math.floor(pool.length / 2)) : [];
      });
      const crossReplies = await ask(crossMetas);
      const offspring = crossReplies.map((r) => extractFromTag(r, '<prompt>', '</prompt>'));
      // mutation (capo_utils.py:84-116)
      const mutMetas = offspring.map((ins) => CAPO_MUTATION_TEMPLATE.replace('<task_desc>', () => taskDesc).replace('<instruction>', () => ins));
      const mutReplies = await ask(mutMetas);
      const children: Member[] = [];
      for (const [i, reply] of mutReplies.entries()) {
        const ins = extractFromTag(reply, '<prompt>', '</prompt>');
        const demos = offDemos[i]!;
        const p = srng.next();
        let next: Demo[];
        if (p < 1 / 3 && demos.length < o.upperShots) next = [...demos, ...(await fewShots(ins, 1, srng.derive(`add-${i}`)))];
        else if (p >= 1 / 3 && p < 2 / 3 && demos.length > 0) next = srng.sample(demos, demos.length - 1);
        else next = demos;
        next = srng.shuffle(next);
        const prompt = make(ins, next);
        const [mom, dad] = pairs[i]!;
        const { candidate } = recorder.propose(prompt, {
          parents: [mom.cand.id, dad.cand.id],
          origin: 'capo-offspring',
          step,
          metaPrompt: `${crossMetas[i]}\n\n---\n\n${mutMetas[i]}`,
          rawReply: `${crossReplies[i]}\n\n---\n\n${reply}`,
        });
        if (![...population, ...children].some((m) => m.cand === candidate)) children.push({ cand: candidate, prompt });
      }
      population = await race([...population, ...children], k, step);
      recorder.stepDone(step, population[0]!.cand);
    }
  });

  const best = population[0];
  return recorder.result(stoppedBy, initial, best?.cand.score !== undefined ? { best: best.prompt, bestScore: best.cand.score } : {});
}

export const capo: Optimizer<CapoOptions> = {
  name: 'capo',
  paper: 'Zehle et al. 2025, CAPO: Cost-Aware Prompt Optimization (AutoML 2025, arXiv 2504.16005)',
  defaults: CAPO_DEFAULTS,
  schema: capoSchema,
  optimize,
};
