import { describe, expect, it } from 'vitest';
import type { Example } from '../core/types.js';
import {
  buildGpoMetaPrompt,
  editLimitAt,
  feedbackMetaPrompt,
  formatFailures,
  gpo,
  GPO_DEFAULTS,
  gpoSchema,
  parseGpoReply,
  polishSentence,
  pyFloat,
  pyRound2,
  retrieveTrajectory,
  similarities,
  wordEditDistance,
  type GpoOptions,
} from './gpo.js';
import { makeTestContext } from './testkit.js';

const ex = (i: number): Example => ({ id: `e${i}`, input: `Question number ${i}?`, target: `${i}` });

describe('gpo schedule and distances', () => {
  it('cosine decay runs from the initial limit down to the final one, never rising', () => {
    const o = { initial: 50, final: 10, total: 12, decay: 'cosine' as const };
    const xs = Array.from({ length: 13 }, (_, t) => editLimitAt(t, o));
    expect(xs[0]).toBe(50);
    expect(xs[12]).toBe(10);
    expect(xs[6]).toBe(30);
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeLessThanOrEqual(xs[i - 1]!);
    expect(editLimitAt(40, o)).toBe(10); // capped after the horizon
    expect(editLimitAt(7, { ...o, decay: 'none' })).toBe(50);
  });
  it('word edit distance counts inserted, deleted and replaced words', () => {
    expect(wordEditDistance('a b c', 'a b c')).toBe(0);
    expect(wordEditDistance('', 'Think step by step.')).toBe(4);
    expect(wordEditDistance('a b c', 'a x c d')).toBe(2);
    expect(wordEditDistance('a b c', '')).toBe(3);
  });
  it('retrieves the current prompt plus the most relevant / most recent earlier ones', () => {
    const traj = [
      { instruction: 'check the units carefully', score: 0.3 },
      { instruction: 'be polite', score: 0.1 },
      { instruction: 'say hello', score: 0.2 },
      { instruction: 'check the units and answer carefully', score: 0.4 },
    ];
    expect(retrieveTrajectory(traj, 3, 'trajectory-relevance').map((e) => e.instruction)).toEqual([
      'check the units and answer carefully',
      'check the units carefully',
      'be polite', // ties (0 and 0) go to the older entry, as np.argsort(...)[::-1] over most-recent-first
    ]);
    expect(retrieveTrajectory(traj, 3, 'recency').map((e) => e.instruction)).toEqual([
      'check the units and answer carefully',
      'say hello',
      'be polite',
    ]);
    expect(retrieveTrajectory(traj, 3, 'none')).toEqual([]);
  });
  it('retrieves by embeddings when an embedder is given, else by bag-of-words', async () => {
    const embedder = { model: 'fake', embed: async (texts: readonly string[]) => texts.map((t) => (t.includes('units') ? [1, 0] : [0, 1])) };
    expect(await similarities('check the units', ['say hello', 'units first'], embedder)).toEqual([0, 1]);
    expect((await similarities('check the units', ['say hello', 'check the units'])).map((x) => Math.round(x * 100))).toEqual([0, 100]);
  });
  it('parses the first <START>…<END>', () => {
    expect(parseGpoReply('x <START> New prompt. <END> <START>other<END>')).toBe('New prompt.');
    expect(parseGpoReply('plain')).toBe('plain');
  });
});

