import { describe, expect, it } from 'vitest';
import { BPO_DEFAULTS, BPO_TEMPLATE, bpo, bpoMetaPrompt, bpoSchema, makeRewriter, parseRewrite } from './bpo.js';
import { Recorder } from './common.js';
import { makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';

describe('bpo rewriter', () => {
  it('uses the published template', () => {
    expect(BPO_TEMPLATE).toBe(
      '[INST] You are an expert prompt engineer. Please help me improve this prompt to get a more helpful and harmless response:\n{query} [/INST]',
    );
    expect(bpoMetaPrompt(BPO_TEMPLATE, 'Q?')).toContain('harmless response:\nQ? [/INST]');
    expect(bpoSchema.safeParse({ ...BPO_DEFAULTS, template: 'no slot' }).success).toBe(false);
    expect(bpoSchema.safeParse({ ...BPO_DEFAULTS, extra: 1 }).success).toBe(false);
  });

  it('parses replies and gives null for empty ones', () => {
    expect(parseRewrite('  Better question.  ')).toBe('Better question.');
    expect(parseRewrite('[INST] x [/INST] Better. [KEEP] junk')).toBe('Better.');
    expect(parseRewrite('   ')).toBeNull();
    expect(parseRewrite('[PROTECT] only')).toBeNull();
  });

  it('falls back to the input on an empty reply and caches each input per run', async () => {
    const seen: string[] = [];
    const { ctx, optimizerCalls } = makeFakeContext({
      reply: (prompt) => {
        seen.push(prompt);
        return prompt.includes('EMPTY') ? '' : `Rewritten: ${prompt.split('\n')[1]!.replace(' [/INST]', '')}`;
      },
    });
    const rewrite = makeRewriter(new Recorder(ctx, 'bpo'), BPO_DEFAULTS);
    expect(await rewrite('EMPTY input')).toBe('EMPTY input');
    const [a, b] = await Promise.all([rewrite('What is 2+2?'), rewrite('What is 2+2?')]);
    expect(a).toBe('Rewritten: What is 2+2?');
    expect(b).toBe(a);
    expect(await rewrite('What is 2+2?')).toBe(a);
    expect(optimizerCalls()).toBe(2);
    expect(rewrite.size).toBe(2);
    expect(seen.every((s) => s.startsWith('[INST] You are an expert prompt engineer.'))).toBe(true);
  });

  it('optimize returns the initial prompt, a rewriter and a dev score with rewriting', async () => {
    const { ctx, targetCalls, optimizerCalls } = makeFakeContext({ reply: () => 'Please verify carefully, step by step.' });
    ctx.initial = { instruction: 'Add.' };
    const roles: (string | undefined)[] = [];
    const inner = ctx.optimizer;
    ctx.optimizer = { provider: inner.provider, model: inner.model, complete: (req, s) => (roles.push(req.role), inner.complete(req, s)) };
    const res = await bpo.optimize(ctx, BPO_DEFAULTS);
    expect(res.stoppedBy).toBe('done');
    expect(res.best).toEqual({ instruction: 'Add.' });
    expect(res.rewriter).toBeDefined();
    expect(res.trajectory.candidates).toHaveLength(1);
    expect(res.trajectory.candidates[0]!.score).toBe(res.bestScore);
    expect(optimizerCalls()).toBe(ctx.dev.length);
    expect(targetCalls()).toBe(ctx.dev.length);
    expect(roles.length).toBe(ctx.dev.length);
    expect(roles.every((r) => r === 'rewriter')).toBe(true);
    // the rewriter is cached: asking again costs nothing
    await res.rewriter!(ctx.dev[0]!.input);
    expect(optimizerCalls()).toBe(ctx.dev.length);
  });

  it('stops on the budget', async () => {
    const { ctx, optimizerCalls } = makeFakeContext({ reply: () => 'x', budget: { optimizerCalls: 5 } });
    const res = await bpo.optimize(ctx, BPO_DEFAULTS);
    expect(res.stoppedBy).toBe('budget');
    expect(optimizerCalls()).toBeLessThanOrEqual(5);
  });
});

describe('bpo on the sim', () => {
  it('improves over the starting prompt on like/gsm, on average over seeds', async () => {
    // one rewrite per query cannot be selected on dev, so single seeds can go either way
    let gain = 0;
    for (const seed of [1, 2, 3, 4, 5]) {
      const kit = await makeTestContext({ task: 'like/gsm', seed, devSize: 30 });
      const res = await bpo.optimize(kit.ctx, BPO_DEFAULTS);
      const plain = await kit.ctx.evaluator.evaluate(res.best, kit.ctx.dev);
      gain += (res.bestScore - plain.accuracy) / 5;
    }
    expect(gain).toBeGreaterThan(0);
  });

  it('rewrites with the rewriter role, within budget, deterministically', async () => {
    const run = async (budget?: { optimizerCalls: number }) => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 3, devSize: 20, ...(budget ? { budget } : {}) });
      const res = await bpo.optimize(kit.ctx, BPO_DEFAULTS);
      return { kit, res };
    };
    const a = await run();
    const b = await run();
    expect(a.res.stoppedBy).toBe('done');
    expect(a.res.bestScore).toBe(b.res.bestScore);
    expect(a.kit.optimizerCalls()).toBe(20);
    expect(a.kit.targetCalls()).toBe(20);
    const inputs = a.kit.ctx.dev.map((e) => e.input);
    const ra = await Promise.all(inputs.map((x) => a.res.rewriter!(x)));
    const rb = await Promise.all(inputs.map((x) => b.res.rewriter!(x)));
    expect(ra).toEqual(rb);
    expect(ra.every((x) => x.length > 0)).toBe(true);

    const limited = await run({ optimizerCalls: 7 });
    expect(limited.res.stoppedBy).toBe('budget');
    expect(limited.kit.optimizerCalls()).toBeLessThanOrEqual(7);
  });
});
