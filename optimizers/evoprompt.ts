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
import type { Rng } from '../core/rng.js';
import type { OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, between, countSchema, untilBudget } from './common.js';
import type { Candidate, Optimizer } from './types.js';

export interface EvopromptOptions {
  /** 'ga' (genetic algorithm) or 'de' (differential evolution). */
  variant: 'ga' | 'de';
  /** Population size N. Paper §4 implementation details: 10. */
  populationSize: number;
  /** Generations T. Paper §4 implementation details: 10. Accepts Infinity. */
  generations: number;
  /**
   * Seed instructions added to ctx.initial for the initial population. The
   * paper's BBH runs start from the manual CoT prompt (§4.3), "Let's think step by step.".
   */
  seeds: string[];
  /** Fill the initial population up to N with optimizer-LLM paraphrases of the seeds (paper §3, "Initial population"). */
  paraphraseInit: boolean;
  /** GA parent selection: 'roulette' (paper) or 'random' (ablation). */
  selection: 'roulette' | 'random';
  /** DE: third donor is the current best (paper) or a random member (reference code donor_random). */
  donorBest: boolean;
  /** Include the one-shot worked demonstration before the task, as the reference templates do. */
  demonstration: boolean;
  /** Optimizer-LLM temperature for evolution and paraphrasing (reference code: 0.5). */
  temperature: number;
  maxTokens: number;
}

export const EVOPROMPT_DEFAULTS: EvopromptOptions = {
  variant: 'ga',
  populationSize: 10,
  generations: 10,
  seeds: ["Let's think step by step."],
  paraphraseInit: true,
  selection: 'roulette',
  donorBest: true,
  demonstration: true,
  temperature: 0.5,
  maxTokens: 1024,
};

export const evopromptSchema = z.strictObject({
  variant: z.enum(['ga', 'de']),
  populationSize: z.number().int().min(2),
  generations: countSchema(),
  seeds: z.array(z.string()),
  paraphraseInit: z.boolean(),
  selection: z.enum(['roulette', 'random']),
  donorBest: z.boolean(),
  demonstration: z.boolean(),
  temperature: z.number().min(0).max(2),
  maxTokens: z.number().int().positive(),
}) as z.ZodType<EvopromptOptions>;

// ---------------------------------------------------------------- meta-prompts (paper Figures 1–2, App. templates)

const GA_HEAD = 'Please follow the instruction step-by-step to generate a better prompt.';

function gaTask(p1: string, p2: string): string {
  return [
    GA_HEAD,
    '1. Crossover the following prompts and generate a new prompt:',
    `Prompt 1: ${p1}`,
    `Prompt 2: ${p2}`,
    '2. Mutate the prompt generated in Step 1 and generate a final prompt bracketed with <prompt> and </prompt>.',
  ].join('\n');
}

const GA_DEMO = [
  gaTask('Answer the question about the list of items.', 'Read the list carefully and count how many items there are.'),
  '',
  '1. Crossover Prompt: Read the list of items carefully and answer the question about how many there are.',
  '2. <prompt>Go through the list item by item, keep a running count, and answer the question.</prompt>',
].join('\n');

/** GA meta-prompt: crossover of two parents, then mutation; answer in <prompt></prompt>. */
export function gaMetaPrompt(parent1: string, parent2: string, demonstration = true): string {
  return [...(demonstration ? [GA_DEMO, ''] : []), gaTask(parent1, parent2), '', '1. '].join('\n');
}

function deTask(p1: string, p2: string, best: string, base: string): string {
  return [
    GA_HEAD,
    '1. Identify the different parts between the Prompt 1 and Prompt 2:',
    `Prompt 1: ${p1}`,
    `Prompt 2: ${p2}`,
    '2. Randomly mutate the different parts',
    '3. Combine the different parts with Prompt 3, selectively replace it with the different parts in step 2 and generate a new prompt.',
    `Prompt 3: ${best}`,
    '4. Crossover the prompt in the step 3 with the following basic prompt and generate a final prompt bracketed with <prompt> and </prompt>:',
    `Basic Prompt: ${base}`,
  ].join('\n');
}

const DE_DEMO = [
  deTask(
    'Answer the question about the list of items.',
    'Read the list carefully and count how many items there are.',
    'Go through the list one item at a time and keep a running count before answering.',
    'Count the objects mentioned in the question.',
  ),
  '',
  '1. Identifying the different parts between Prompt 1 and Prompt 2:',
  'Different parts:',
  '"Answer the question" vs "count how many items there are"',
  '"about the list of items" vs "Read the list carefully"',
  '',
  '2. Randomly mutate the different parts:',
  '"Answer the question" -> "Give the answer"',
  '"count how many items there are" -> "tally every item"',
  '"Read the list carefully" -> "Examine the list closely"',
  '',
  '3. Combine the different parts with Prompt 3:',
  'New Prompt: Examine the list closely, go through it one item at a time and tally every item before giving the answer.',
  '',
  '4. Crossover the prompt in step 3 with the basic prompt:',
  'Final Prompt: <prompt>Examine the question closely and tally every object it mentions, one at a time, before giving the count.</prompt>',
].join('\n');

/** DE meta-prompt: donors 1 and 2 (different parts, mutated), Prompt 3 = best, Basic Prompt = the base being replaced. */
export function deMetaPrompt(donor1: string, donor2: string, best: string, base: string, demonstration = true): string {
  return [...(demonstration ? [DE_DEMO, '', ''] : []), deTask(donor1, donor2, best, base), '', '1. '].join('\n');
}

/** Paraphrase meta-prompt for the initial population (reference code llm_client.paraphrase). */
export function paraphraseMetaPrompt(instruction: string): string {
  return `Generate a variation of the following instruction while keeping the semantic meaning.\nInput: ${instruction}\nOutput:`;
}

/** The final prompt in a reply: text of the last <prompt></prompt> pair; null when absent or empty. */
export function parseEvolved(reply: string): string | null {
  const t = between(reply, '<prompt>', '</prompt>');
  return t ? t : null;
}

// ---------------------------------------------------------------- selection

/**
 * Roulette wheel: k indices drawn with replacement, each with probability
 * proportional to fitness (negative fitness counts as 0). All-zero fitness
 * gives uniform draws, never NaN.
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
  const withInstruction = (instruction: string): Prompt => ({ ...initial, instruction });
  const ask = (meta: string, samples = 1) => recorder.ask(meta, { temperature: o.temperature, maxTokens: o.maxTokens, samples });
  const score = async (c: Candidate) => {
    if (c.score === undefined) await recorder.score(c, ctx.dev);
    return c.score!;
  };
  const fit = (c: Candidate) => c.score ?? 0;

  let population: Candidate[] = [];
  const stoppedBy = await untilBudget(async () => {
    // ---- initial population: ctx.initial + seeds, then paraphrases up to N
    const seedTexts = [...new Set([...(ctx.initial ? [ctx.initial.instruction] : []), ...o.seeds])];
    if (seedTexts.length === 0) seedTexts.push(initial.instruction);
    for (const text of seedTexts) {
      const { candidate } = recorder.propose(withInstruction(text), { origin: 'initial', step: 0 });
      if (!population.includes(candidate) && population.length < o.populationSize) population.push(candidate);
    }
    // paraphrases fill the population; duplicates are dropped, so a few more rounds may be needed
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
    for (const c of population) await score(c);
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
    for (const c of children) await score(c);
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
  optimize,
};
