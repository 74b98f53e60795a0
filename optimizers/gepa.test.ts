import { describe, expect, it } from 'vitest';
import { hashUnit } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import { makeFakeContext } from './fake-context.test-util.js';
import {
  attemptMerge,
  autoBudget,
  desirableTriplet,
  EpochShuffledSampler,
  extractInstruction,
  feedbackText,
  findDominatorPrograms,
  formatReflectiveDataset,
  gepa,
  GEPA_DEFAULTS,
  GEPA_REFLECTION_TEMPLATE,
  gepaReflectionPrompt,
  gepaSchema,
  mergeSubsample,
  metricCallBudget,
  paretoFronts,
  paretoSamplingList,
  removeDominatedPrograms,
  type GepaOptions,
  type MergeState,
} from './gepa.js';
import { makeTestContext } from './testkit.js';

/**
 * Fixture: gepa-ai/gepa @ b265bf9c, src/gepa/strategies/instruction_proposal.py:13-29
 * (InstructionProposalSignature.default_prompt_template), copied verbatim.
 */
const REFERENCE_TEMPLATE = [
  'I provided an assistant with the following instructions to perform a task for me:',
  '```',
  '<curr_param>',
  '```',
  '',
  "The following are examples of different task inputs provided to the assistant along with the assistant's response for each of them, and some feedback on how the assistant's response could be better:",
  '```',
  '<side_info>',
  '```',
  '',
  'Your task is to write a new instruction for the assistant.',
  '',
  'Read the inputs carefully and identify the input format and infer detailed task description about the task I wish to solve with the assistant.',
  '',
  'Read all the assistant responses and the corresponding feedback. Identify all niche and domain specific factual information about the task and include it in the instruction, as a lot of it may not be available to the assistant in the future. The assistant may have utilized a generalizable strategy to solve the task, if so, include that in the instruction as well.',
  '',
  'Provide the new instructions within ``` blocks.',
].join('\n');

describe('gepa reflection meta-prompt', () => {
  it('is the reference template verbatim', () => {
    expect(GEPA_REFLECTION_TEMPLATE).toBe(REFERENCE_TEMPLATE);
  });
  it('renders records as the reference markdown (instruction_proposal.py:87-94)', () => {
    const recs = [
      { Inputs: 'What is 2+2? ', 'Generated Outputs': 'It is 5.', Feedback: feedbackText(false, '4') },
      { Inputs: 'What is 1+1?', 'Generated Outputs': 'It is 2.', Feedback: feedbackText(true, '2') },
    ];
    expect(formatReflectiveDataset(recs)).toBe(
      '# Example 1\n## Inputs\nWhat is 2+2?\n\n## Generated Outputs\nIt is 5.\n\n## Feedback\n' +
        "The generated response is incorrect. The correct answer is '4'. Ensure that the correct answer is included in the response exactly as it is.\n\n" +
        '\n\n# Example 2\n## Inputs\nWhat is 1+1?\n\n## Generated Outputs\nIt is 2.\n\n## Feedback\n' +
        "The generated response is correct. The response include the correct answer '2'\n\n",
    );
    const m = gepaReflectionPrompt('Add $1 numbers.', recs);
    expect(m.startsWith('I provided an assistant with the following instructions to perform a task for me:\n```\nAdd $1 numbers.\n```')).toBe(true);
    expect(m).toContain('```\n# Example 1\n## Inputs\nWhat is 2+2?');
  });
  it('extracts the instruction like output_extractor (instruction_proposal.py:125-151)', () => {
    expect(extractInstruction('Here:\n```\nDo it well.\n```\nDone')).toBe('Do it well.');
    expect(extractInstruction('```text\nDo it.\n```')).toBe('Do it.');
    expect(extractInstruction('```\nUnclosed block')).toBe('Unclosed block');
    expect(extractInstruction('Trailing only```')).toBe('Trailing only');
    expect(extractInstruction('  no fences  ')).toBe('no fences');
  });
});

