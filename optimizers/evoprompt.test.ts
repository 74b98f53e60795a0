import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashUnit } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import type { Task } from '../core/types.js';
import { EVOPROMPT_BBH_POOL } from './evoprompt-pool.js';
import {
  EVOPROMPT_DE_TEMPLATE,
  EVOPROMPT_DEFAULTS,
  EVOPROMPT_GA_TEMPLATE,
  cotDemosFor,
  deMetaPrompt,
  evopromptPaperPreset,
  evopromptPaperSplits,
  paraphraseMetaPrompt,
  evoprompt,
  evopromptSchema,
  gaMetaPrompt,
  parseEvolved,
  rouletteWheel,
  type EvopromptOptions,
} from './evoprompt.js';
import { makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';

const SMALL: EvopromptOptions = { ...EVOPROMPT_DEFAULTS, init: 'seeds', populationSize: 4, generations: 2 };

/** Fake optimizer: a child that adds one "good" word to the last prompt it was shown, in <prompt></prompt>; plain paraphrases. */
function reply(prompt: string, sample: number): string {
  const words = ['carefully', 'step', 'check', 'verify', 'slowly', 'twice', 'clearly', 'calmly'];
  const w = words[Math.floor(hashUnit([prompt, sample]) * words.length)]!;
  if (prompt.startsWith('Generate a variation')) return `${/Input:(.*)\n/.exec(prompt)?.[1] ?? ''} Think ${w}.`;
  const lines = prompt.split('\n');
  const last = lines.filter((l) => l.startsWith('Prompt 2: ') || l.startsWith('Basic Prompt: ')).pop() ?? '';
  return `1. Crossover Prompt: ...\n2. <prompt>${last.replace(/^(Prompt 2|Basic Prompt): /, '')} Work ${w}.</prompt>`;
}

describe('evoprompt selection', () => {
  it('roulette with all-zero fitness is uniform, never NaN', () => {
    const rng = new Rng(1);
    const draws = rouletteWheel(rng, [0, 0, 0, 0], 4000);
    expect(draws.every((i) => Number.isInteger(i) && i >= 0 && i < 4)).toBe(true);
    for (let k = 0; k < 4; k++) {
      const share = draws.filter((i) => i === k).length / draws.length;
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.3);
    }
  });
  it('roulette follows fitness', () => {
    const draws = rouletteWheel(new Rng(2), [0, 1, 3], 4000);
    expect(draws.includes(0)).toBe(false);
    const share2 = draws.filter((i) => i === 2).length / draws.length;
    expect(share2).toBeGreaterThan(0.7);
    expect(share2).toBeLessThan(0.8);
  });
});

/** Reference outputs (header: "source" in the fixture file). */
const REF = JSON.parse(readFileSync(path.join(import.meta.dirname, 'reference/evoprompt-reference.json'), 'utf8')) as {
  source: string;
  gaTemplate: string;
  deTemplate: string;
  gaQuery: string;
  deQuery: string;
  paraphraseQuery: string;
  finalPrompt: Array<[string, string]>;
};

describe('evoprompt meta-prompts equal the reference (reference/evoprompt-reference.json)', () => {
  const [a, b, c, base] = ["Let's think step by step.", 'First,', "Let's solve this problem by splitting it into steps.", "Let's think"];
  it('templates, character for character, with their worked demonstrations', () => {
    expect(REF.source).toMatch(/template_ga\.py:18-33/);
    expect(EVOPROMPT_GA_TEMPLATE).toBe(REF.gaTemplate);
    expect(EVOPROMPT_DE_TEMPLATE).toBe(REF.deTemplate);
    expect(gaMetaPrompt(a, b)).toBe(REF.gaQuery);
    expect(deMetaPrompt(a, b, c, base)).toBe(REF.deQuery);
    expect(paraphraseMetaPrompt(a)).toBe(REF.paraphraseQuery);
    // the demonstration is a sentiment-classification example, not one of the tasks here
    expect(REF.gaTemplate).not.toMatch(/count|list of items/i);
  });
  it('replies are read as get_final_prompt reads them; without tags the whole reply is used', () => {
    for (const [reply, expected] of REF.finalPrompt) expect(parseEvolved(reply)).toBe(expected);
    expect(parseEvolved('<prompt> </prompt>')).toBeNull();
  });
  it('without the demonstration only the task block is left', () => {
    const m = gaMetaPrompt('A.', 'B.', false);
    expect(m.startsWith('Please follow the instruction step-by-step')).toBe(true);
    expect(m).not.toContain('Crossover Prompt:');
    expect(deMetaPrompt('A.', 'B.', 'C.', 'D.', false)).not.toContain('Different parts:');
  });
  it('schema is strict and takes Infinity generations', () => {
    expect(evopromptSchema.safeParse({ ...EVOPROMPT_DEFAULTS, pop: 3 }).success).toBe(false);
    expect(evopromptSchema.safeParse({ ...EVOPROMPT_DEFAULTS, generations: Infinity }).success).toBe(true);
  });
  it('the pool is the reference prompts.txt (20 lines); the BBH preset: 50 dev examples, CoT demos with the prompt after "A:"', () => {
    expect(EVOPROMPT_BBH_POOL).toHaveLength(20);
    expect(EVOPROMPT_BBH_POOL[0]).toBe("Let's think step by step.");
    const mk = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ id: `${p}-${i}`, input: `${p}${i}`, target: '1' }));
    const task = { id: 'bbh/navigate', splits: { train: mk(50, 'a'), dev: mk(25, 'b'), test: mk(175, 'c') } } as unknown as Task;
    const s = evopromptPaperSplits(task, 0);
    expect(s.dev).toHaveLength(50);
    expect(s.test).toHaveLength(200);
    expect(evopromptPaperPreset('bbh/navigate')).toMatchObject({ options: { cotDemos: true, init: 'pool' }, initial: { position: 'A_begin' } });
    expect(evopromptPaperPreset('gsm8k')).toBeUndefined();
    expect(cotDemosFor('Go.', [{ input: 'q', output: "Let's think step by step.\nWe start." }])).toEqual([{ input: 'q', output: 'Go.\nWe start.' }]);
  });
});

