/**
 * EvoPrompt — Guo et al. 2023 (ICLR 2024), "Connecting Large Language Models
 * with Evolutionary Algorithms Yields Powerful Prompt Optimizers"
 * (reference code: beeevita/EvoPrompt).
 *
 * A population of instructions evolved by the optimizer LLM acting as the
 * evolutionary operators, with fitness = dev accuracy.
 * - GA (paper §3.2, Figure 1): roulette-wheel selection of two parents by
 *   fitness, one meta-prompt asking for crossover then mutation, answer in
 *   <prompt></prompt>; the next population is the top N of old ∪ children.
 * - DE (paper §3.3, Figure 2): for each base prompt, take the different parts
 *   of two donors, mutate them, combine with the current best, cross over with
 *   the base; keep the better of base and trial.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { Rng } from '../core/rng.js';
import type { Demo, OptimizerContext, Prompt, Task, TaskSplits } from '../core/types.js';
import type { LoadedTask } from '../tasks/task.js';
import { Recorder, countSchema, fitEvalSizeLogged, scoreSetOf, taskFamily, untilBudget } from './common.js';
import { EVOPROMPT_BBH_POOL } from './evoprompt-pool.js';
import type { Candidate, Optimizer, PaperPreset } from './types.js';

export interface EvopromptOptions {
  /** 'ga' (genetic algorithm) or 'de' (differential evolution). */
  variant: 'ga' | 'de';
  /** Population size N (BBH/scripts/run_ga_cot.sh:7, run_de_cot.sh:7: 10). */
  populationSize: number;
  /** Generations T (run_ga_cot.sh:6 BUDGET=10). Accepts Infinity. */
  generations: number;
  /**
   * Initial population: 'pool' scores the curated pool (plus the starting
   * instruction, when one is set), keeps the top N // 2 and adds one
   * paraphrase of each (the reference's `para_topk`); 'seeds' starts from the
   * starting instruction and `seeds`, paraphrased up to N (ours).
   */
  init: 'pool' | 'seeds';
  /** Seed instructions for init 'seeds'. */
  seeds: string[];
  /** init 'seeds': fill the population up to N with paraphrases of the seeds. */
  paraphraseInit: boolean;
  /** GA parent selection: 'roulette' (reference sel_mode "wheel") or 'random'. */
  selection: 'roulette' | 'random';
  /** DE: third donor is the current best (reference default) or a random member (reference donor_random). */
  donorBest: boolean;
  /** Include the worked demonstration the reference templates open with. */
  demonstration: boolean;
  /**
   * Score with the task's 3-shot chain-of-thought demos, the instruction
   * starting each demo's answer and the query's (the reference's BBH
   * evaluation, BBH/run_bbh.py:28-47 with lib_prompt/<task>.txt); set by the
   * BBH paper preset.
   */
  cotDemos: boolean;
  /** Optimizer-LLM temperature for evolution and paraphrasing (evoluter.py:198, 341, 447: 0.5). */
  temperature: number;
  maxTokens: number;
}

export const EVOPROMPT_DEFAULTS: EvopromptOptions = {
  variant: 'ga',
  populationSize: 10, // BBH/scripts/run_ga_cot.sh:7 POPSIZE=10
  generations: 10, // BBH/scripts/run_ga_cot.sh:6 BUDGET=10 (evoluter.py:406 range(0, budget))
  init: 'pool', // run_ga_cot.sh:9-10 initial=cot, initial_mode=para_topk
  seeds: ["Let's think step by step."],
  paraphraseInit: true,
  selection: 'roulette', // BBH/args.py:34 sel_mode default "wheel"
  donorBest: true, // BBH/args.py:32 donor_random off → c = the current best (evoluter.py:321-322)
  demonstration: true, // the reference templates always open with their worked demonstration
  cotDemos: false,
  temperature: 0.5, // evoluter.py:198, 341, 447
  maxTokens: 1024,
};

