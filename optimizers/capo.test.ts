import { describe, expect, it } from 'vitest';
import { hashUnit } from '../core/hash.js';
import { makeFakeContext } from './fake-context.test-util.js';
import {
  capo,
  CAPO_CREATION_TEMPLATE,
  CAPO_CROSSOVER_TEMPLATE,
  CAPO_DEFAULTS,
  CAPO_MUTATION_TEMPLATE,
  capoSchema,
  devBlocks,
  extractFromTag,
  pairedTTestGreater,
  parseCreationReply,
  raceSurvivors,
  type CapoOptions,
} from './capo.js';
import { makeTestContext } from './testkit.js';

/* Fixtures: automl/promptolution @ 79994052, promptolution/utils/templates.py, copied verbatim. */
// templates.py:163-169
const CROSSOVER = `You receive two prompts for the following task: <task_desc>
Please merge the two prompts into a single coherent prompt. Maintain the key linguistic features from both original prompts:
Prompt 1: <mother>
Prompt 2: <father>

Return the new prompt in the following format:
<prompt>new prompt</prompt>`;
// templates.py:171-176
const MUTATION = `You receive a prompt for the following task: <task_desc>
Please rephrase the prompt, preserving its core meaning while substantially varying the linguistic style.
Prompt: <instruction>

Return the new prompt in the following format:
<prompt>new prompt</prompt>`;
// templates.py:141-147
const CREATION = `Please create diverse system prompts for the following task, not using any placeholders, working universally, for any datapoint-specific instructions following each system prompt.

Task: <task_desc>

Explicitly state the expected format above by repeating its exact character sequence verbatim in every prompt if applicable.

Create overall <n_prompts> prompts within json format, meaning strings inside quotations marks ("") as an array. Do not response with anything else. Start the array with [ and end with ]. Separate each prompt by a comma, and do not use quotation marks inside the prompts.`;

describe('capo meta-prompts', () => {
  it('are the reference templates verbatim', () => {
    expect(CAPO_CROSSOVER_TEMPLATE).toBe(CROSSOVER);
    expect(CAPO_MUTATION_TEMPLATE).toBe(MUTATION);
    expect(CAPO_CREATION_TEMPLATE).toBe(CREATION);
  });
  it('reads replies like extract_from_tag and the creation parser', () => {
    expect(extractFromTag('Sure! <prompt>Do A.</prompt> done', '<prompt>', '</prompt>')).toBe('Do A.');
    expect(extractFromTag('<prompt>x</prompt><prompt>Do B.</prompt>', '<prompt>', '</prompt>')).toBe('Do B.');
    expect(extractFromTag('no tags here ', '<prompt>', '</prompt>')).toBe('no tags here');
    expect(parseCreationReply('["a", "b"]', 2)).toEqual(['a', 'b']);
    expect(parseCreationReply('["a"]', 2)).toBeNull();
    expect(parseCreationReply('a, b', 2)).toBeNull();
  });
});

describe('capo racing (hand-computed)', () => {
  it('paired t-test, one-sided: d = [1,1,0,0] gives t = √3, p ≈ 0.091 (df 3)', () => {
    expect(pairedTTestGreater([1, 1, 1, 0], [0, 0, 1, 0], 0.2)).toBe(true);
    expect(pairedTTestGreater([1, 1, 1, 0], [0, 0, 1, 0], 0.05)).toBe(false);
    expect(pairedTTestGreater([0, 0, 1, 0], [1, 1, 1, 0], 0.2)).toBe(false); // one-sided
    expect(pairedTTestGreater([1, 1], [0, 0], 0.05)).toBe(true); // zero variance, positive mean: t = +∞
    expect(pairedTTestGreater([1, 0], [1, 0], 0.5)).toBe(false); // all differences 0: no decision
  });
  // A = all right, B = all wrong, C = right on 5 of 6. A vs C: d = [0,0,0,0,0,1], t = 1, df 5, p ≈ 0.182.
  const A = [1, 1, 1, 1, 1, 1];
  const B = [0, 0, 0, 0, 0, 0];
  const C = [1, 1, 1, 1, 1, 0];
  it('eliminates a candidate that k others beat significantly', () => {
    // n_better: A 0, B 2 (A, C), C 1 (A at α = 0.2)
    expect(raceSurvivors([A, B, C], 1, 0.2)).toEqual([0]);
    expect(raceSurvivors([A, B, C], 2, 0.2)).toEqual([0, 2]);
    // at α = 0.1, A no longer beats C
    expect(raceSurvivors([A, B, C], 1, 0.1)).toEqual([0, 2]);
  });
  it('the length penalty decides between equally accurate prompts', () => {
    const s = [1, 0, 1, 0, 1, 0];
    const long = s.map((x) => x - 0.05 * 1.0);
    const short = s.map((x) => x - 0.05 * 0.2);
    expect(raceSurvivors([long, short], 1, 0.2)).toEqual([1]);
  });
  it('cuts dev into sequential blocks (one block when dev is smaller than a block)', () => {
    const dev = Array.from({ length: 65 }, (_, i) => i);
    expect(devBlocks(dev, 30).map((b) => [b[0], b.length])).toEqual([
      [0, 30],
      [30, 30],
    ]);
    expect(devBlocks(dev.slice(0, 20), 30)).toHaveLength(1);
  });
  it('rejects unknown options', () => {
    expect(capoSchema.safeParse({ ...CAPO_DEFAULTS, gamma: 0.1 }).success).toBe(false);
    expect(capoSchema.safeParse({ ...CAPO_DEFAULTS, steps: 'inf' }).success).toBe(true);
  });
});

