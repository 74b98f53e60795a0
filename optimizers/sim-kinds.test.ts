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
import { makeTestContext } from './testkit.js';

const EXPECTED: Record<string, { allowed: RequestKind[]; required: RequestKind[] }> = {
  opro: { allowed: ['opro'], required: ['opro'] },
  ape: { allowed: ['induce', 'paraphrase'], required: ['induce', 'paraphrase'] },
  protegi: { allowed: ['reflect', 'edit', 'paraphrase'], required: ['reflect', 'edit'] },
  evoprompt: { allowed: ['evo_ga', 'paraphrase'], required: ['evo_ga'] },
  bpo: { allowed: ['rewrite'], required: ['rewrite'] },
  gpo: { allowed: ['reflect', 'edit'], required: ['edit'] },
  abo: { allowed: ['procedure', 'demonstrate', 'reflect', 'edit'], required: ['procedure', 'demonstrate', 'reflect'] },
  mipro: { allowed: ['mipro', 'plain'], required: ['mipro'] },
};

function recording(llm: LLM, seen: string[]): LLM {
  return {
    provider: llm.provider,
    model: llm.model,
    complete(req, signal) {
      seen.push(req.messages.map((m) => m.content).join('\n'));
      return llm.complete(req, signal);
    },
  };
}

describe('the sim optimizer reads each optimizer\'s meta-prompts as intended', () => {
  for (const [name, want] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 1, devSize: 20, trainSize: 40, budget: { targetCalls: 500, optimizerCalls: 40 } });
      const seen: string[] = [];
      kit.ctx.optimizer = recording(kit.ctx.optimizer, seen);
      const { optimizer, equalBudget } = OPTIMIZERS[name]!;
      await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget }));
      expect(seen.length).toBeGreaterThan(0);
      const kinds = new Set(seen.map(detectKind));
      for (const k of kinds) expect(want.allowed, `unexpected kind "${k}" from ${name}`).toContain(k);
      for (const k of want.required) expect([...kinds], `${name} never sent a "${k}" request`).toContain(k);
    });
  }

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