export const evopromptSchema = z.strictObject({
  variant: z.enum(['ga', 'de']),
  populationSize: z.number().int().min(2),
  generations: countSchema(),
  init: z.enum(['pool', 'seeds']),
  seeds: z.array(z.string()),
  paraphraseInit: z.boolean(),
  selection: z.enum(['roulette', 'random']),
  donorBest: z.boolean(),
  demonstration: z.boolean(),
  cotDemos: z.boolean(),
  temperature: z.number().min(0).max(2),
  maxTokens: z.number().int().positive(),
}) as z.ZodType<EvopromptOptions>;

// ---------------------------------------------------------------- meta-prompts (the reference's BBH templates)

/**
 * The GA template, character for character: beeevita/EvoPrompt
 * BBH/data/template_ga.py:18-33 (`templates_2["sim"]`, used for BBH by
 * BBH/evoluter.py:392). Its worked demonstration crosses two sentiment
 * classification prompts (no overlap with any task here).
 */
export const EVOPROMPT_GA_TEMPLATE = "Please follow the instruction step-by-step to generate a better prompt.  \n1. Crossover the following prompts to generate a new prompt:  \nPrompt 1: Your task is to classify the comment as one of the following categories: terrible, bad, okay, good, great.\nPrompt 2: In this task, you are given sentences from movie reviews. The task is to classify a sentence as one of the following categories: terrible, bad, okay, good, great.\n2. Mutate the prompt generated in Step 1 and generate a final prompt bracketed with <prompt> and </prompt>.\n\n1. Crossover Prompt: In this task, you are given comments from movie reviews. Your task is to classify each comment as one of the following categories: terrible, bad, okay, good, great.\n2. <prompt>Given a sentence from a movie review, classify it into one of the following categories: terrible, bad, okay, good, or great.</prompt>\n\nPlease follow the instruction step-by-step to generate a better prompt.\n1. Crossover the following prompts and generate a new prompt:\nPrompt 1: <prompt1>\nPrompt 2: <prompt2>\n2. Mutate the prompt generated in Step 1 and generate a final prompt bracketed with <prompt> and </prompt>.\n\n1. ";

/**
 * The DE template, character for character: BBH/data/template_de.py:3-45
 * (`v1["sim"]`, used for BBH by BBH/evoluter.py:283 with --template v1,
 * BBH/scripts/run_de_cot.sh:8).
 */
export const EVOPROMPT_DE_TEMPLATE = "Please follow the instruction step-by-step to generate a better prompt.\n1. Identify the different parts between the Prompt 1 and Prompt 2:\nPrompt 1: Rewrite the input text into simpler text.\nPrompt 2: Rewrite my complex sentence in simpler terms, but keep the meaning.\n2. Randomly mutate the different parts\n3. Combine the different parts with Prompt 3, selectively replace it with the different parts in step 2 and generate a new prompt.\nPrompt 3: Rewrite the given input text into simpler English sentences while preserving the same meaning, so it can be understood by non-native English speakers.\n4. Crossover the prompt in the step3 with the following basic prompt and generate a final prompt bracketed with <prompt> and </prompt>:\nBasic Prompt: Make the sentence easier for people who do not speak English fluently to comprehend.\n\n1. Identifying the different parts between Prompt 1 and Prompt 2:\nPrompt 1: Rewrite the input text into simpler text.\nPrompt 2: Rewrite my complex sentence in simpler terms, but keep the meaning.\nDifferent parts:\n\"input text\" vs \"my complex sentence\"\n\"simpler text\" vs \"simpler terms, but keep the meaning\"\n\n2. Randomly mutate the different parts:\n\"input text\" -> \"provided text\"\n\"my complex sentence\" -> \"the difficult sentence\"\n\"simpler text\" -> \"easier language\"\n\"simpler terms, but keep the meaning\" -> \"simpler words while maintaining the meaning\"\n\n3. Combine the different parts with Prompt 3, selectively replace it with the different parts in step 2 and generate a new prompt:\nPrompt 3: Rewrite the given input text into simpler English sentences while preserving the same meaning, so it can be understood by non-native English speakers.\nNew Prompt: Transform the provided text into easier language while maintaining the meaning, making it accessible for non-native English speakers.\n\n4. Crossover the prompt in step 3 with the following basic prompt and generate a final prompt bracketed with <prompt> and </prompt>:\nBasic Prompt: Make the sentence easier for people who do not speak English fluently to comprehend.\nFinal Prompt: <prompt>Convert the difficult sentence into simpler words while preserving the meaning, so it's easier for non-native English speakers to understand.</prompt>\n\n\nPlease follow the instruction step-by-step to generate a better prompt.\n1. Identify the different parts between the Prompt 1 and Prompt 2:\nPrompt 1: <prompt1>\nPrompt 2: <prompt2>\n2. Randomly mutate the different parts\n3. Combine the different parts with Prompt 3, selectively replace it with the different parts in step2 and generate a new prompt.\nPrompt 3: <prompt3>\n4. Crossover the prompt in the step3 with the following basic prompt and generate a final prompt bracketed with <prompt> and </prompt>:\nBasic Prompt: <prompt0>\n\n1. ";

