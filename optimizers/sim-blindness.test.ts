/**
 * Method-blindness of the sim optimizer (docs/sim.md, "The policy"): the
 * content of a reply depends on a meta-prompt only through what it shows.
 *
 * 1. Every optimizer's real meta-prompts (recorded from runs on the sim, so
 *    the check follows any change to an optimizer's templates): the edits in
 *    the replies have the same distribution as the method-neutral policy
 *    applied to what the reader extracted, within Monte Carlo error.
 * 2. The same failures shown under three methods' reflection and edit
 *    meta-prompts (ProTeGi, GPO, ABO) give the same distribution of named
 *    causes and of edits.
 */
import { describe, expect, it } from 'vitest';
import { hash32 } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import type { LLM, LLMRequest } from '../core/types.js';
import { parseCauses, causeKind } from '../sim/causes.js';
import { SimWorld, simComplete } from '../sim/index.js';
import { optimizerParams, readRequest } from '../sim/optimizer.js';
import { candidate, chooseBase, conclude, reasons } from '../sim/policy.js';
import { FILLER, FORMAT_PHRASES, KNOWLEDGE_PHRASE } from '../sim/phrases.js';
import { COT_CUES } from '../sim/features.js';
import type { ReadRequest } from '../sim/reader.js';
import { freeEditMetaPrompt, freeReflectionMetaPrompt, formatAboFailures } from './abo.js';
import { feedbackMetaPrompt, formatFailures } from './gpo.js';
import { OPTIMIZERS } from './index.js';
import { editMetaPrompt, formatErrors, gradientMetaPrompt } from './protegi.js';
import { makeTestContext, recording } from './testkit.js';

const MODEL = 'sim-opt-small';
const N = 300;

/** Markers of a candidate prompt's content (order-insensitive, layout-free). */
function markers(prompt: string): Record<string, boolean> {
  const formats = Object.values(FORMAT_PHRASES);
  return {
    cot: COT_CUES.some((re) => re.test(prompt)),
    format: formats.some((f) => prompt.includes(f)),
    hint: /Remember to apply /.test(prompt),
    knowledge: prompt.includes(KNOWLEDGE_PHRASE),
    filler: FILLER.some((f) => prompt.includes(f)),
    long: prompt.split(/(?<=[.!?])\s+|\n/).filter((s) => s.trim()).length >= 3,
  };
}

/** Markers of a reflection: the kind of the first named cause. */
function causeMarkers(text: string): Record<string, boolean> {
  const first = parseCauses(text)[0];
  const kind = first ? causeKind(first) : 'none';
  return Object.fromEntries(['INSTRUCTION_IGNORED', 'DISTRACTION', 'MISSING_CONCEPT', 'KNOWLEDGE_GAP', 'REASONING_SLIP', 'FORMAT', 'none'].map((k) => [k, k === kind]));
}