/** Fake meta-LLM: a JSON list of prompts for the creation request, else a <prompt> reply adding a good word. */
function reply(text: string, sample: number): string {
  const words = ['carefully', 'step', 'check', 'verify'];
  const w = words[Math.floor(hashUnit([text, sample]) * words.length)]!;
  const n = /Create overall (\d+) prompts/.exec(text)?.[1];
  if (n) return JSON.stringify(Array.from({ length: Number(n) }, (_, i) => `Solve it ${words[i % 4]} (${i}).`));
  const cur = /Prompt(?: 1)?: (.*)/.exec(text)?.[1] ?? '';
  return `<prompt>${cur} Work ${w}.</prompt>`;
}

const SMALL: CapoOptions = { ...CAPO_DEFAULTS, steps: 3, populationSize: 4, crossoversPerIter: 2, blockSize: 5, upperShots: 2 };

describe('capo on a fake world', () => {
  it('keeps the population size, joins instructions and demos, and races', async () => {
    const { ctx, events } = makeFakeContext({ reply, seed: 1 });
    const res = await capo.optimize(ctx, SMALL);
    expect(res.stoppedBy).toBe('done');
    expect(res.trajectory.steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    const kids = res.trajectory.candidates.filter((c) => c.origin === 'capo-offspring');
    expect(kids.length).toBeGreaterThan(0);
    for (const k of kids) {
      expect(k.parents).toHaveLength(2);
      expect((k.prompt.demos ?? []).length).toBeLessThanOrEqual(SMALL.upperShots);
      expect(k.metaPrompt).toContain('Please merge the two prompts into a single coherent prompt.');
    }
    expect(events.some((e) => e.type === 'capo-race')).toBe(true);
  });
  it('stops on the budget without going past it', async () => {
    const f = makeFakeContext({ reply, seed: 2, budget: { targetCalls: 80, optimizerCalls: 6 } });
    const res = await capo.optimize(f.ctx, { ...SMALL, steps: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(f.targetCalls()).toBeLessThanOrEqual(80);
    expect(f.optimizerCalls()).toBeLessThanOrEqual(6);
  });
  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const { ctx } = makeFakeContext({ reply, seed: 7 });
      const r = await capo.optimize(ctx, SMALL);
      return JSON.stringify([r.trajectory.candidates.map((c) => [c.id, c.prompt, c.score, c.parents]), r.best]);
    };
    expect(await run()).toBe(await run());
  });
});

describe('capo on the sim', () => {
  const SIM: CapoOptions = { ...CAPO_DEFAULTS, steps: 3, populationSize: 6, blockSize: 15, maxBlocksEval: 3 };
  it('improves over its starting prompt on test; budget counted at the provider', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed: 0, trainSize: 40, devSize: 45 });
    const res = await capo.optimize(kit.ctx, SIM);
    const test = kit.task.splits.test.slice(0, 60);
    const initial = await kit.ctx.evaluator.evaluate({ instruction: '' }, test);
    const best = await kit.ctx.evaluator.evaluate(res.best, test);
    expect(best.accuracy).toBeGreaterThan(initial.accuracy + 0.1);

    const lim = await makeTestContext({ task: 'like/navigate', seed: 1, trainSize: 40, devSize: 45, budget: { targetCalls: 150, optimizerCalls: 10 } });
    const r2 = await capo.optimize(lim.ctx, { ...SIM, steps: Infinity });
    expect(r2.stoppedBy).toBe('budget');
    expect(lim.targetCalls()).toBeLessThanOrEqual(150);
    expect(lim.optimizerCalls()).toBeLessThanOrEqual(10);
  });
  it('gives the same trajectory twice for a fixed seed', async () => {
    const run = async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 4, trainSize: 30, devSize: 30 });
      const r = await capo.optimize(kit.ctx, { ...SIM, steps: 1 });
      return JSON.stringify([r.trajectory.candidates.map((c) => [c.prompt, c.score]), r.best]);
    };
    expect(await run()).toBe(await run());
  });
});
