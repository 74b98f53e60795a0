import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import type { Example } from '../core/types.js';
import {
  buildOproMetaPrompt,
  exemplarInput,
  filterOproCandidates,
  opro,
  OPRO_DEFAULTS,
  parseOproReply,
  selectPairs,
  shownScore,
  type ScoredInstruction,
} from './opro.js';
import { fakeQuality, makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';

const ex = (i: number): Example => ({ id: `e${i}`, input: `Question number ${i}?`, target: `${i}` });
const base = { position: 'Q_begin' as const, maxPairs: 20, showScores: true, sortAscending: true, rng: new Rng(1) };

/** 25 instructions with distinct accuracies. */
const history: ScoredInstruction[] = Array.from({ length: 25 }, (_, i) => ({
  instruction: `instruction ${i}`,
  score: ((i * 7) % 25) / 40 + 0.0125,
}));

function shownPairs(meta: string): { text: string; score: number }[] {
  return [...meta.matchAll(/text:\n(.*)\nscore:\n(\d+)/g)].map((m) => ({ text: m[1]!, score: Number(m[2]) }));
}

describe('OPRO meta-prompt', () => {
  const meta = buildOproMetaPrompt({ ...base, history, exemplars: [ex(1), ex(2), ex(3)] });

  it('shows at most 20 pairs, the best ones, in ascending score order', () => {
    const pairs = shownPairs(meta);
    expect(pairs).toHaveLength(20);
    const scores = pairs.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    const worst5 = [...history].sort((a, b) => a.score - b.score).slice(0, 5).map((h) => h.instruction);
    for (const w of worst5) expect(pairs.map((p) => p.text)).not.toContain(w);
    expect(meta).toContain('ascending order');
  });

  it('shows scores as round(100·acc) with half-even rounding', () => {
    expect(shownScore(0.125)).toBe(12);
    expect(shownScore(0.375)).toBe(38);
    expect(shownScore(0.625)).toBe(62);
    expect(shownScore(1)).toBe(100);
    for (const p of shownPairs(meta)) {
      const h = history.find((x) => x.instruction === p.text)!;
      expect(p.score).toBe(shownScore(h.score));
    }
    // an exact .5 tie inside a meta-prompt rounds to even
    const tie = buildOproMetaPrompt({ ...base, history: [{ instruction: 'half', score: 0.125 }], exemplars: [] });
    expect(shownPairs(tie)).toEqual([{ text: 'half', score: 12 }]);
  });

  it('has the exemplars with <INS> at the instruction position and their outputs', () => {
    expect(meta.match(/^input:$/gm)).toHaveLength(3);
    expect(meta.match(/^output:$/gm)).toHaveLength(3);
    for (const i of [1, 2, 3]) expect(meta).toContain(`input:\nQ: <INS>\nQuestion number ${i}?\nA:\noutput:\n${i}`);
    expect(meta).toContain('you replace <INS> in each input with your text');
    expect(exemplarInput('Q?', 'Q_end')).toBe('Q: Q?\n<INS>\nA:');
    expect(exemplarInput('Q?', 'A_begin')).toBe('Q: Q?\nA: <INS>');
  });

  it('ends with the request for a new, better instruction in <INS></INS>', () => {
    const last = meta.split('\n\n').at(-1)!;
    expect(last).toMatch(/different from the old ones/);
    expect(last).toMatch(/score as high as possible/);
    expect(last).toContain('<INS>');
    expect(last).toContain('</INS>');
  });

  it('ablations: no exemplars, no scores (random order), descending order', () => {
    const noEx = buildOproMetaPrompt({ ...base, history, exemplars: [] });
    expect(noEx).not.toContain('input:');
    const noScores = buildOproMetaPrompt({ ...base, showScores: false, history, exemplars: [] });
    expect(noScores).not.toContain('score:');
    expect(noScores.match(/^text:$/gm)).toHaveLength(20);
    const desc = shownPairs(buildOproMetaPrompt({ ...base, sortAscending: false, history, exemplars: [] })).map((p) => p.score);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    const orders = [1, 2, 3].map((s) =>
      selectPairs(history, { ...base, showScores: false, rng: new Rng(s) })
        .map((p) => p.instruction)
        .join('|'),
    );
    expect(new Set(orders).size).toBeGreaterThan(1);
  });
});

describe('OPRO replies and filters', () => {
  it('parses the text inside <INS></INS> (or the whole reply without tags)', () => {
    expect(parseOproReply('Sure! <INS> Think hard. </INS> Hope it helps')).toBe('Think hard.');
    expect(parseOproReply('<INS>Open only')).toBe('Open only');
    expect(parseOproReply('  plain text  ')).toBe('plain text');
  });

  it('drops duplicates (earlier steps and within the batch), too-long, "INS" and empty candidates', () => {
    const seen = new Set(['old one']);
    const long = 'x'.repeat(501);
    const { keep, dropped } = filterOproCandidates(
      ['old one', 'new one', 'new one', long, 'x'.repeat(500), 'Put it in <INS>', 'INSIGHT first', ''],
      seen,
      500,
    );
    expect(keep).toEqual(['new one', 'x'.repeat(500)]);
    expect(dropped.map((d) => d.reason)).toEqual(['duplicate', 'duplicate', 'too-long', 'contains-INS', 'contains-INS', 'empty']);
    expect(seen.has('new one')).toBe(true);
    expect(filterOproCandidates(['new one'], seen, 500).keep).toEqual([]);
  });
});

describe('OPRO options', () => {
  it('defaults are the paper values and the schema is strict', () => {
    expect(OPRO_DEFAULTS).toMatchObject({ steps: 200, candidatesPerStep: 8, maxPairs: 20, numExemplars: 3, optimizerTemperature: 1, maxLength: 500 });
    expect(opro.schema.parse(OPRO_DEFAULTS)).toEqual(OPRO_DEFAULTS);
    expect(() => opro.schema.parse({ ...OPRO_DEFAULTS, stepz: 3 })).toThrow();
    expect(opro.schema.parse({ ...OPRO_DEFAULTS, steps: Infinity }).steps).toBe(Infinity);
    expect(opro.schema.parse({ ...OPRO_DEFAULTS, steps: 'inf' }).steps).toBe(Infinity);
    expect(() => opro.schema.parse({ ...OPRO_DEFAULTS, steps: -1 })).toThrow();
  });
});

describe('OPRO loop (fake LLMs)', () => {
  const options = { ...OPRO_DEFAULTS, steps: 3 };

  it('asks 8 samples per step, records meta-prompts, filters, and improves on the start', async () => {
    const f = makeFakeContext();
    const res = await opro.optimize(f.ctx, options);
    expect(res.stoppedBy).toBe('done');
    expect(f.optimizerCalls()).toBe(24);
    const [start, ...rest] = res.trajectory.candidates;
    expect(start!.origin).toBe('initial');
    expect(start!.prompt.instruction).toBe('');
    expect(rest.length).toBeGreaterThan(0);
    for (const c of rest) {
      expect(c.origin).toBe('opro');
      expect(c.metaPrompt).toContain('text:\n\nscore:\n'); // the empty start instruction is in the history
      expect(c.rawReply).toContain(`<INS>${c.prompt.instruction}</INS>`);
      expect(c.score).toBeDefined();
    }
    expect(res.trajectory.steps.map((s) => s.step)).toEqual([0, 1, 2, 3]);
    expect(res.bestScore).toBeGreaterThan(start!.score!);
    expect(fakeQuality(res.best.instruction)).toBeGreaterThan(fakeQuality(''));
    // step-2 meta-prompts show the step-1 candidates with their scores
    const step2 = rest.find((c) => c.step === 2)!;
    for (const c of rest.filter((c) => c.step === 1)) expect(step2.metaPrompt).toContain(`text:\n${c.prompt.instruction}\nscore:\n${shownScore(c.score!)}`);
  });

  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const f = makeFakeContext({ seed: 7 });
      const r = await opro.optimize(f.ctx, options);
      return r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score, c.metaPrompt]);
    };
    expect(await run()).toEqual(await run());
  });

  it('uses the initial-instruction option and the position option', async () => {
    const f = makeFakeContext();
    const res = await opro.optimize(f.ctx, { ...options, steps: 1, initialInstruction: "Let's solve the problem.", position: 'A_begin' });
    const start = res.trajectory.candidates[0]!;
    expect(start.prompt).toEqual({ instruction: "Let's solve the problem.", position: 'A_begin' });
    expect(res.trajectory.candidates[1]!.metaPrompt).toContain('A: <INS>');
  });

  it('never exceeds the budget and stops with "budget" when it binds (Infinity steps)', async () => {
    for (const budget of [{ targetCalls: 130 }, { optimizerCalls: 13 }]) {
      const f = makeFakeContext({ budget });
      const res = await opro.optimize(f.ctx, { ...options, steps: Infinity });
      expect(res.stoppedBy).toBe('budget');
      if (budget.targetCalls) expect(f.targetCalls()).toBeLessThanOrEqual(budget.targetCalls);
      if (budget.optimizerCalls) expect(f.optimizerCalls()).toBeLessThanOrEqual(budget.optimizerCalls);
      expect(res.trajectory.candidates.every((c) => c.score !== undefined)).toBe(true);
    }
  });

  it('scores on a fixed subset when scoreExamples is a number', async () => {
    const f = makeFakeContext();
    await opro.optimize(f.ctx, { ...options, steps: 1, scoreExamples: 5 });
    const evals = f.events.filter((e) => e.type === 'evaluation');
    expect(evals.length).toBeGreaterThan(1);
    for (const e of evals) expect(e.n).toBe(5);
  });
});