describe('evoprompt on a fake world', () => {
  for (const variant of ['ga', 'de'] as const) {
    it(`${variant}: population of N, children with their meta-prompts, monotone best`, async () => {
      const { ctx } = makeFakeContext({ reply, seed: 3 });
      const res = await evoprompt.optimize(ctx, { ...SMALL, variant });
      expect(res.stoppedBy).toBe('done');
      const cands = res.trajectory.candidates;
      expect(cands.filter((c) => c.step === 0)).toHaveLength(SMALL.populationSize);
      const children = cands.filter((c) => c.origin === `evoprompt-${variant}`);
      expect(children.length).toBeGreaterThan(0);
      for (const c of children) {
        expect(c.metaPrompt).toContain('<prompt> and </prompt>');
        for (const p of c.parents) expect(c.metaPrompt).toContain(cands.find((x) => x.id === p)!.prompt.instruction);
        expect(c.score).toBeDefined();
      }
      const bests = res.trajectory.steps.map((s) => s.bestScore);
      expect(bests).toHaveLength(SMALL.generations + 1);
      for (let i = 1; i < bests.length; i++) expect(bests[i]).toBeGreaterThanOrEqual(bests[i - 1]!);
      expect(res.bestScore).toBe(bests.at(-1));
    });
  }

  it('stops on the budget without going past it', async () => {
    const { ctx, targetCalls, optimizerCalls } = makeFakeContext({ reply, seed: 4, budget: { targetCalls: 130, optimizerCalls: 100 } });
    const res = await evoprompt.optimize(ctx, { ...SMALL, generations: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(targetCalls()).toBeLessThanOrEqual(130);
    expect(optimizerCalls()).toBeLessThanOrEqual(100);
  });
});

describe('evoprompt on the sim', () => {
  it('default (pool) init: scores the 20-prompt pool, keeps the top 5, one paraphrase each; improves on test over the empty prompt', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed: 2, devSize: 20 });
    kit.ctx.initial = evoprompt.initial!('like/navigate')!;
    const res = await evoprompt.optimize(kit.ctx, { ...EVOPROMPT_DEFAULTS, generations: 2 });
    const step0 = res.trajectory.candidates.filter((c) => c.step === 0);
    expect(step0.filter((c) => c.origin === 'initial')).toHaveLength(20);
    // one paraphrase per kept prompt; a paraphrase equal to a prompt already there is not a new candidate
    const paraphrases = step0.filter((c) => c.origin === 'evoprompt-paraphrase');
    expect(paraphrases.length).toBeGreaterThanOrEqual(1);
    expect(paraphrases.length).toBeLessThanOrEqual(5);
    for (const c of step0.filter((c) => c.origin === 'evoprompt-paraphrase')) expect(c.metaPrompt).toMatch(/^Generate a variation of the following instruction while keeping the semantic meaning\.\nInput:\S/);
    const test = kit.task.splits.test.slice(0, 150);
    const best = await kit.ctx.evaluator.evaluate(res.best, test);
    const empty = await kit.ctx.evaluator.evaluate({ instruction: '' }, test);
    expect(best.accuracy).toBeGreaterThan(empty.accuracy);
  });

  for (const variant of ['ga', 'de'] as const) {
    it(`${variant}: improves over the starting prompt, deterministic, within budget`, async () => {
      const run = async (budget?: { targetCalls: number; optimizerCalls: number }) => {
        const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed: 2, devSize: 30, ...(budget ? { budget } : {}) });
        const res = await evoprompt.optimize(kit.ctx, { ...SMALL, variant, seeds: [] });
        return { kit, res };
      };
      const a = await run();
      const b = await run();
      const fp = (r: typeof a.res) => JSON.stringify(r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score, c.parents]));
      expect(fp(a.res)).toBe(fp(b.res));
      const initial = a.res.trajectory.candidates[0]!;
      expect(initial.origin).toBe('initial');
      expect(a.res.bestScore).toBeGreaterThan(initial.score!);
      for (const c of a.res.trajectory.candidates.filter((c) => c.origin === `evoprompt-${variant}`)) {
        expect(c.metaPrompt).toContain('bracketed with <prompt> and </prompt>');
        // children evolve the parents, not the worked demonstration's prompts
        expect(c.prompt.instruction).not.toMatch(/movie review|terrible, bad, okay/i);
      }

      const limited = await run({ targetCalls: 100, optimizerCalls: 8 });
      expect(limited.res.stoppedBy).toBe('budget');
      expect(limited.kit.targetCalls()).toBeLessThanOrEqual(100);
      expect(limited.kit.optimizerCalls()).toBeLessThanOrEqual(8);
    });
  }
});
