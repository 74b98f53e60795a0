import { describe, expect, it } from 'vitest';
import {
  abo,
  ABO_DEFAULTS,
  aboSchema,
  formatAboFailures,
  freeReflectionMetaPrompt,
  isProcedure,
  procedureSteps,
  reviseProcedureMetaPrompt,
  stepCheckMetaPrompt,
  writeProcedureMetaPrompt,
  type AboOptions,
} from './abo.js';
import { makeTestContext } from './testkit.js';
import { scoreReflections } from '../reports/reflection.js';
import { parseCauses } from '../sim/causes.js';

const shown = [{ exampleId: 'a', input: 'What is 2+2?', output: 'Adding.\nSo the answer is 5.', gold: '4' }];
const PROC = '1. Read the question.\n2. Add the numbers.\n3. End with "So the answer is N."';

describe('abo procedures and meta-prompts', () => {
  it('reads numbered steps', () => {
    expect(procedureSteps(PROC)).toHaveLength(3);
    expect(isProcedure(PROC)).toBe(true);
    expect(isProcedure('Think step by step. 1. only one')).toBe(false);
    expect(isProcedure('Step 1: read.\nStep 2: solve.')).toBe(true);
  });
  it('asks for a numbered procedure, a step check and a step revision', () => {
    const f = formatAboFailures(shown, ['5'], true);
    expect(f).toContain('Model output:\nAdding.\nSo the answer is 5.\nExpected answer: 4');
    expect(formatAboFailures(shown, ['5'], false)).toContain('Model answer: 5');
    const w = writeProcedureMetaPrompt('toy additions', '', f);
    expect(w).toContain('explicit step-by-step procedure');
    expect(w).toContain('numbered procedure');
    const c = stepCheckMetaPrompt(PROC, f);
    expect(c).toContain(PROC);
    expect(c).toContain('first step the output deviates from');
    expect(c).toContain('cause of the error');
    const r = reviseProcedureMetaPrompt(PROC, f, 'Step 2: the model made a slip in its reasoning steps.');
    expect(r).toContain('Step 2: the model made a slip');
    expect(r).toContain('Revise only the steps the check points to');
    expect(r).toContain('revised numbered procedure');
    expect(reviseProcedureMetaPrompt(PROC, f, null)).not.toContain('check points to');
    expect(freeReflectionMetaPrompt('Add.', f)).toContain('reasons why the prompt could have gotten these examples wrong');
  });
  it('schema rejects unknown keys and accepts Infinity steps', () => {
    expect(aboSchema.safeParse({ ...ABO_DEFAULTS, beam: 2 }).success).toBe(false);
    expect(aboSchema.safeParse({ ...ABO_DEFAULTS, steps: 'inf' }).success).toBe(true);
  });
});

