import { describe, expect, it } from 'vitest';
import { hashUnit } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import { makeFakeContext } from './fake-context.test-util.js';
import {
  PROTEGI_DEFAULTS,
  editMetaPrompt,
  formatErrors,
  gradientMetaPrompt,
  paraphraseMetaPrompt,
  protegi,
  protegiSchema,
  rankArms,
  scaleStepTo,
  selectArms,
  successiveHalving,
  successiveRejects,
  type ProtegiOptions,
} from './protegi.js';
import { makeTestContext } from './testkit.js';
import { parseCauses, sameCause } from '../sim/causes.js';

/** Small schedule so tests stay fast. */
const SMALL: ProtegiOptions = {
  ...PROTEGI_DEFAULTS,
  steps: 2,
  beamWidth: 2,
  minibatchSize: 12,
  gradients: 2,
  evalBudget: 96,
  samplesPerEval: 6,
  promptsPerRound: 4,
};

/** Fake optimizer: reasons, edits that add a "good" word, and paraphrases, each in the wrapper its meta-prompt asks for. */
function reply(prompt: string, sample: number): string {
  const words = ['carefully', 'step', 'check', 'verify'];
  const w = words[Math.floor(hashUnit([prompt, sample]) * words.length)]!;
  if (prompt.includes('give ') && prompt.includes('reasons why')) return `<START>the prompt does not ask to ${w}<END>`;
  if (prompt.includes('improved prompts')) {
    const cur = /My current prompt is:\n"(.*)"/.exec(prompt)?.[1] ?? '';
    return `<START>${cur} Work ${w}.<END>`;
  }
  if (prompt.startsWith('Generate a variation')) {
    const input = /Input: (.*)\n/.exec(prompt)?.[1] ?? '';
    return `${input} (v${sample % 3})`;
  }
  return '';
}

describe('protegi meta-prompts', () => {
  const shown = [
    { exampleId: 'a', input: 'What is 2 plus 2?', output: 'It is 5. So the answer is 5.', gold: '4' },
    { exampleId: 'b', input: 'What is 3 plus 3?', output: 'So the answer is 7.', gold: '6' },
  ];
  it('gradient prompt has the current prompt, the error examples and the <START>/<END> request', () => {
    const errors = formatErrors(shown, ['5', '7'], true);
    const m = gradientMetaPrompt('Add the numbers.', errors, 3);
    expect(m).toContain("I'm trying to write a zero-shot classifier prompt.");
    expect(m).toContain('My current prompt is:\n"Add the numbers."');
    expect(m).toContain('But this prompt gets the following examples wrong:');
    expect(m).toContain('Text: "What is 2 plus 2?"');
    expect(m).toContain('Label: 6');
    expect(m).toContain('Prediction: 7');
    expect(m).toContain('Model output: "It is 5. So the answer is 5."');
    expect(m).toContain('give 3 reasons why the prompt could have gotten these examples wrong.');
    expect(m).toContain('Wrap each reason with <START> and <END>');
  });
  it('showOutputs=false leaves the model output out', () => {
    expect(formatErrors(shown, ['5', '7'], false)).not.toContain('Model output');
  });
  it('edit prompt applies the gradient and asks for wrapped prompts', () => {
    const m = editMetaPrompt('Add the numbers.', formatErrors(shown, ['5', null], true), 'it never says to carry.', 2);
    expect(m).toContain('"Add the numbers."');
    expect(m).toContain('Prediction: (no answer found)');
    expect(m).toContain('the problem with this prompt is that it never says to carry.');
    expect(m).toContain('I wrote 2 different improved prompts.');
    expect(m).toContain('Each prompt is wrapped with <START> and <END>.');
    expect(paraphraseMetaPrompt('Add.')).toContain('Generate a variation of the following instruction while keeping the semantic meaning.');
  });
});

describe('protegi bandits', () => {
  // arm i answers an example right with probability P[i]
  const P = [0.2, 0.3, 0.9, 0.25, 0.35, 0.15, 0.3, 0.2];
  const data = Array.from({ length: 400 }, (_, i) => i);
  const pull = async (arms: readonly number[], sample: readonly number[]) =>
    arms.map((a) => sample.filter((x) => hashUnit([a, x]) < P[a]!).length / sample.length);
  const opts = { evalBudget: 640, samplesPerEval: 20, promptsPerRound: 4, ucbC: 1 };
  for (const kind of ['ucb', 'ucb-e', 'successive-rejects', 'successive-halving', 'none'] as const) {
    it(`${kind} puts the clearly best arm first`, async () => {
      const { order, stats } = await selectArms(kind, P.length, 2, data, pull, new Rng(3), opts);
      expect(order).toHaveLength(2);
      expect(order[0]).toBe(2);
      expect(stats.means.every((m) => Number.isFinite(m))).toBe(true);
    });
  }
  it('ucb spends its pulls mostly on the best arm after exploring', async () => {
    const { stats } = await selectArms('ucb', P.length, 1, data, pull, new Rng(5), { ...opts, evalBudget: 2000 });
    const max = Math.max(...stats.counts);
    // counts grow by samplesPerEval per pull (reference UCBBandits.update)
    expect(stats.counts[2]).toBeGreaterThanOrEqual(max - opts.samplesPerEval);
    expect(stats.counts.every((c) => c > 0)).toBe(true);
  });
});