/** The content of a reply, with the form's layout removed (wrapper, numbering, the kept query). */
function content(reply: string, read: ReadRequest): string {
  let t = reply;
  const inner = (a: string, b: string) => {
    const i = t.indexOf(a);
    const j = t.indexOf(b, i + a.length);
    if (i >= 0 && j > i) t = t.slice(i + a.length, j);
  };
  if (read.wrapper.wrapper === 'ins') inner('<INS>', '</INS>');
  else if (read.wrapper.wrapper === 'start') inner('<START>', '<END>');
  else if (read.wrapper.wrapper === 'prompt') inner('<prompt>', '</prompt>');
  else if (read.wrapper.wrapper === 'dspy') t = t.replace(/^\[\[ ## \w+ ## \]\]\n/, '').replace(/\n*\[\[ ## completed ## \]\]\s*$/, '');
  else if (read.wrapper.wrapper === 'brackets') inner('[', ']');
  else if (read.wrapper.wrapper === 'fence') inner('```\n', '\n```');
  else if (read.wrapper.wrapper === 'json') t = (JSON.parse(t) as string[])[0] ?? '';
  if (read.form === 'rewrite' && read.query !== undefined && t.startsWith(read.query)) t = t.slice(read.query.length);
  if (read.form === 'procedure') t = t.replace(/^\s*\d{1,2}\.\s+/gm, '');
  return t.trim();
}

function rates(samples: Record<string, boolean>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) for (const [k, v] of Object.entries(s)) out[k] = (out[k] ?? 0) + (v ? 1 : 0) / samples.length;
  return out;
}

/** Two independent samples of N agree on every marker rate within 4.5 standard errors of a difference. */
function expectAgree(a: Record<string, number>, b: Record<string, number>, what: string) {
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const pa = a[k] ?? 0;
    const pb = b[k] ?? 0;
    const p = (pa + pb) / 2;
    const se = Math.sqrt(Math.max(p * (1 - p), 1 / N) * (2 / N));
    expect(Math.abs(pa - pb), `${what}: marker "${k}" ${pa.toFixed(3)} vs ${pb.toFixed(3)}`).toBeLessThanOrEqual(4.5 * se);
  }
}

/** Reply samples of the real path: the sim optimizer answering the meta-prompt at temperature 1. */
function replies(world: SimWorld, text: string): string[] {
  return Array.from({ length: N }, (_, i) => {
    const req: LLMRequest = { messages: [{ role: 'user', content: text }], temperature: 1, sampleIndex: i };
    return simComplete(MODEL, world, req).choices[0]!.text;
  });
}

/** Samples of the method-neutral policy on the same shown information. */
function neutral(world: SimWorld, read: ReadRequest, reflect: boolean): string[] {
  const p = optimizerParams(MODEL);
  return Array.from({ length: N }, (_, i) => {
    const rng = new Rng(hash32(['neutral', i]) | 0);
    const c = conclude(read.shown, p, rng, world);
    if (reflect) return reasons(c, read.count ?? Math.max(1, new Set(c.causes).size), p, rng).join('\n');
    return candidate(chooseBase(read.shown, rng), c, p, rng);
  });
}

function checkBlind(world: SimWorld, text: string, what: string) {
  const read = readRequest(text, world);
  // a judge labels causes (reports/judge.ts); a demonstration replays the steps and the answer it was shown
  if (read.form === 'judge' || read.form === 'pairwise' || read.form === 'demonstrate') return;
  const reflect = read.form === 'reflect';
  const real = replies(world, text).map((r) => (reflect ? causeMarkers(r) : markers(content(r, read))));
  const ref = neutral(world, read, reflect).map((r) => (reflect ? causeMarkers(r) : markers(r)));
  expectAgree(rates(real), rates(ref), `${what} (${read.form})`);
}

describe("every optimizer's real meta-prompts: reply content = the method-neutral policy on what they show", () => {
  // baselines send no meta-prompts; "external" runs its search outside popbench
  const names = Object.keys(OPTIMIZERS).filter((n) => !['empty', 'zero-shot-cot', 'ape-cot', 'few-shot', 'external'].includes(n));
  for (const name of names)
    it(name, async () => {
      const kit = await makeTestContext({ task: 'like/navigate', seed: 1, devSize: 20, trainSize: 40, budget: { targetCalls: 400, optimizerCalls: 30 } });
      const seen: string[] = [];
      kit.ctx.optimizer = recording(kit.ctx.optimizer, seen);
      const { optimizer, equalBudget } = OPTIMIZERS[name]!;
      await optimizer.optimize(kit.ctx, optimizer.schema.parse({ ...optimizer.defaults, ...equalBudget }));
      if (seen.length === 0) return; // a method that never asks the optimizer model
      // the first meta-prompt of each form
      const byForm = new Map<string, string>();
      for (const t of seen) byForm.set(readRequest(t, kit.world).form, byForm.get(readRequest(t, kit.world).form) ?? t);
      for (const [form, text] of byForm) checkBlind(kit.world, text, `${name}/${form}`);
    }, 60_000);
});

describe('the same failures under ProTeGi, GPO and ABO meta-prompts', () => {
  it('give the same distributions of named causes and of edits', async () => {
    const kit = await makeTestContext({ task: 'like/navigate', seed: 3, devSize: 30, trainSize: 40 });
    const instruction = "Let's think step by step.";
    const failures = [];
    const preds = [];
    for (const ex of kit.ctx.train) {
      const res = await kit.ctx.evaluator.evaluate({ instruction, demos: [], position: 'Q_begin' } as never, [ex]);
      const o = res.outcomes[0]!;
      if (o.correct) continue;
      failures.push({ exampleId: o.exampleId, input: o.input, output: o.output, gold: o.gold });
      preds.push(o.pred);
      if (failures.length === 4) break;
    }
    expect(failures.length).toBe(4);
    const reflectTexts = {
      protegi: gradientMetaPrompt(instruction, formatErrors(failures, preds, true), 1),
      gpo: feedbackMetaPrompt(instruction, formatFailures(failures, preds, true)),
      abo: freeReflectionMetaPrompt(instruction, formatAboFailures(failures, preds, true)),
    };
    const reason = 'The model made a slip in its reasoning steps.';
    const editTexts = {
      protegi: editMetaPrompt(instruction, formatErrors(failures, preds, true), reason, 1),
      abo: freeEditMetaPrompt(instruction, formatAboFailures(failures, preds, true), reason),
    };
    for (const group of [reflectTexts, editTexts]) {
      const reads = Object.entries(group).map(([m, t]) => ({ m, t, read: readRequest(t, kit.world) }));
      // the reader extracts the same shown information from each
      for (const r of reads) {
        expect(r.read.shown.questions.map((q) => q.example.id).sort(), r.m).toEqual(reads[0]!.read.shown.questions.map((q) => q.example.id).sort());
        expect(r.read.shown.tells.map((e) => e.cause), r.m).toEqual(reads[0]!.read.shown.tells.map((e) => e.cause));
        expect(r.read.shown.failures, r.m).toBe(reads[0]!.read.shown.failures);
      }
      const dist = reads.map((r) =>
        rates(replies(kit.world, r.t).map((x) => (r.read.form === 'reflect' ? causeMarkers(x) : markers(content(x, r.read))))),
      );
      for (let i = 1; i < dist.length; i++) expectAgree(dist[0]!, dist[i]!, `${reads[0]!.m} vs ${reads[i]!.m}`);
    }
  }, 60_000);
});