describe('gpo meta-prompts', () => {
  it('generation prompt has trajectory with raw-fraction scores, current prompt, problems, exemplars, word limit, wrapper', () => {
    const m = buildGpoMetaPrompt({
      current: 'Solve it.',
      currentScore: 0.5,
      retrieved: [
        { instruction: 'Solve it.', score: 0.5 },
        { instruction: 'Work it out.', score: 0.125 },
      ],
      problems: 'the model made a slip in its reasoning steps',
      exemplars: [ex(1), ex(2)],
      position: 'Q_end',
      editWords: 37,
    });
    expect(m).toContain('The current prompt is:\nSolve it.\n');
    expect(m).toContain('Prompt: Work it out.\nScore: 0.125');
    expect(m).toContain('Prompt: Solve it.\nScore: 0.5');
    expect(m).toContain('Below are the problems with this prompt.\n\nthe model made a slip');
    expect(m).toContain('Input:\nQuestion number 2?\n<Prompt>\nOutput:\n2');
    expect(m).toContain('at the end of the question');
    expect(m).toContain('Carefully analyze the previous prompts and their scores');
    expect(m).toContain('You are allowed to change up to 37 words in the current prompt.\n\nWrap the new prompt with <START> and <END>.');
    const bare = buildGpoMetaPrompt({ current: '', currentScore: 1, retrieved: [], problems: null, exemplars: [], position: 'Q_begin', editWords: null });
    expect(bare).toContain('Prompt: \nScore: 1.0');
    expect(bare).not.toContain('problems');
    expect(bare).not.toContain('allowed to change');
  });
  it('feedback prompt shows the failures and asks for a wrapped reason', () => {
    const shown = [{ exampleId: 'a', input: 'What is 2+2?', output: 'It is 5. So the answer is 5.', gold: '4' }];
    const m = feedbackMetaPrompt('Add.', formatFailures(shown, ['5'], true));
    expect(m).toContain('The current prompt is:\nAdd.\n');
    expect(m).toContain('Question: What is 2+2?\nWrong prediction: It is 5. So the answer is 5.\nGround truth answer: 4');
    expect(m).toContain('Give a reason why the prompt could have gotten these examples wrong.');
    expect(formatFailures(shown, ['5'], false)).toContain('Wrong prediction: 5\n');
  });
  it('python number formatting', () => {
    expect([pyFloat(0.5), pyFloat(1), pyFloat(0), pyFloat(11 / 24), pyFloat(1e-5)]).toEqual(['0.5', '1.0', '0.0', '0.4583333333333333', '1e-05']);
    expect([pyRound2(0.125), pyRound2(0.375), pyRound2(11 / 24), pyRound2(0.999)]).toEqual([0.12, 0.38, 0.46, 1]);
    expect(polishSentence('  **let** us go ')).toBe('Let us go');
  });
  it('schema rejects unknown keys and accepts Infinity epochs', () => {
    expect(gpoSchema.safeParse({ ...GPO_DEFAULTS, lr: 3 }).success).toBe(false);
    expect(gpoSchema.safeParse({ ...GPO_DEFAULTS, epochs: Infinity }).success).toBe(true);
    expect(gpoSchema.safeParse({ ...GPO_DEFAULTS, direction: 'importance' }).success).toBe(false);
  });
});

