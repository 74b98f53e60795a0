import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import type { Example } from '../core/types.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Layout, Position, Task } from '../core/types.js';
import { oproAccuracy, oproNormalizedPrediction } from '../tasks/scoring.js';
import { renderPrompt } from '../tasks/task.js';
import {
  buildOproMetaPrompt,
  exemplarInput,
  filterOproCandidates,
  opro,
  OPRO_DEFAULTS,
  oproInitial,
  oproPaperPreset,
  oproPaperSplits,
  parseOproReply,
  polishSentence,
  selectPairs,
  shownScore,
  thresholdForScorer,
  type ScoredInstruction,
} from './opro.js';
import { fakeQuality, makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';

const ex = (i: number): Example => ({ id: `e${i}`, input: `Question number ${i}?`, target: `${i}` });
const base = { position: 'Q_begin' as const, maxPairs: 20, showScores: true, rng: new Rng(1) };

/** 25 instructions with distinct accuracies. */
const history: ScoredInstruction[] = Array.from({ length: 25 }, (_, i) => ({
  instruction: `instruction ${i}`,
  score: ((i * 7) % 25) / 40 + 0.0125,
}));

function shownPairs(meta: string): { text: string; score: number }[] {
  return [...meta.matchAll(/text:\n(.*)\nscore:\n(\d+)/g)].map((m) => ({ text: m[1]!, score: Number(m[2]) }));
}

/** Reference outputs (header: "source" in the fixture file). */
const REF = JSON.parse(readFileSync(path.join(import.meta.dirname, 'reference/opro-reference.json'), 'utf8')) as {
  source: string;
  metaPrompts: Record<string, string>;
  genPrompt: Record<string, string>;
  scoring: Array<{ true: string; pred: string; input: string; includeAsCorrect: boolean; treatAsNumber: boolean; treatAsBool: boolean; normalized: string; correct: boolean }>;
};

describe('OPRO meta-prompts equal the reference (reference/opro-reference.json)', () => {
  const refHistory: ScoredInstruction[] = [
    { instruction: '', score: 0.125 },
    { instruction: "Let's think step by step.", score: 0.5 },
    { instruction: 'Solve it carefully.', score: 0.375 },
    { instruction: 'Think about each step.', score: 0.25 },
  ];
  const exemplars = [1, 2, 3].map(ex);
  it('the fixture names its source', () => {
    expect(REF.source).toMatch(/opt_utils\.py:90-335/);
    expect(Object.keys(REF.metaPrompts).length).toBeGreaterThanOrEqual(24);
  });
  for (const [key, expected] of Object.entries(REF.metaPrompts)) {
    it(key, () => {
      const [name, layout, position, thr, buckets] = key.split('|') as [string, Layout, Position, string, string | undefined];
      const got = buildOproMetaPrompt({
        history: refHistory,
        exemplars,
        position,
        layout,
        style: name === 'text-bison' ? 'palm' : 'gpt',
        maxPairs: 20,
        threshold: Number(thr),
        scoreBuckets: buckets === 'buckets20' ? 20 : 100,
        showScores: true,
        rng: new Rng(1),
      });
      expect(got).toBe(expected);
    });
  }
  it('target prompts equal gen_prompt (layouts and positions)', () => {
    for (const [key, expected] of Object.entries(REF.genPrompt)) {
      const [layout, position, ins] = key.split('|') as [Layout, Position, string];
      expect(renderPrompt({ instruction: ins, position, layout }, 'What is 2+3?'), key).toBe(expected);
    }
  });
  it("paper scoring equals OPRO's _get_accuracy on its normalized prediction", () => {
    for (const c of REF.scoring) {
      const norm = oproNormalizedPrediction(c.pred, { treatAsNumber: c.treatAsNumber, treatAsBool: c.treatAsBool }).replace(/^:+|:+$/g, '').trim().split('\n')[0]!.split('Q:')[0]!;
      expect(norm, c.pred).toBe(c.normalized);
      expect(oproAccuracy(c.true, norm, c.input, c.includeAsCorrect), `${c.true} / ${c.pred}`).toBe(c.correct);
    }
  });
});

describe('OPRO meta-prompt parts', () => {
  const meta = buildOproMetaPrompt({ ...base, history, exemplars: [ex(1), ex(2), ex(3)] });

  it('shows at most 20 pairs, the best ones, in ascending score order', () => {
    const pairs = shownPairs(meta);
    expect(pairs).toHaveLength(20);
    const scores = pairs.map((p) => p.score);
    expect(scores).toEqual([...scores].sort((a, b) => a - b));
    const worst5 = [...history].sort((a, b) => a.score - b.score).slice(0, 5).map((h) => h.instruction);
    for (const w of worst5) expect(pairs.map((p) => p.text)).not.toContain(w);
  });

  it('shows scores as round(buckets·acc) with half-even rounding; the threshold drops low pairs after the top-20 cut', () => {
    expect(shownScore(0.125)).toBe(12);
    expect(shownScore(0.375)).toBe(38);
    expect(shownScore(0.625)).toBe(62);
    expect(shownScore(1)).toBe(100);
    expect(shownScore(0.525, 20)).toBe(10);
    const kept = selectPairs(history, { maxPairs: 20, threshold: 0.3, rng: new Rng(1) });
    expect(kept.every((p) => p.score >= 0.3)).toBe(true);
    expect(kept.length).toBeLessThan(20);
    expect(thresholdForScorer('gpt-3.5-turbo')).toBe(0.3);
    expect(thresholdForScorer('openai:gpt-4')).toBe(0.3);
    expect(thresholdForScorer('sim-8b')).toBe(0);
  });

  it('§5.3 ablations: no scores (still ascending), descending, random order', () => {
    const noScores = buildOproMetaPrompt({ ...base, showScores: false, history, exemplars: [] });
    expect(noScores).not.toContain('score:');
    const texts = [...noScores.matchAll(/text:\n(.*)\n/g)].map((m) => m[1]);
    const asc = selectPairs(history, { maxPairs: 20, rng: new Rng(1) }).map((p) => p.instruction);
    expect(texts).toEqual(asc);
    const desc = shownPairs(buildOproMetaPrompt({ ...base, order: 'descending', history, exemplars: [] })).map((p) => p.score);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    const orders = [1, 2, 3].map((s) =>
      selectPairs(history, { maxPairs: 20, order: 'random', rng: new Rng(s) })
        .map((p) => p.instruction)
        .join('|'),
    );
    expect(new Set(orders).size).toBeGreaterThan(1);
    expect(buildOproMetaPrompt({ ...base, style: 'palm', order: 'descending', history, exemplars: [] })).toContain('arranged in descending order');
  });

  it('the exemplars show where the instruction goes in the target', () => {
    expect(exemplarInput('Q?', 'Q_end')).toBe('input:\nQ: Q?\n<INS>\nA:');
    expect(exemplarInput('Q?', 'Q_begin', 'plain')).toBe('Problem:\n<INS>\nQ?\n');
    expect(exemplarInput('Q?', 'A_begin', 'qa', 'gpt')).toBe('Q: Q?\nA: <Start>');
  });
});

describe('OPRO replies and filters', () => {
  it('GPT text: the text between the tags; PaLM text: the first [...]', () => {
    expect(parseOproReply('Sure! <INS> Think hard. </INS> Hope it helps')).toBe('Think hard.');
    expect(parseOproReply('<INS>Open only')).toBe('Open only');
    expect(parseOproReply('  plain text  ')).toBe('plain text');
    expect(parseOproReply('<Start>Go on.</Start>', 'gpt', true)).toBe('Go on.');
    expect(parseOproReply('New text: [Think hard.] ok [x]', 'palm')).toBe('Think hard.');
    expect(parseOproReply('no brackets', 'palm')).toBe('');
  });

  it('polishes, then drops duplicates (earlier steps and the batch), too-long, digit (GSM8K) and "INS" candidates', () => {
    expect(polishSentence('  **think** hard ')).toBe('Think hard');
    const seen = new Set(['Old one']);
    const long = 'x'.repeat(501);
    const { keep, dropped } = filterOproCandidates(
      ['old one', 'new one', 'New one', long, 'y'.repeat(500), 'Put it in <INS>', 'Add 2 numbers'],
      seen,
      500,
      true,
    );
    expect(keep).toEqual(['New one', 'Y' + 'y'.repeat(499)]);
    expect(dropped.map((d) => d.reason)).toEqual(['duplicate', 'duplicate', 'too-long', 'contains-INS', 'contains-digit']);
    expect(seen.has('X' + 'x'.repeat(500))).toBe(true); // added before the length filter, as in the reference
    expect(filterOproCandidates(['Add 2 numbers'], new Set(), 500, false).keep).toEqual(['Add 2 numbers']);
  });
});

describe('OPRO options and reference settings', () => {
  it('defaults are the reference values and the schema is strict', () => {
    expect(OPRO_DEFAULTS).toMatchObject({ steps: 200, candidatesPerStep: 8, maxPairs: 20, numExemplars: 3, optimizerTemperature: 1, maxLength: 500, metaPrompt: 'gpt', scoreBuckets: 100, scoreThreshold: 'by-scorer', digitFilter: 'gsm8k', order: 'ascending' });
    expect(opro.schema.parse(OPRO_DEFAULTS)).toEqual(OPRO_DEFAULTS);
    expect(() => opro.schema.parse({ ...OPRO_DEFAULTS, stepz: 3 })).toThrow();
    expect(opro.schema.parse({ ...OPRO_DEFAULTS, steps: Infinity }).steps).toBe(Infinity);
    expect(opro.schema.parse({ ...OPRO_DEFAULTS, steps: 'inf' }).steps).toBe(Infinity);
    expect(() => opro.schema.parse({ ...OPRO_DEFAULTS, steps: -1 })).toThrow();
  });

  it('starting prompt: "Let\'s solve the problem." (empty on BBH) at Q_begin without Q/A', () => {
    expect(oproInitial('gsm8k')).toEqual({ instruction: "Let's solve the problem.", position: 'Q_begin', layout: 'plain' });
    expect(oproInitial('bbh/navigate')).toEqual({ instruction: '', position: 'Q_begin', layout: 'plain' });
  });

  it('paper preset: 20% of a BBH task scored, 80% tested; 3.5% of GSM8K train (261 of 7,473)', () => {
    const mk = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ id: `${p}-${i}`, input: `${p}${i}`, target: '1' }));
    const bbh = { id: 'bbh/navigate', splits: { train: mk(50, 'a'), dev: mk(25, 'b'), test: mk(175, 'c') } } as unknown as Task;
    const s = oproPaperSplits(bbh, 0);
    expect(s.dev).toHaveLength(50);
    expect(s.train).toBe(s.dev);
    expect(s.test).toHaveLength(200);
    expect(new Set([...s.dev, ...s.test].map((e) => e.id)).size).toBe(250);
    const gsm = { id: 'gsm8k', splits: { train: mk(7273, 'tr'), dev: mk(200, 'dv'), test: mk(1319, 'te') } } as unknown as Task;
    const g = oproPaperSplits(gsm, 0);
    expect(g.dev).toHaveLength(261);
    expect(g.test).toHaveLength(1319);
    expect(oproPaperPreset('bbh/navigate')).toMatchObject({ options: { steps: 200 }, scoring: 'paper', initial: { instruction: '' } });
    expect(oproPaperPreset('like/navigate')).toBeUndefined();
  });

  it('paper preset selects the reference\'s own examples (np.random.seed(0) + choice, optimize_instructions.py:660-667)', () => {
    // examples in file order, ids as the loaders give them (ex-<i> for BBH, train-<i> for GSM8K), spread over popbench's splits
    const file = (n: number, p: string) => new Rng(3).shuffle(Array.from({ length: n }, (_, i) => ({ id: `${p}-${i}`, input: `${p}${i}`, target: '1' })));
    const all = file(250, 'ex');
    const bbh = { id: 'bbh/navigate', splits: { train: all.slice(0, 50), dev: all.slice(50, 75), test: all.slice(75) } } as unknown as Task;
    const s = oproPaperSplits(bbh, 0);
    // np.random.seed(0); np.sort(np.random.choice(250, size=int(0.2 * 250), replace=False)) (NumPy 2.4.6)
    const ref = [
      5, 8, 12, 22, 37, 44, 45, 55, 63, 64, 73, 76, 83, 89, 90, 92, 96, 97, 107, 108, 110, 111, 116, 118, 122, 126, 130, 136, 139, 150, 152, 154, 155,
      156, 157, 161, 162, 166, 173, 176, 179, 186, 194, 198, 203, 204, 218, 225, 231, 237,
    ];
    expect(s.dev.map((e) => e.id)).toEqual(ref.map((i) => `ex-${i}`));
    expect(s.test.map((e) => e.id)).toEqual(Array.from({ length: 250 }, (_, i) => i).filter((i) => !ref.includes(i)).map((i) => `ex-${i}`));
    const tr = file(7473, 'train');
    const gsm = { id: 'gsm8k', splits: { train: tr.slice(200), dev: tr.slice(0, 200), test: [] } } as unknown as Task;
    // np.random.seed(0); np.sort(np.random.choice(7473, size=int(0.035 * 7473), replace=False))[:10]
    expect(oproPaperSplits(gsm, 0).dev.slice(0, 10).map((e) => e.id)).toEqual([29, 33, 38, 39, 42, 49, 72, 98, 134, 144].map((i) => `train-${i}`));
    // another split seed is np.random.seed(s): a different draw of the same size
    expect(oproPaperSplits(bbh, 1).dev.map((e) => e.id)).not.toEqual(s.dev.map((e) => e.id));
    expect(oproPaperSplits(bbh, 1).dev).toHaveLength(50);
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

  it('starts from ctx.initial, at its position and layout, and shows that in the exemplars', async () => {
    const f = makeFakeContext();
    f.ctx.initial = { instruction: "Let's solve the problem.", position: 'Q_end', layout: 'plain' };
    const res = await opro.optimize(f.ctx, { ...options, steps: 1 });
    const start = res.trajectory.candidates[0]!;
    expect(start.prompt).toEqual({ instruction: "Let's solve the problem.", position: 'Q_end', layout: 'plain' });
    expect(res.trajectory.candidates[1]!.metaPrompt).toMatch(/Problem:\n.*\n<INS>\n/);
    const g = makeFakeContext();
    const a = await opro.optimize(g.ctx, { ...options, steps: 1, position: 'A_begin' });
    expect(a.trajectory.candidates[1]!.metaPrompt).toContain('A: <Start>');
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
      expect(meta).toMatch(/generally applicable to all problems above\.$/);
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

describe('OPRO with its reference settings in the sim', () => {
  it('improves on the test split over its starting prompt (like/navigate)', async () => {
    const k = await makeTestContext({ task: 'like/navigate', devSize: 30, seed: 1 });
    k.ctx.initial = oproInitial('like/navigate');
    const res = await opro.optimize(k.ctx, { ...OPRO_DEFAULTS, steps: 4 });
    const test = k.task.splits.test.slice(0, 200);
    const best = await k.ctx.evaluator.evaluate(res.best, test);
    const start = await k.ctx.evaluator.evaluate(res.trajectory.candidates[0]!.prompt, test);
    expect(res.best.layout).toBe('plain');
    expect(best.accuracy).toBeGreaterThan(start.accuracy);
  });
});