describe('gepa budget', () => {
  it('auto budget matches dspy auto_budget by hand (V = 40)', () => {
    // light: N = ⌊max(4·log2 6, 9)⌋ = 10 → 40 + 30 + 350 + (⌊11/5⌋ + 1)·40 = 540
    expect(autoBudget(1, 6, 40)).toBe(540);
    // medium: N = ⌊max(4·log2 12, 18)⌋ = 18 → 40 + 60 + 630 + (⌊19/5⌋ + 1)·40 = 890
    expect(autoBudget(1, 12, 40)).toBe(890);
    // heavy: N = ⌊max(4·log2 18, 27)⌋ = 27 → 40 + 90 + 945 + (⌊28/5⌋ + 1)·40 = 1315
    expect(autoBudget(1, 18, 40)).toBe(1315);
    expect(metricCallBudget({ auto: null, maxMetricCalls: Infinity, maxFullEvals: 3 }, 10, 20)).toBe(90);
  });
  it('an explicit budget wins over the auto preset; unknown options are rejected', () => {
    expect(metricCallBudget({ auto: 'light', maxMetricCalls: 100, maxFullEvals: null }, 10, 40)).toBe(100);
    expect(metricCallBudget({ auto: 'light', maxMetricCalls: Infinity, maxFullEvals: 2 }, 10, 40)).toBe(100);
    expect(metricCallBudget({ auto: 'light', maxMetricCalls: Infinity, maxFullEvals: null }, 10, 40)).toBe(540);
    expect(metricCallBudget({ auto: null, maxMetricCalls: Infinity, maxFullEvals: null }, 10, 40)).toBe(Infinity);
    expect(gepaSchema.safeParse({ ...GEPA_DEFAULTS, maxMetricCalls: 100 }).success).toBe(true);
    expect(gepaSchema.safeParse({ ...GEPA_DEFAULTS, auto: null, maxMetricCalls: 'inf' }).success).toBe(true);
    expect(gepaSchema.safeParse({ ...GEPA_DEFAULTS, minibatch: 3 }).success).toBe(false);
  });
});

describe('gepa Pareto selection (hand-computed)', () => {
  // Per dev example scores of three programs: P0 = [1,0,0,0], P1 = [1,1,0,0], P2 = [0,0,1,0].
  const sub = [
    new Map([['v0', 1], ['v1', 0], ['v2', 0], ['v3', 0]]),
    new Map([['v0', 1], ['v1', 1], ['v2', 0], ['v3', 0]]),
    new Map([['v0', 0], ['v1', 0], ['v2', 1], ['v3', 0]]),
  ];
  const agg = [0.25, 0.5, 0.25];
  it('fronts hold every program with the top score on each example (ties included)', () => {
    const f = paretoFronts(sub);
    expect([...f.get('v0')!]).toEqual([0, 1]);
    expect([...f.get('v1')!]).toEqual([1]);
    expect([...f.get('v2')!]).toEqual([2]);
    expect([...f.get('v3')!]).toEqual([0, 1, 2]);
  });
  it('removes P0 (every front it is on holds another program) and weights P1 3 : P2 2 (sampling list in first-appearance order)', () => {
    const f = paretoFronts(sub);
    const reduced = removeDominatedPrograms(f, agg);
    expect([...reduced.get('v0')!]).toEqual([1]);
    expect([...reduced.get('v3')!].sort()).toEqual([1, 2]);
    expect(findDominatorPrograms(f, agg).sort()).toEqual([1, 2]);
    expect(paretoSamplingList(f, agg)).toEqual([1, 1, 1, 2, 2]);
  });
  it('a program that is alone best on one example is never removed, whatever its aggregate', () => {
    const f = paretoFronts([new Map([['a', 1], ['b', 0]]), new Map([['a', 0], ['b', 1]]), new Map([['a', 1], ['b', 0]])]);
    // P0 and P2 tie on a; the lower-aggregate one is removed first, the other stays
    expect(findDominatorPrograms(f, [0.5, 0.5, 0.6]).sort()).toEqual([1, 2]);
  });
});