describe('abo on the sim', () => {
  const SIM: AboOptions = { ...ABO_DEFAULTS, steps: 5 };

  it("reports the paper's Step 0 (procedure + demonstration), Step 1 (step check) and Step 2 (revision); the demonstration is a worked demo in the prompt", async () => {
    const kit = await kitFor(0);
    const res = await abo.optimize(kit.ctx, SIM);
    const steps = new Set(kit.events.filter((e) => e.type === 'abo-step' || e.type === 'abo-decision').map((e) => e.aboStep));
    expect([...steps].sort()).toEqual([0, 1, 2]);
    const demoed = res.trajectory.candidates.filter((c) => c.origin === 'abo-procedure' || c.origin === 'abo-revision');
    expect(demoed.length).toBeGreaterThan(0);
    for (const c of demoed) {
      expect(c.prompt.demos).toHaveLength(1);
      expect(c.prompt.demos![0]!.output).toMatch(/^Step 1: /);
    }
    const without = await abo.optimize((await kitFor(0)).ctx, { ...SIM, demonstration: false });
    for (const c of without.trajectory.candidates) expect(c.prompt.demos ?? []).toHaveLength(0);
  });
  const kitFor = (seed: number, budget?: { targetCalls: number; optimizerCalls: number }) =>
    makeTestContext({ task: 'like/navigate', seed, trainSize: 40, devSize: 30, ...(budget ? { budget } : {}) });

  it('improves over its starting prompt with a procedure; keeps the incumbent unless a revision scores higher', async () => {
    const kit = await kitFor(0);
    const res = await abo.optimize(kit.ctx, SIM);
    expect(res.stoppedBy).toBe('done');
    const start = res.trajectory.candidates[0]!;
    const best = await kit.ctx.evaluator.evaluate(res.best, kit.ctx.dev);
    expect(best.accuracy).toBeGreaterThan(start.score!);
    expect(isProcedure(res.best.instruction)).toBe(true);
    const first = res.trajectory.candidates[1]!;
    expect(first.origin).toBe('abo-procedure');
    expect(first.metaPrompt).toContain('numbered procedure');
    const scores = res.trajectory.steps.map((s) => s.bestScore);
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeGreaterThanOrEqual(scores[i - 1]!);
    const decisions = kit.events.filter((e) => e.type === 'abo-decision');
    const byId = new Map(res.trajectory.candidates.map((c) => [c.id, c]));
    for (const d of decisions) {
      const c = byId.get(d.candidateId as string)!;
      const from = byId.get(d.from as string)!;
      if (c.origin === 'abo-revision') expect(d.accepted).toBe(c.score! > from.score!);
    }
  });

  it('records each diagnosis as a reflection: shown failures with true causes, step check, edits, fixed/broke', async () => {
    const kit = await kitFor(0);
    const res = await abo.optimize(kit.ctx, { ...SIM, editCheck: 'minibatch' });
    const refl = res.trajectory.reflections;
    expect(refl.length).toBeGreaterThan(0);
    const ids = new Map(res.trajectory.candidates.map((c) => [c.id, c]));
    for (const r of refl) {
      expect(r.shown.length).toBeGreaterThan(0);
      expect(r.shown.length).toBeLessThanOrEqual(SIM.errorsPerCheck);
      expect(r.shown.every((s) => typeof s.trueCause === 'string' && s.trueCause.length > 0)).toBe(true);
      expect(r.metaPrompt).toContain('first step the output deviates from');
      expect(isProcedure(ids.get(r.parentId)!.prompt.instruction)).toBe(true);
      for (const s of r.shown) expect(r.metaPrompt).toContain(s.output.trim());
      expect(r.editIds).toHaveLength(1);
      const edit = ids.get(r.editIds[0]!)!;
      expect(edit.origin).toBe('abo-revision');
      // a revision that repeats an earlier candidate keeps that candidate's first meta-prompt
      if (edit.step === r.step) expect(edit.metaPrompt).toContain(r.text);
      expect(r.fixed?.[edit.id]).toBeDefined();
      expect(r.broke?.[edit.id]).toBeDefined();
    }
    const q = scoreReflections(refl, parseCauses);
    expect(q.n).toBe(refl.length);
    expect(q.meanFixRate).toBeDefined();
  });

  it('ablations: free reflection without a procedure; revision without a step check', async () => {
    const free = await abo.optimize((await kitFor(0)).ctx, { ...SIM, procedure: false });
    expect(free.trajectory.candidates.some((c) => c.origin === 'abo-procedure' || c.origin === 'abo-revision')).toBe(false);
    expect(free.trajectory.candidates.some((c) => c.origin === 'abo-edit')).toBe(true);
    expect(free.trajectory.reflections.length).toBeGreaterThan(0);
    for (const r of free.trajectory.reflections) expect(r.metaPrompt).toContain('reasons why the prompt');

    const noCheck = await abo.optimize((await kitFor(0)).ctx, { ...SIM, stepCheck: false });
    expect(noCheck.trajectory.reflections).toHaveLength(0);
    const revs = noCheck.trajectory.candidates.filter((c) => c.origin === 'abo-revision');
    expect(revs.length).toBeGreaterThan(0);
    for (const c of revs) expect(c.metaPrompt).not.toContain('Step-by-step check');
  });

  it('respects a binding budget, counted at the provider', async () => {
    const kit = await kitFor(1, { targetCalls: 220, optimizerCalls: 12 });
    const res = await abo.optimize(kit.ctx, { ...SIM, steps: Infinity });
    expect(res.stoppedBy).toBe('budget');
    expect(kit.targetCalls()).toBeLessThanOrEqual(220);
    expect(kit.optimizerCalls()).toBeLessThanOrEqual(12);
  });

  it('gives the same trajectory twice for a fixed seed', async () => {
    const run = async () => {
      const kit = await kitFor(4);
      const r = await abo.optimize(kit.ctx, SIM);
      return JSON.stringify([r.trajectory.candidates.map((c) => [c.id, c.prompt, c.score, c.parents]), r.trajectory.reflections, r.trajectory.steps]);
    };
    expect(await run()).toBe(await run());
  });
});