/** The part of a template after its worked demonstration: from its last "Please follow the instruction". */
function withoutDemonstration(template: string): string {
  return template.slice(template.lastIndexOf('Please follow the instruction step-by-step'));
}

/** GA meta-prompt (evoluter.py:434-436): the template with <prompt1>, <prompt2> = the parents. */
export function gaMetaPrompt(parent1: string, parent2: string, demonstration = true): string {
  const t = demonstration ? EVOPROMPT_GA_TEMPLATE : withoutDemonstration(EVOPROMPT_GA_TEMPLATE);
  return t.replace('<prompt1>', parent1).replace('<prompt2>', parent2);
}

/**
 * DE meta-prompt (evoluter.py:323-328): <prompt0> = the base being replaced,
 * <prompt1>, <prompt2> = donors, <prompt3> = the best (or a third donor).
 */
export function deMetaPrompt(donor1: string, donor2: string, best: string, base: string, demonstration = true): string {
  const t = demonstration ? EVOPROMPT_DE_TEMPLATE : withoutDemonstration(EVOPROMPT_DE_TEMPLATE);
  return t.replace('<prompt0>', base).replace('<prompt1>', donor1).replace('<prompt2>', donor2).replace('<prompt3>', best);
}

/** Paraphrase meta-prompt (BBH/llm_client.py:189-199 `paraphrase`; no space after "Input:"). */
export function paraphraseMetaPrompt(instruction: string): string {
  return `Generate a variation of the following instruction while keeping the semantic meaning.\nInput:${instruction}\nOutput:`;
}

/**
 * The final prompt in a reply, as `get_final_prompt` (BBH/utils.py:69-78):
 * after the last <prompt>, up to </prompt>, trimmed; a reply without the tag
 * is used whole (surrounding double quotes removed). Null for an empty result.
 */
export function parseEvolved(reply: string): string | null {
  const parts = reply.split('<prompt>');
  let text: string;
  if (parts.length > 1) text = parts[parts.length - 1]!.split('</prompt>')[0]!.trim();
  else text = reply.startsWith('"') && reply.endsWith('"') && reply.length >= 2 ? reply.slice(1, -1) : reply;
  return text.trim() ? text : null;
}

/** Demos for the reference's BBH evaluation: each answer starts with the instruction (run_bbh.py:33-36). */
export function cotDemosFor(instruction: string, demos: readonly Demo[]): Demo[] {
  // lib_prompt/<task>.txt is the BBH cot-prompt with "Let's think step by step." replaced by <prompt>.
  return demos.map((d) => ({ input: d.input, output: `${instruction}\n${d.output.replace(/^Let's think step by step\.\s*/, '')}` }));
}