describe('protegi reference behaviour', () => {
  it('successive rejects drops the worst arm of each phase on that phase\'s sample only', async () => {
    const seen: number[][] = [];
    const pull = async (arms: readonly number[], sample: readonly number[]) => {
      seen.push([...arms]);
      // arm 0 is bad on even examples only: cumulative means would hide it, the phase sample decides
      return arms.map((a) => (a === 0 ? (sample[0]! % 2 === 0 ? 0 : 1) : 0.5));
    };
    const st = await successiveRejects(4, 2, Array.from({ length: 100 }, (_, i) => i), pull, new Rng(1), { budget: 64 });
    expect(st.survivors).toHaveLength(2);
    expect(seen.length).toBe(2);
    expect(st.ranks!.filter((r) => r === Math.max(...st.ranks!))).toHaveLength(2);
  });
  it('successive halving keeps the arms at or above the mean', async () => {
    const pull = async (arms: readonly number[]) => arms.map((a) => a / 10);
    const st = await successiveHalving(8, Array.from({ length: 100 }, (_, i) => i), pull, new Rng(1), { budget: 240 });
    expect(rankArms(st)[0]).toBe(7);
    expect(st.ranks![0]).toBe(0);
  });
  it('scales a step that does not fit the budget so that it finishes', () => {
    const s = scaleStepTo(PROTEGI_DEFAULTS, 1500);
    expect(s.minibatchSize + s.evalBudget).toBeLessThanOrEqual(1500);
    expect(s.minibatchSize).toBeGreaterThanOrEqual(PROTEGI_DEFAULTS.errorsPerGradient);
    expect(Math.floor(s.evalBudget / (s.promptsPerRound * s.samplesPerEval))).toBeGreaterThanOrEqual(1);
    expect(scaleStepTo(PROTEGI_DEFAULTS, 4000)).toBe(PROTEGI_DEFAULTS);
  });
  it('shows the starting prompt in the first gradient meta-prompt, and the output-format section stays fixed', async () => {
    const { ctx } = makeFakeContext({ reply, seed: 1 });
    ctx.initial = { instruction: 'Determine whether the instructions return to the start.' };
    const res = await protegi.optimize(ctx, SMALL);
    expect(res.trajectory.reflections[0]!.metaPrompt).toContain('My current prompt is:\n"Determine whether the instructions return to the start."');
    for (const c of res.trajectory.candidates) expect(c.prompt.instruction.endsWith(ctx.task.formatInstruction)).toBe(true);
    for (const r of res.trajectory.reflections) expect(r.metaPrompt).not.toContain(ctx.task.formatInstruction);
  });
  it('asks for the paraphrases in one call with n = mcSamples', async () => {
    const { ctx } = makeFakeContext({ reply, seed: 1 });
    const ns: number[] = [];
    const inner = ctx.optimizer;
    ctx.optimizer = { provider: inner.provider, model: inner.model, complete: (req, sig) => (req.messages[0]!.content.startsWith('Generate a variation') && ns.push(req.n ?? 1), inner.complete(req, sig)) };
    await protegi.optimize(ctx, { ...SMALL, steps: 1 });
    expect(ns.length).toBeGreaterThan(0);
    expect(ns.every((n) => n === PROTEGI_DEFAULTS.mcSamples)).toBe(true);
  });
  it('at budget 1500 on a 1-step-costs-more task still returns a selected prompt', async () => {
    const { ctx } = makeFakeContext({ reply, seed: 3, budget: { targetCalls: 1500 } });
    const res = await protegi.optimize(ctx, { ...PROTEGI_DEFAULTS, steps: Infinity });
    expect(res.trajectory.steps.length).toBeGreaterThan(0);
    expect(res.best.instruction).not.toBe(ctx.task.formatInstruction);
  });
});

describe('protegi options', () => {
  it('rejects unknown keys and accepts Infinity steps', () => {
    expect(protegiSchema.safeParse({ ...PROTEGI_DEFAULTS, beam: 3 }).success).toBe(false);
    expect(protegiSchema.safeParse({ ...PROTEGI_DEFAULTS, steps: Infinity }).success).toBe(true);
    expect(protegiSchema.safeParse({ ...PROTEGI_DEFAULTS, bandit: 'thompson' }).success).toBe(false);
  });
});