describe('gpo on the sim', () => {
  const SIM: GpoOptions = { ...GPO_DEFAULTS, epochs: 1, candidatesPerStep: 4 };
  const kitFor = (seed: number, budget?: { targetCalls: number; optimizerCalls: number }) =>
    makeTestContext({ task: 'like/navigate', seed, trainSize: 32, devSize: 30, ...(budget ? { budget } : {}) });

  it('by default starts from "Let\'s think step by step." at Q_end and asks for no failure analysis', async () => {
    const kit = await kitFor(0);
    const res = await gpo.optimize(kit.ctx, { ...SIM, epochs: 1 });
    const start = res.trajectory.candidates[0]!;
    expect(start.prompt).toMatchObject({ instruction: "Let's think step by step.", position: 'Q_end' });
    expect(res.trajectory.reflections).toHaveLength(0);
    for (const c of res.trajectory.candidates.filter((x) => x.origin === 'gpo')) expect(c.metaPrompt).not.toContain('problems with this prompt');
  });

  it('with failures shown (ablation): improves over its starting prompt; meta-prompts carry the paper parts; reflections carry true causes', async () => {
    const kit = await kitFor(0);
    const res = await gpo.optimize(kit.ctx, { ...SIM, showFailures: true, showOutputs: true, editCheck: 'batch' });
    expect(res.stoppedBy).toBe('done');
    const start = res.trajectory.candidates[0]!;
    expect(start.origin).toBe('initial');
    expect(res.bestScore).toBeGreaterThan(start.score!);
    const best = await kit.ctx.evaluator.evaluate(res.best, kit.ctx.dev);
    expect(best.accuracy).toBeGreaterThan(start.score!);
    expect(res.trajectory.steps.map((s) => s.step)).toEqual([0, 1, 2, 3, 4]);

    const gen = res.trajectory.candidates.filter((c) => c.origin === 'gpo');
    expect(gen.length).toBeGreaterThan(0);
    const limits = new Map<number, number>();
    for (const c of gen) {
      const m = c.metaPrompt!;
      expect(m).toContain('The current prompt is:');
      expect(m).toMatch(/Prompt: .*\nScore: [\d.]+/);
      expect(m).toContain('Below are the problems with this prompt.');
      expect(m.match(/^Input:$/gm)).toHaveLength(GPO_DEFAULTS.numExemplars);
      limits.set(c.step, Number(/change up to (\d+) words/.exec(m)![1]));
    }
    const ls = [...limits.entries()].sort((a, b) => a[0] - b[0]).map((x) => x[1]);
    for (let i = 1; i < ls.length; i++) expect(ls[i]!).toBeLessThan(ls[i - 1]!);

    const refl = res.trajectory.reflections;
    expect(refl.length).toBeGreaterThan(0);
    for (const r of refl) {
      expect(r.shown.length).toBeGreaterThan(0);
      expect(r.shown.every((s) => typeof s.trueCause === 'string' && s.trueCause.length > 0)).toBe(true);
      expect(r.text.length).toBeGreaterThan(0);
      for (const s of r.shown) expect(r.metaPrompt).toContain(s.input.trim());
      for (const id of r.editIds) expect(r.fixed?.[id]).toBeDefined();
    }
  });

  it("direction 'none' and showFailures false leave those parts out", async () => {
    const kit = await kitFor(0);
    const res = await gpo.optimize(kit.ctx, { ...SIM, direction: 'none', showFailures: false, editLimit: false });
    const gen = res.trajectory.candidates.filter((c) => c.origin === 'gpo');
    expect(gen.length).toBeGreaterThan(0);
    for (const c of gen) {
      // no update direction: the reference shows only the current prompt with its score
      expect(c.metaPrompt).not.toContain('Below are the previous prompts');
      expect(c.metaPrompt).toContain('Below is the current prompt with its score.');
      expect(c.metaPrompt).not.toContain('problems with this prompt');
      expect(c.metaPrompt).not.toContain('allowed to change');
    }
    expect(res.trajectory.reflections).toHaveLength(0);
  });

  it("limitCheck 'filter' keeps only candidates within the word limit", async () => {
    const kit = await kitFor(1);
    const res = await gpo.optimize(kit.ctx, { ...SIM, initialEditWords: 6, finalEditWords: 3, limitCheck: 'filter' });
    const byId = new Map(res.trajectory.candidates.map((c) => [c.id, c]));
    const gen = res.trajectory.candidates.filter((c) => c.origin === 'gpo');
    for (const c of gen) {
      const limit = Number(/change up to (\d+) words/.exec(c.metaPrompt!)![1]);
      expect(wordEditDistance(byId.get(c.parents[0]!)!.prompt.instruction, c.prompt.instruction)).toBeLessThanOrEqual(limit);
    }
    const dropped = kit.events.filter((e) => e.type === 'gpo-edit-distance').flatMap((e) => e.candidates as { dropped: boolean }[]);
    expect(dropped.some((d) => d.dropped)).toBe(true);
  });

  it('respects a binding budget, counted at the provider', async () => {
    const kit = await kitFor(2, { targetCalls: 250, optimizerCalls: 30 });
    const res = await gpo.optimize(kit.ctx, { ...SIM, epochs: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(kit.targetCalls()).toBeLessThanOrEqual(250);
    expect(kit.optimizerCalls()).toBeLessThanOrEqual(30);
    expect(res.trajectory.candidates.every((c) => c.score !== undefined)).toBe(true);
  });

  it('gives the same trajectory twice for a fixed seed', async () => {
    const run = async () => {
      const kit = await kitFor(3);
      const r = await gpo.optimize(kit.ctx, SIM);
      return JSON.stringify([r.trajectory.candidates.map((c) => [c.id, c.prompt, c.score, c.parents]), r.trajectory.reflections, r.trajectory.steps]);
    };
    expect(await run()).toBe(await run());
  });
});

describe('gpo paper preset', () => {
  const task = (n: number, id: string, nTrain = 50) => {
    const ex = Array.from({ length: n }, (_, i) => ({ id: `e${i}`, input: `q${i}`, target: 'Yes' }));
    return { id, splits: { train: ex.slice(0, nTrain), dev: ex.slice(nTrain, nTrain + 25), test: ex.slice(nTrain + 25) } } as unknown as import('../core/types.js').Task;
  };
  it('has the reference data sizes: BBH 48/48/144 of 250, 35/35/107 of 187; MMLU 20/20/60; GSM8K 100/100/300', () => {
    const sizes = (s: { train: unknown[]; dev: unknown[]; test: unknown[] }) => [s.train.length, s.dev.length, s.test.length];
    const bbh = gpo.paperPreset!('bbh/navigate')!;
    expect(sizes(bbh.splits!(task(250, 'bbh/navigate'), 0))).toEqual([48, 48, 144]);
    expect(sizes(bbh.splits!(task(187, 'bbh/causal_judgement'), 0))).toEqual([35, 35, 107]);
    expect(sizes(gpo.paperPreset!('mmlu/anatomy')!.splits!(task(135, 'mmlu/anatomy'), 0))).toEqual([20, 20, 60]);
    expect(sizes(gpo.paperPreset!('gsm8k')!.splits!(task(1500, 'gsm8k', 800), 0))).toEqual([100, 100, 300]);
    const s = bbh.splits!(task(250, 'bbh/navigate'), 1);
    expect(new Set([...s.train, ...s.dev, ...s.test].map((e) => e.id)).size).toBe(240);
    expect(gpo.paperPreset!('like/gsm')).toBeUndefined();
  });
});