describe('gepa system-aware merge (hand-computed)', () => {
  const programs = [
    { a: 'A0', b: 'B0' }, // 0: ancestor
    { a: 'A1', b: 'B0' }, // 1: changed a
    { a: 'A0', b: 'B2' }, // 2: changed b
    { a: 'A3', b: 'B3' }, // 3: changed both (child of 1)
  ];
  const parents = [[], [0], [0], [1]];
  const state = (): MergeState => ({ triplets: [], descriptions: [] });
  it('desirable triplets need a component one descendant kept and the other changed', () => {
    expect(desirableTriplet(programs, 0, 1, 2)).toBe(true);
    expect(desirableTriplet([{ i: 'x0' }, { i: 'x1' }, { i: 'x2' }], 0, 1, 2)).toBe(false);
  });
  it('takes each changed component from the descendant that changed it', () => {
    const r = attemptMerge(new Rng(1), [0.2, 0.5, 0.6, 0.1], [1, 2], state(), programs, parents);
    expect(r).not.toBeNull();
    expect(r!.merged).toEqual({ a: 'A1', b: 'B2' });
    expect([r!.id1, r!.id2, r!.ancestor]).toEqual([1, 2, 0]);
  });
  it('refuses an ancestor that beats a descendant, a merged triplet, and one-component programs', () => {
    expect(attemptMerge(new Rng(1), [0.9, 0.5, 0.6, 0.1], [1, 2], state(), programs, parents)).toBeNull();
    const s = state();
    s.triplets.push([1, 2, 0]);
    expect(attemptMerge(new Rng(1), [0.2, 0.5, 0.6, 0.1], [1, 2], s, programs, parents)).toBeNull();
    expect(attemptMerge(new Rng(1), [0.2, 0.5, 0.6], [1, 2], state(), [{ i: 'x0' }, { i: 'x1' }, { i: 'x2' }], [[], [0], [0]])).toBeNull();
  });
  it('never merges a program with its own ancestor', () => {
    expect(attemptMerge(new Rng(2), [0.2, 0.5, 0.6, 0.7], [1, 3], state(), programs, parents)).toBeNull();
  });
  it('scores a merge on dev ids where parent 1 wins, then parent 2, then ties', () => {
    const s1 = new Map([['a', 1], ['b', 0], ['c', 1], ['d', 0], ['e', 1], ['f', 0]]);
    const s2 = new Map([['a', 0], ['b', 1], ['c', 1], ['d', 0], ['e', 0], ['f', 1]]);
    const ids = mergeSubsample(s1, s2, 5, new Rng(3));
    expect(ids).toHaveLength(5);
    expect(new Set(ids.slice(0, 2))).toEqual(new Set(['a', 'e']));
    expect(new Set(ids.slice(2, 4))).toEqual(new Set(['b', 'f']));
    expect(['c', 'd']).toContain(ids[4]);
  });
});

describe('gepa minibatches', () => {
  it('cover the train set once per epoch, padded with the least used ids', () => {
    const data = Array.from({ length: 7 }, (_, i) => ({ id: `t${i}` }));
    const s = new EpochShuffledSampler(data, 3, new Rng(4));
    const epoch0 = [0, 1, 2].flatMap((t) => s.next(t).map((x) => x.id));
    expect(epoch0).toHaveLength(9);
    expect(new Set(epoch0).size).toBe(7);
    const epoch1 = [3, 4, 5].flatMap((t) => s.next(t).map((x) => x.id));
    expect(new Set(epoch1).size).toBe(7);
    expect(epoch1).not.toEqual(epoch0);
  });
});

/** Fake reflection LM: the current instruction plus one "good" word, in a ``` block. */
function reply(prompt: string, sample: number): string {
  const cur = /instructions to perform a task for me:\n```\n([\s\S]*?)\n```/.exec(prompt)?.[1] ?? '';
  const words = ['carefully', 'step', 'check', 'verify'];
  const w = words[Math.floor(hashUnit([prompt, sample]) * words.length)]!;
  return `Looking at the feedback, the assistant should ${w}.\n\`\`\`\n${cur} Work ${w}.\n\`\`\``;
}

const SMALL: GepaOptions = { ...GEPA_DEFAULTS, auto: null, maxMetricCalls: 150 };