describe('protegi on a fake world', () => {
  it('records gradients as reflections with shown failures, edits and fixed/broke lists', async () => {
    const { ctx } = makeFakeContext({ reply, seed: 1 });
    const res = await protegi.optimize(ctx, { ...SMALL, editCheck: 'minibatch' });
    expect(res.stoppedBy).toBe('done');
    const refl = res.trajectory.reflections;
    expect(refl.length).toBeGreaterThan(0);
    const ids = new Set(res.trajectory.candidates.map((c) => c.id));
    for (const r of refl) {
      expect(r.shown.length).toBeGreaterThan(0);
      expect(r.shown.length).toBeLessThanOrEqual(SMALL.errorsPerGradient);
      for (const s of r.shown) {
        expect(r.metaPrompt).toContain(s.input);
        expect(s.output.length).toBeGreaterThan(0);
      }
      expect(r.text).toMatch(/^the prompt does not ask to/);
      expect(r.editIds.length).toBeGreaterThan(0);
      for (const e of r.editIds) {
        expect(ids.has(e)).toBe(true);
        expect(r.fixed?.[e]).toBeDefined();
        expect(r.broke?.[e]).toBeDefined();
        // fixed ⊆ shown
        for (const f of r.fixed![e]!) expect(r.shown.map((s) => s.exampleId)).toContain(f);
      }
    }
    // edit candidates carry their edit meta-prompt, which names the gradient
    const edits = res.trajectory.candidates.filter((c) => c.origin === 'protegi-edit');
    expect(edits.length).toBeGreaterThan(0);
    for (const e of edits) expect(e.metaPrompt).toContain('Based on these examples the problem with this prompt is that');
    expect(res.trajectory.candidates.some((c) => c.origin === 'protegi-paraphrase')).toBe(true);
    expect(res.trajectory.steps.map((s) => s.step)).toEqual([1, 2]);
  });

  it('toggles: no paraphrases, no edit check', async () => {
    const { ctx } = makeFakeContext({ reply, seed: 1 });
    const res = await protegi.optimize(ctx, { ...SMALL, paraphrase: false, editCheck: 'off', bandit: 'successive-rejects' });
    expect(res.trajectory.candidates.some((c) => c.origin === 'protegi-paraphrase')).toBe(false);
    expect(res.trajectory.reflections.every((r) => r.fixed === undefined && r.broke === undefined)).toBe(true);
  });

  it('stops on the budget without going past it', async () => {
    const { ctx, targetCalls, optimizerCalls } = makeFakeContext({ reply, seed: 2, budget: { targetCalls: 150, optimizerCalls: 40 } });
    const res = await protegi.optimize(ctx, { ...SMALL, steps: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(targetCalls()).toBeLessThanOrEqual(150);
    expect(optimizerCalls()).toBeLessThanOrEqual(40);
  });

  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const { ctx } = makeFakeContext({ reply, seed: 7 });
      const r = await protegi.optimize(ctx, SMALL);
      return JSON.stringify({ c: r.trajectory.candidates.map((c) => [c.id, c.prompt, c.score, c.parents]), r: r.trajectory.reflections, b: r.best });
    };
    expect(await run()).toBe(await run());
  });
});

describe('protegi on the sim', () => {
  const SIM: ProtegiOptions = { ...SMALL, steps: 3, minibatchSize: 24, evalBudget: 160, samplesPerEval: 10 };

  it('improves over its starting prompt and records true causes', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed: 0, trainSize: 60, devSize: 40 });
    const res = await protegi.optimize(kit.ctx, SIM);
    const initial = await kit.ctx.evaluator.evaluate({ instruction: '' }, kit.ctx.dev);
    const best = await kit.ctx.evaluator.evaluate(res.best, kit.ctx.dev);
    expect(best.accuracy).toBeGreaterThan(initial.accuracy);
    const shown = res.trajectory.reflections.flatMap((r) => r.shown);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((s) => typeof s.trueCause === 'string' && s.trueCause.length > 0)).toBe(true);
    for (const r of res.trajectory.reflections) {
      expect(r.metaPrompt).toContain('My current prompt is:');
      expect(r.metaPrompt).toContain('Wrap each reason with <START> and <END>');
    }
  });

  it('showing the target outputs lets the sim optimizer name the true causes more often', async () => {
    const hits = async (showOutputs: boolean) => {
      let n = 0;
      for (const seed of [0, 1]) {
        const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed, trainSize: 60, devSize: 20 });
        const opts = { ...SIM, showOutputs, steps: 2, gradients: 4, evalBudget: 80, editCheck: 'off' as const, paraphrase: false };
        const res = await protegi.optimize(kit.ctx, opts);
        n += res.trajectory.reflections.filter((r) =>
          parseCauses(r.text).some((c) => r.shown.some((s) => s.trueCause !== undefined && sameCause(c, s.trueCause))),
        ).length;
      }
      return n;
    };
    expect(await hits(true)).toBeGreaterThan(await hits(false));
  });

  it('respects a binding budget, counted at the provider', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', seed: 1, trainSize: 60, devSize: 20, budget: { targetCalls: 200, optimizerCalls: 30 } });
    const res = await protegi.optimize(kit.ctx, { ...SIM, steps: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(kit.targetCalls()).toBeLessThanOrEqual(200);
    expect(kit.optimizerCalls()).toBeLessThanOrEqual(30);
  });

  it('gives the same trajectory twice for a fixed seed', async () => {
    const run = async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 4, trainSize: 40, devSize: 20 });
      const r = await protegi.optimize(kit.ctx, { ...SIM, steps: 2 });
      return JSON.stringify([r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score]), r.trajectory.reflections]);
    };
    expect(await run()).toBe(await run());
  });
});