/** EvoPrompt's starting prompt: the instruction starts the answer (run_bbh.py:36 "A: {prompt}"). */
export function evopromptInitial(): Prompt {
  return { instruction: "Let's think step by step.", position: 'A_begin' };
}

/** The BBH examples the reference scores on (evoluter.py:44-46: random.sample(task, sample_num = 50); the rest is test). */
export const EVOPROMPT_BBH_DEV = 50; // BBH/scripts/run_ga_cot.sh:27 --sample_num 50

/** EvoPrompt's BBH split: 50 dev examples drawn once, the rest of the task as test (train = dev: the demos come from cot-prompts). */
export function evopromptPaperSplits(task: Task, seed: number): TaskSplits {
  const pool = [...task.splits.train, ...task.splits.dev, ...task.splits.test].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const shuffled = new Rng(seed).derive(`evoprompt-paper-split/${task.id}`).shuffle(pool);
  const dev = shuffled.slice(0, EVOPROMPT_BBH_DEV);
  return { train: dev, dev, test: shuffled.slice(EVOPROMPT_BBH_DEV) };
}

/** `preset: paper` for EvoPrompt on BBH: 50 dev examples, 3-shot CoT demos, the curated pool, N = 10, T = 10. */
export function evopromptPaperPreset(taskId: string): PaperPreset | undefined {
  if (taskFamily(taskId) !== 'bbh') return undefined;
  return {
    source: 'EvoPrompt §4.3 (BBH); BBH/scripts/run_ga_cot.sh:6-35 (10 generations, population 10, 50 dev examples, cot pool, para_topk), BBH/run_bbh.py:28-47 (3-shot CoT demos, prompt after "A:")',
    options: { populationSize: 10, generations: 10, init: 'pool', cotDemos: true },
    initial: evopromptInitial(),
    splits: evopromptPaperSplits,
  };
}

// ---------------------------------------------------------------- selection

/**
 * Roulette wheel (evoluter.py:411-418): k indices drawn with replacement, each
 * with probability proportional to fitness (negative fitness counts as 0).
 * All-zero fitness gives uniform draws, never NaN (the reference divides by 0).
 */
export function rouletteWheel(rng: Rng, fitness: readonly number[], k: number): number[] {
  return Array.from({ length: k }, () => rng.weighted(fitness));
}

// ---------------------------------------------------------------- the optimizer

/** Stop an unbounded run after this many generations with no new candidate and no target spend (safety net, not from the paper). */
const STALL_GENERATIONS = 3;
/** Paraphrase rounds tried to fill the initial population when replies repeat (not from the paper). */
const PARAPHRASE_ROUNDS = 3;