describe('gepa on a fake world', () => {
  it('records reflections with shown failures and the child’s fixed / broke lists', async () => {
    const { ctx } = makeFakeContext({ reply, seed: 1 });
    const res = await gepa.optimize(ctx, SMALL);
    expect(res.stoppedBy).toBe('done');
    const refl = res.trajectory.reflections;
    expect(refl.length).toBeGreaterThan(0);
    for (const r of refl) {
      expect(r.shown.length).toBeGreaterThan(0);
      expect(r.shown.length).toBeLessThanOrEqual(3);
      for (const s of r.shown) expect(r.metaPrompt).toContain(s.input);
      expect(r.metaPrompt).toContain('Your task is to write a new instruction for the assistant.');
      for (const e of r.editIds) {
        for (const f of r.fixed?.[e] ?? []) expect(r.shown.map((s) => s.exampleId)).toContain(f);
        expect(r.broke?.[e]).toBeDefined();
      }
    }
    // accepted children were scored on all of dev; their parents are in the trajectory
    const scored = res.trajectory.candidates.filter((c) => c.score !== undefined);
    expect(scored.length).toBeGreaterThan(1);
    expect(res.bestScore).toBeGreaterThan(scored[0]!.score!);
  });

  it('stops on the metric-call budget (overshooting by at most one iteration) and on the popbench budget', async () => {
    const a = makeFakeContext({ reply, seed: 2 });
    await gepa.optimize(a.ctx, { ...SMALL, maxMetricCalls: 60 });
    expect(a.targetCalls()).toBeLessThanOrEqual(60 + 2 * 3 + 20);
    const b = makeFakeContext({ reply, seed: 2, budget: { targetCalls: 90, optimizerCalls: 8 } });
    const res = await gepa.optimize(b.ctx, { ...SMALL, maxMetricCalls: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(b.targetCalls()).toBeLessThanOrEqual(90);
    expect(b.optimizerCalls()).toBeLessThanOrEqual(8);
  });

  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const { ctx } = makeFakeContext({ reply, seed: 7 });
      const r = await gepa.optimize(ctx, SMALL);
      return JSON.stringify({ c: r.trajectory.candidates.map((c) => [c.id, c.prompt, c.score, c.parents]), r: r.trajectory.reflections });
    };
    expect(await run()).toBe(await run());
  });
});

describe('gepa on the sim', () => {
  it('improves over its starting prompt on test, within a binding budget counted at the provider', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', target: 'sim-8b', seed: 0, trainSize: 60, devSize: 30 });
    const res = await gepa.optimize(kit.ctx, { ...GEPA_DEFAULTS, auto: null, maxMetricCalls: 300 });
    const test = kit.task.splits.test.slice(0, 60);
    const initial = await kit.ctx.evaluator.evaluate({ instruction: '' }, test);
    const best = await kit.ctx.evaluator.evaluate(res.best, test);
    expect(best.accuracy).toBeGreaterThan(initial.accuracy + 0.1);
    const shown = res.trajectory.reflections.flatMap((r) => r.shown);
    expect(shown.length).toBeGreaterThan(0);
    expect(shown.every((s) => typeof s.trueCause === 'string' && s.trueCause.length > 0)).toBe(true);

    const lim = await makeTestContext({ task: 'like/navigate', seed: 1, trainSize: 60, devSize: 20, budget: { targetCalls: 150, optimizerCalls: 12 } });
    const r2 = await gepa.optimize(lim.ctx, { ...GEPA_DEFAULTS, auto: null });
    expect(r2.stoppedBy).toBe('budget');
    expect(lim.targetCalls()).toBeLessThanOrEqual(150);
    expect(lim.optimizerCalls()).toBeLessThanOrEqual(12);
  });

  it('gives the same trajectory twice for a fixed seed', async () => {
    const run = async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 4, trainSize: 40, devSize: 20 });
      const r = await gepa.optimize(kit.ctx, { ...GEPA_DEFAULTS, auto: null, maxMetricCalls: 150 });
      return JSON.stringify([r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score]), r.trajectory.reflections]);
    };
    expect(await run()).toBe(await run());
  });
});