describe('OPRO in sim', () => {
  const simOptions = { ...OPRO_DEFAULTS, steps: 4 };
  const make = (budget?: { targetCalls?: number; optimizerCalls?: number }, seed = 1) =>
    makeTestContext({ task: 'like/navigate', devSize: 30, trainSize: 30, seed, ...(budget ? { budget } : {}) });

  it('improves over its starting prompt, with meta-prompts holding the paper parts', async () => {
    const k = await make();
    const res = await opro.optimize(k.ctx, simOptions);
    const start = res.trajectory.candidates[0]!;
    expect(start.origin).toBe('initial');
    expect(res.bestScore).toBeGreaterThan(start.score!);
    expect(k.optimizerCalls()).toBe(4 * 8);
    const later = res.trajectory.candidates.filter((c) => c.step >= 2);
    expect(later.length).toBeGreaterThan(0);
    for (const c of later) {
      const meta = c.metaPrompt!;
      const pairs = shownPairs(meta);
      expect(pairs.length).toBeGreaterThan(1);
      expect(pairs.length).toBeLessThanOrEqual(20);
      expect(pairs.map((p) => p.score)).toEqual(pairs.map((p) => p.score).sort((a, b) => a - b));
      expect(meta.match(/^input:\nQ: <INS>\n/gm)).toHaveLength(3);
      expect(meta).toMatch(/Write the text between <INS> and <\/INS>\.$/);
    }
  });

  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const k = await make();
      const r = await opro.optimize(k.ctx, simOptions);
      return r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score, c.step]);
    };
    expect(await run()).toEqual(await run());
  });

  it('stays within the budget (provider counters) and stops with "budget" when it binds', async () => {
    for (const budget of [{ targetCalls: 200 }, { optimizerCalls: 20 }]) {
      const k = await make(budget);
      const res = await opro.optimize(k.ctx, { ...OPRO_DEFAULTS, steps: Infinity });
      expect(res.stoppedBy).toBe('budget');
      expect(k.targetCalls()).toBeLessThanOrEqual(budget.targetCalls ?? Infinity);
      expect(k.optimizerCalls()).toBeLessThanOrEqual(budget.optimizerCalls ?? Infinity);
    }
  });
});
