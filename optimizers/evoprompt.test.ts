import { describe, expect, it } from 'vitest';
import { hashUnit } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import {
  EVOPROMPT_DEFAULTS,
  deMetaPrompt,
  evoprompt,
  evopromptSchema,
  gaMetaPrompt,
  parseEvolved,
  rouletteWheel,
  type EvopromptOptions,
} from './evoprompt.js';
import { makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';

const SMALL: EvopromptOptions = { ...EVOPROMPT_DEFAULTS, populationSize: 4, generations: 2 };

/** Fake optimizer: a child that adds one "good" word to the last prompt it was shown, in <prompt></prompt>; plain paraphrases. */
function reply(prompt: string, sample: number): string {
  const words = ['carefully', 'step', 'check', 'verify'];
  const w = words[Math.floor(hashUnit([prompt, sample]) * words.length)]!;
  if (prompt.startsWith('Generate a variation')) return `${/Input: (.*)\n/.exec(prompt)?.[1] ?? ''} Think ${w}.`;
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

describe('evoprompt meta-prompts', () => {
  it('GA names both parents and asks for the <prompt> wrapper', () => {
    const m = gaMetaPrompt('Parent one text.', 'Parent two text.');
    expect(m).toContain('Crossover the following prompts and generate a new prompt:');
    expect(m).toContain('Prompt 1: Parent one text.');
    expect(m).toContain('Prompt 2: Parent two text.');
    expect(m).toContain('Mutate the prompt generated in Step 1 and generate a final prompt bracketed with <prompt> and </prompt>.');
    expect(m.trimEnd().endsWith('1.')).toBe(true);
    expect(gaMetaPrompt('A.', 'B.', false)).not.toContain('Crossover Prompt:');
  });
  it('DE names both donors, the best and the base, and asks for the <prompt> wrapper', () => {
    const m = deMetaPrompt('Donor one.', 'Donor two.', 'Best so far.', 'Base prompt.');
    expect(m).toContain('Identify the different parts between the Prompt 1 and Prompt 2:');
    expect(m).toContain('Prompt 1: Donor one.');
    expect(m).toContain('Prompt 2: Donor two.');
    expect(m).toContain('Randomly mutate the different parts');
    expect(m).toContain('Prompt 3: Best so far.');
    expect(m).toContain('Basic Prompt: Base prompt.');
    expect(m).toContain('generate a final prompt bracketed with <prompt> and </prompt>');
  });
  it('parses the last <prompt> pair', () => {
    expect(parseEvolved('x <prompt>a</prompt> y <prompt> b </prompt>')).toBe('b');
    expect(parseEvolved('no tags')).toBeNull();
    expect(parseEvolved('<prompt> </prompt>')).toBeNull();
  });
  it('schema is strict and takes Infinity generations', () => {
    expect(evopromptSchema.safeParse({ ...EVOPROMPT_DEFAULTS, pop: 3 }).success).toBe(false);
    expect(evopromptSchema.safeParse({ ...EVOPROMPT_DEFAULTS, generations: Infinity }).success).toBe(true);
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
        expect(c.prompt.instruction).not.toMatch(/list of items|tally|running count/i);
      }

      const limited = await run({ targetCalls: 100, optimizerCalls: 8 });
      expect(limited.res.stoppedBy).toBe('budget');
      expect(limited.kit.targetCalls()).toBeLessThanOrEqual(100);
      expect(limited.kit.optimizerCalls()).toBeLessThanOrEqual(8);
    });
  }
});