async function optimize(ctx: OptimizerContext, options: EvopromptOptions) {
  const o = options;
  const recorder = new Recorder(ctx, 'evoprompt');
  const initial: Prompt = ctx.initial ?? { instruction: '' };
  const cot = (ctx.task as LoadedTask).fewShotCot;
  if (o.cotDemos && !cot?.length) throw new UserError(`evoprompt: cotDemos needs a task with chain-of-thought demos (BBH); ${ctx.task.id} has none`);
  const withInstruction = (instruction: string): Prompt =>
    o.cotDemos ? { ...initial, instruction, demos: cotDemosFor(instruction, cot!) } : { ...initial, instruction };
  const ask = (meta: string, samples = 1) => recorder.ask(meta, { temperature: o.temperature, maxTokens: o.maxTokens, samples });
  // Equal-budget step scaling (common.ts fitEvalSize): the initial scorings plus one generation must fit.
  const poolTexts = [...new Set([...(ctx.initial && ctx.initial.instruction ? [ctx.initial.instruction] : []), ...EVOPROMPT_BBH_POOL])];
  const half = Math.floor(o.populationSize / 2);
  const cStart = o.init === 'pool' ? poolTexts.length + half : o.populationSize;
  const fitted = fitEvalSizeLogged(ctx, 'evoprompt', 'dev examples scored', ctx.dev.length, cStart, o.populationSize);
  const scoreSet = scoreSetOf(ctx, fitted === ctx.dev.length ? 'all' : fitted, 'evoprompt');
  const score = async (c: Candidate) => {
    if (c.score === undefined) await recorder.score(c, scoreSet);
    return c.score!;
  };
  const fit = (c: Candidate) => c.score ?? 0;

  let population: Candidate[] = [];
  const stoppedBy = await untilBudget(async () => {
    if (o.init === 'pool') {
      // ---- the reference's para_topk (evoluter.py:114-134, 192-204): score the pool, keep the
      // top N // 2 (stable on ties), add one paraphrase of each, truncate to N.
      const scored: Candidate[] = [];
      // scored at once, as one after another would
      const pool = await recorder.proposeAndScore(
        poolTexts.map((text) => ({ prompt: withInstruction(text), info: { origin: 'initial', step: 0 }, examples: scoreSet })),
        'unscored',
      );
      for (const { candidate } of pool) if (!scored.includes(candidate)) scored.push(candidate);
      const top = scored
        .map((c, i) => ({ c, i }))
        .sort((x, y) => fit(y.c) - fit(x.c) || x.i - y.i)
        .slice(0, half)
        .map((x) => x.c);
      population = [...top];
      const metas = top.map((c) => paraphraseMetaPrompt(c.prompt.instruction));
      const replies = await Promise.all(metas.map((m) => ask(m)));
      replies.forEach((rs, i) => {
        const r = rs[0];
        if (r === undefined || !r.trim()) return;
        const { candidate } = recorder.propose(withInstruction(r.trim()), {
          parents: [top[i]!.id],
          origin: 'evoprompt-paraphrase',
          step: 0,
          metaPrompt: metas[i]!,
          rawReply: r,
        });
        if (!population.includes(candidate)) population.push(candidate);
      });
      population = population.slice(0, o.populationSize);
    } else {
      // ---- ours: ctx.initial + seeds, then paraphrases up to N
      const seedTexts = [...new Set([...(ctx.initial ? [ctx.initial.instruction] : []), ...o.seeds])];
      if (seedTexts.length === 0) seedTexts.push(initial.instruction);
      for (const text of seedTexts) {
        const { candidate } = recorder.propose(withInstruction(text), { origin: 'initial', step: 0 });
        if (!population.includes(candidate) && population.length < o.populationSize) population.push(candidate);
      }
      const seeds = population.slice();
      for (let round = 0; o.paraphraseInit && round < PARAPHRASE_ROUNDS && population.length < o.populationSize; round++) {
        const need = o.populationSize - population.length;
        const src = Array.from({ length: need }, (_, i) => seeds[(i + round) % seeds.length]!);
        const metas = src.map((c) => paraphraseMetaPrompt(c.prompt.instruction));
        const replies = await Promise.all(metas.map((m) => ask(m)));
        replies.forEach((rs, i) => {
          for (const r of rs) {
            const text = r.trim();
            if (!text || population.length >= o.populationSize) continue;
            const { candidate } = recorder.propose(withInstruction(text), {
              parents: [src[i]!.id],
              origin: 'evoprompt-paraphrase',
              step: 0,
              metaPrompt: metas[i]!,
              rawReply: r,
            });
            if (!population.includes(candidate)) population.push(candidate);
          }
        });
      }
    }
    await recorder.scoreUnscored(population, scoreSet);
    recorder.stepDone(0);

    let stalled = 0;
    for (let gen = 1; gen <= o.generations; gen++) {
      const rng = ctx.rng.derive(`evoprompt-gen-${gen}`);
      const before = { n: recorder.trajectory.candidates.length, target: ctx.budget.spent.targetCalls };
      if (o.variant === 'ga') population = await gaGeneration(gen, rng);
      else population = await deGeneration(gen, rng);
      recorder.stepDone(gen);
      const nothingNew = recorder.trajectory.candidates.length === before.n && ctx.budget.spent.targetCalls === before.target;
      stalled = nothingNew ? stalled + 1 : 0;
      if (stalled >= STALL_GENERATIONS) break;
    }
  });

  /** GA: N children from roulette-selected parent pairs; next population = top N of old ∪ children. */
  async function gaGeneration(gen: number, rng: Rng): Promise<Candidate[]> {
    const n = o.populationSize;
    // roulette: N draws with replacement by fitness form the parent pool (reference code sel_mode "wheel")
    const parentPool =
      o.selection === 'roulette' ? rouletteWheel(rng, population.map(fit), n).map((i) => population[i]!) : population.slice();
    const pairs = Array.from({ length: n }, () => {
      const [a, b] = parentPool.length >= 2 ? rng.sample(parentPool, 2) : [parentPool[0]!, parentPool[0]!];
      return [a!, b!] as const;
    });
    const metas = pairs.map(([a, b]) => gaMetaPrompt(a.prompt.instruction, b.prompt.instruction, o.demonstration));
    const replies = await Promise.all(metas.map((m) => ask(m)));
    const children: Candidate[] = [];
    replies.forEach((rs, i) => {
      for (const r of rs) {
        const text = parseEvolved(r);
        if (!text) continue;
        const { candidate } = recorder.propose(withInstruction(text), {
          parents: [pairs[i]![0].id, pairs[i]![1].id],
          origin: 'evoprompt-ga',
          step: gen,
          metaPrompt: metas[i]!,
          rawReply: r,
        });
        children.push(candidate);
      }
    });
    await recorder.scoreUnscored(children, scoreSet);
    const merged: Candidate[] = [];
    for (const c of [...population, ...children]) if (!merged.includes(c)) merged.push(c);
    // stable sort: on ties the older member stays ahead
    return merged.sort((a, b) => fit(b) - fit(a)).slice(0, n);
  }

  /** DE: for each base, a trial from (donor1, donor2, best, base); keep the better of base and trial. */
  async function deGeneration(gen: number, rng: Rng): Promise<Candidate[]> {
    const next: Candidate[] = [];
    for (let j = 0; j < population.length; j++) {
      const base = population[j]!;
      const others = population.filter((_, k) => k !== j);
      const pool = others.length > 0 ? others : [base];
      const donors = pool.length >= 3 ? rng.sample(pool, 3) : Array.from({ length: 3 }, () => rng.pick(pool));
      const [d1, d2] = donors as [Candidate, Candidate, Candidate];
      const best = o.donorBest ? (recorder.best() ?? donors[2]!) : donors[2]!;
      const meta = deMetaPrompt(d1.prompt.instruction, d2.prompt.instruction, best.prompt.instruction, base.prompt.instruction, o.demonstration);
      const [reply] = await ask(meta);
      const text = reply !== undefined ? parseEvolved(reply) : null;
      let selected = base;
      if (text) {
        const { candidate } = recorder.propose(withInstruction(text), {
          parents: [base.id, d1.id, d2.id, best.id],
          origin: 'evoprompt-de',
          step: gen,
          metaPrompt: meta,
          rawReply: reply!,
        });
        await score(candidate);
        if (fit(candidate) > fit(base)) selected = candidate;
      }
      next.push(selected);
    }
    return next;
  }

  return recorder.result(stoppedBy, initial);
}

export const evoprompt: Optimizer<EvopromptOptions> = {
  name: 'evoprompt',
  paper: 'Guo et al. 2023 (ICLR 2024), Connecting Large Language Models with Evolutionary Algorithms Yields Powerful Prompt Optimizers (EvoPrompt)',
  defaults: EVOPROMPT_DEFAULTS,
  schema: evopromptSchema,
  initial: evopromptInitial,
  paperPreset: evopromptPaperPreset,
  optimize,
};
