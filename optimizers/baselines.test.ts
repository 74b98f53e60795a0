import { describe, expect, it } from 'vitest';
import { apeCot, APE_COT_INSTRUCTION, demoFromExample, empty, fewShot, zeroShotCot, ZERO_SHOT_COT_INSTRUCTION } from './baselines.js';
import { makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';

describe('fixed-instruction baselines', () => {
  it('score their prompt once on dev and make no optimizer call', async () => {
    for (const [opt, instruction, position] of [
      [empty, '', 'Q_begin'],
      [zeroShotCot, ZERO_SHOT_COT_INSTRUCTION, 'A_begin'],
      [apeCot, APE_COT_INSTRUCTION, 'A_begin'],
    ] as const) {
      const f = makeFakeContext();
      const res = await opt.optimize(f.ctx, opt.schema.parse(opt.defaults));
      expect(res.best).toEqual({ instruction, position });
      expect(res.stoppedBy).toBe('done');
      expect(f.optimizerCalls()).toBe(0);
      expect(f.targetCalls()).toBe(f.ctx.dev.length);
      expect(res.trajectory.candidates).toHaveLength(1);
      expect(res.trajectory.steps).toHaveLength(1);
      const c = res.trajectory.candidates[0]!;
      expect(c.score).toBeGreaterThanOrEqual(0);
      expect(res.bestScore).toBe(c.score);
    }
  });

  it('stop with "budget" and return their prompt when the budget is too small', async () => {
    const f = makeFakeContext({ budget: { targetCalls: 5 } });
    const res = await zeroShotCot.optimize(f.ctx, zeroShotCot.defaults);
    expect(res.stoppedBy).toBe('budget');
    expect(f.targetCalls()).toBeLessThanOrEqual(5);
    expect(res.best.instruction).toBe(ZERO_SHOT_COT_INSTRUCTION);
  });

  it('take the starting prompt\'s layout when the run sets one (e.g. OPRO\'s plain Q_begin template)', async () => {
    const f = makeFakeContext();
    const ctx = { ...f.ctx, initial: { instruction: '', layout: 'plain' as const } };
    const res = await empty.optimize(ctx, empty.schema.parse(empty.defaults));
    expect(res.best).toEqual({ instruction: '', position: 'Q_begin', layout: 'plain' });
    await expect(zeroShotCot.optimize(ctx, zeroShotCot.schema.parse(zeroShotCot.defaults))).rejects.toThrow(/zero-shot-cot: the plain layout has no A_begin position/);
  });

  it('reject unknown option keys', () => {
    expect(() => empty.schema.parse({ position: 'Q_begin', extra: 1 })).toThrow();
    expect(() => fewShot.schema.parse({ ...fewShot.defaults, kk: 2 })).toThrow();
  });
});

describe('few-shot baseline', () => {
  it('uses k distinct train demos drawn with ctx.rng, deterministically per seed', async () => {
    const run = async (seed: number) => {
      const f = makeFakeContext({ seed });
      return (await fewShot.optimize(f.ctx, fewShot.defaults)).best;
    };
    const a = await run(1);
    const b = await run(1);
    expect(a).toEqual(b);
    expect(a.demos).toHaveLength(3);
    const trainInputs = makeFakeContext().ctx.train.map((e) => e.input);
    for (const d of a.demos!) expect(trainInputs).toContain(d.input);
    expect(new Set(a.demos!.map((d) => d.input)).size).toBe(3);
    const others = await Promise.all([2, 3, 4].map(run));
    expect(others.some((o) => JSON.stringify(o.demos) !== JSON.stringify(a.demos))).toBe(true);
  });

  it('demo output is the gold answer, or rationale + "So the answer is X." when there is a rationale', () => {
    expect(demoFromExample({ id: 'a', input: 'q', target: '(B)' })).toEqual({ input: 'q', output: '(B)' });
    expect(demoFromExample({ id: 'a', input: 'q', target: '42', rationale: '40 + 2 = 42.' })).toEqual({
      input: 'q',
      output: '40 + 2 = 42. So the answer is 42.',
    });
  });
});

describe('baselines in sim', () => {
  it('each scores once on dev with no optimizer call; CoT triggers beat the empty instruction on like/gsm', async () => {
    const scores: Record<string, number> = {};
    for (const opt of [empty, zeroShotCot, apeCot, fewShot] as const) {
      const k = await makeTestContext({ task: 'like/gsm', devSize: 40, trainSize: 30, seed: 2 });
      const res = await (opt as typeof empty).optimize(k.ctx, opt.defaults as never);
      expect(res.stoppedBy).toBe('done');
      expect(k.optimizerCalls()).toBe(0);
      expect(k.targetCalls()).toBe(40);
      scores[opt.name] = res.bestScore;
    }
    expect(scores['zero-shot-cot']).toBeGreaterThan(scores['empty']!);
    expect(scores['ape-cot']).toBeGreaterThan(scores['empty']!);
  });
});
