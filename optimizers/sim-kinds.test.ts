/**
 * Every meta-prompt an optimizer sends is read by the simulated optimizer as
 * the kind of request the optimizer means (OPRO history, APE induction,
 * ProTeGi gradient/edit, …). A misread request (e.g. a scored history taken for
 * a reflection because a quoted instruction says "Reason …") would make the
 * sim answer the wrong question, so this pins the pairing for every method.
 */
import { describe, expect, it } from 'vitest';
import type { LLM } from '../core/types.js';
import { detectKind, type RequestKind } from '../sim/optimizer.js';
import { OPTIMIZERS } from './index.js';
import { makeTestContext, recording } from './testkit.js';

const EXPECTED: Record<string, { allowed: RequestKind[]; required: RequestKind[] }> = {
  opro: { allowed: ['opro'], required: ['opro'] },
  ape: { allowed: ['induce', 'paraphrase'], required: ['induce'] }, // resampling (paraphrase) is off by default, as in the reference
  protegi: { allowed: ['reflect', 'edit', 'paraphrase'], required: ['reflect', 'edit'] },
  evoprompt: { allowed: ['evo_ga', 'paraphrase'], required: ['evo_ga'] },
  bpo: { allowed: ['rewrite'], required: ['rewrite'] },
  gpo: { allowed: ['reflect', 'edit'], required: ['edit'] },
  abo: { allowed: ['procedure', 'demonstrate', 'reflect', 'edit'], required: ['procedure', 'demonstrate', 'reflect'] },
  mipro: { allowed: ['mipro', 'plain'], required: ['mipro'] },
};

describe('the sim optimizer reads each optimizer\'s meta-prompts as intended', () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 1, devSize: 20, trainSize: 40, budget: { targetCalls: 500, optimizerCalls: 40 } });
      const seen: string[] = [];
      kit.ctx.optimizer = recording(kit.ctx.optimizer, seen);
      const { optimizer, equalBudget } = OPTIMIZERS[name]!;
      // The reference starting prompt, as a run without --initial gets it (optimizers/setup.ts).
      const initial = optimizer.initial?.(kit.task.id);
      if (initial) kit.ctx.initial = initial;
      await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget }));
      expect(seen.length).toBeGreaterThan(0);
      const kinds = new Set(seen.map(detectKind));
      for (const k of kinds) expect(want.allowed, `unexpected kind "${k}" from ${name}`).toContain(k);
      for (const k of want.required) expect([...kinds], `${name} never sent a "${k}" request`).toContain(k);
    });
  }

  it("OPRO's PaLM meta-prompt is read as an OPRO request answered in square brackets", async () => {
    const kit = await makeTestContext({ task: 'like/navigate', seed: 1, devSize: 20, budget: { targetCalls: 400, optimizerCalls: 16 } });
    const seen: string[] = [];
    kit.ctx.optimizer = recording(kit.ctx.optimizer, seen);
    const { optimizer } = OPTIMIZERS['opro']!;
    const res = await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, steps: 2, metaPrompt: 'palm' }));
    expect(new Set(seen.map(detectKind))).toEqual(new Set(['opro']));
    expect(res.trajectory.candidates.some((c) => c.origin === 'opro' && c.prompt.instruction !== '')).toBe(true);
  });

  it("OPRO's GPT text at A_begin (the <Start> sentence) is answered in <Start></Start> tags", async () => {
    const kit = await makeTestContext({ task: 'like/navigate', seed: 1, devSize: 20, budget: { targetCalls: 400, optimizerCalls: 16 } });
    kit.ctx.initial = { instruction: "Let's solve the problem.", position: 'A_begin' };
    const { optimizer } = OPTIMIZERS['opro']!;
    const res = await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, steps: 2 }));
    const made = res.trajectory.candidates.filter((c) => c.origin === 'opro');
    expect(made.length).toBeGreaterThan(0);
    for (const c of made) {
      expect(c.metaPrompt).toContain('The starting sentence should begin with <Start> and end with </Start>.');
      expect(c.prompt.instruction).not.toMatch(/<\/?(Start|START|END)>/);
    }
  });

  it('the DE variant of EvoPrompt sends DE requests', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', seed: 1, devSize: 20, budget: { targetCalls: 400, optimizerCalls: 30 } });
    const seen: string[] = [];
    kit.ctx.optimizer = recording(kit.ctx.optimizer, seen);
    const { optimizer, equalBudget } = OPTIMIZERS['evoprompt']!;
    await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget, variant: 'de' }));
    const kinds = new Set(seen.map(detectKind));
    expect([...kinds]).toContain('evo_de');
    for (const k of kinds) expect(['evo_de', 'paraphrase']).toContain(k);
  });
});
