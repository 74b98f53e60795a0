import { mkdtempSync, readFileSync } from 'node:fs';
import { Session } from './session.js';
import { SimWorld } from '../sim/index.js';
import { startSimServer } from '../sim/server.js';
import { loadTask } from '../tasks/registry.js';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { buildReport } from '../reports/index.js';
import { clusterBootstrapMean } from '../reports/placebo.js';
import { locateShown, placeboPrompt, readPlacebo, shuffleGolds } from './placebo.js';
import { runSuite } from './runner.js';
import { parseSuiteYaml } from './suite.js';

// A ProTeGi-style gradient prompt (Text / Label / Prediction), with a gold "No" that must not be found inside "Now".
const shown = [
  { input: 'Now take 3 steps. Turn around. Take 3 steps.', output: 'I moved... the answer is No.', gold: 'Yes', pred: 'No' },
  { input: 'Take 2 steps left. Take 5 steps right.', output: 'Back at start, so Yes.', gold: 'No', pred: 'Yes' },
];
const meta = [
  "I'm trying to write a zero-shot classifier prompt.",
  'My current prompt is:',
  '"Determine whether you return to the start."',
  'But this prompt gets the following examples wrong:',
  '',
  `Text: ${shown[0]!.input}`,
  `Label: ${shown[0]!.gold}`,
  `Prediction: ${shown[0]!.pred}`,
  '',
  `Text: ${shown[1]!.input}`,
  `Label: ${shown[1]!.gold}`,
  `Prediction: ${shown[1]!.pred}`,
  '',
  'give 4 reasons why the prompt could have gotten these examples wrong.',
].join('\n');

describe('placebo prompts', () => {
  it('locates each shown example\'s fields as whole tokens, in order', () => {
    const blocks = locateShown(meta, shown)!;
    expect(blocks).toHaveLength(2);
    const fields = blocks.map((b) => Object.fromEntries(b.spans.map((s) => [s.field, meta.slice(s.at, s.at + s.len)])));
    expect(fields[0]).toEqual({ input: shown[0]!.input, gold: 'Yes', pred: 'No' });
    expect(fields[1]).toEqual({ input: shown[1]!.input, gold: 'No', pred: 'Yes' });
    expect(locateShown(meta, [{ input: 'not in the prompt', output: '', gold: 'x' }])).toBeUndefined();
  });

  it('builds the four conditions', () => {
    const rng = new Rng(1);
    expect(placeboPrompt(meta, shown, 'real', { rng })).toBe(meta);
    const shuffled = placeboPrompt(meta, shown, 'shuffled', { rng })!;
    expect(shuffled).toContain(`Text: ${shown[0]!.input}\nLabel: No\nPrediction: No`);
    expect(shuffled).toContain(`Text: ${shown[1]!.input}\nLabel: Yes\nPrediction: Yes`);
    const none = placeboPrompt(meta, shown, 'none', { rng })!;
    expect(none).not.toContain('Text:');
    expect(none).toMatch(/examples wrong:\n+give 4 reasons/);
    const correct = placeboPrompt(meta, shown, 'correct', { rng, correct: [{ input: 'Take 1 step. Take 1 step back.', output: 'Yes.', gold: 'Yes', pred: 'Yes' }] })!;
    expect(correct).not.toContain(shown[0]!.input);
    expect(correct.match(/Text: Take 1 step\. Take 1 step back\.\nLabel: Yes\nPrediction: Yes/g)).toHaveLength(2);
    expect(placeboPrompt(meta, shown, 'correct', { rng, correct: [] })).toBeUndefined();
  });

  it('shuffles gold labels so that each one that can move does', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 20; i++) {
      const g = ['Yes', 'No', 'Yes', 'No', 'No'];
      const p = shuffleGolds(g, rng);
      expect([...p].sort()).toEqual([...g].sort());
      // 3 × "No" of 5: at most 4 can get another label, and 4 do.
      expect(p.filter((x, j) => x !== g[j])).toHaveLength(4);
    }
    const even = shuffleGolds(['A', 'B', 'A', 'B', 'C', 'C'], rng);
    expect(even.every((x, j) => x !== ['A', 'B', 'A', 'B', 'C', 'C'][j])).toBe(true);
    expect(shuffleGolds(['A', 'A'], rng)).toEqual(['A', 'A']);
  });

  it('cluster bootstrap: clusters are resampled whole (hand-checked cases)', () => {
    // Identical clusters: every replicate equals the mean.
    expect(clusterBootstrapMean([[1, 0], [1, 0], [0, 1]], 500)).toEqual({ mean: 0.5, lo: 0.5, hi: 0.5 });
    // One cluster of 1s and one of 0s (equal sizes): replicates are 0, 0.5 or 1 with probabilities 1/4, 1/2, 1/4.
    const ci = clusterBootstrapMean([[1, 1, 1], [0, 0, 0]], 4000);
    expect(ci.mean).toBe(0.5);
    expect(ci.lo).toBe(0);
    expect(ci.hi).toBe(1);
  });
});

describe('placebo probes on a run', () => {
  it('re-asks every reflection under the four conditions outside the budget, and the report scores them', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pb-placebo-'));
    const suite = parseSuiteYaml(`
name: placebo
seeds: [0, 1]
tasks: ['like/navigate?size=30']
targets: [sim-8b]
optimizers:
  - name: protegi
    options: { beamWidth: 2, minibatchSize: 16, gradients: 2, mcSamples: 1, maxExpansion: 4, samplesPerEval: 8, promptsPerRound: 4 }
  - name: zero-shot-cot
budget: { mode: equal, targetCalls: 150, optimizerCalls: 30 }
testLimit: 10
placebo: true
`);
    const r = await runSuite(suite, { out, flags: { cache: false } });
    const protegi = r.cells.filter((c) => c.optimizer === 'protegi');
    expect(r.placebo?.probed.sort()).toEqual(protegi.map((c) => c.id).sort());
    for (const c of protegi) {
      const recs = readPlacebo(out, c.id);
      const result = JSON.parse(readFileSync(path.join(out, 'cells', c.id, 'result.json'), 'utf8'));
      expect(result.spent.optimizerCalls).toBeLessThanOrEqual(30);
      const byRefl = new Map<number, string[]>();
      for (const x of recs) byRefl.set(x.reflection, [...(byRefl.get(x.reflection) ?? []), x.condition]);
      expect(byRefl.size).toBeGreaterThan(0);
      for (const conds of byRefl.values()) expect(conds).toEqual(['real', 'correct', 'shuffled', 'none']);
      const first = recs.filter((x) => x.reflection === [...byRefl.keys()][0]);
      const refl = result.trajectory.reflections[first[0]!.reflection];
      expect(first[0]!.metaPrompt).toBe(refl.metaPrompt);
      for (const s of refl.shown) expect(first[3]!.metaPrompt).not.toContain(s.input);
    }
    // Resumable: nothing is asked again.
    const again = await runSuite(suite, { out, flags: { cache: false } });
    expect(again.placebo?.probed).toEqual([]);
    expect(again.usage.total.calls).toBe(0);

    const rep = await buildReport(out, { formats: ['md', 'csv'], png: false });
    const csv = readFileSync(path.join(rep.out, 'csv', 'placebo.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 4);
    expect(csv[1]).toMatch(/^protegi,sim-opt-large,real,/);
    const verdict = readFileSync(path.join(rep.out, 'csv', 'placebo-verdict.csv'), 'utf8');
    expect(verdict).toMatch(/sim-opt-large,protegi,(depends on the evidence|no dependence detected|partly),/);

  }, 120_000);
});

describe('placebo probes of a real optimizer model', () => {
  it('are recorded, and scored only with the report\'s LLM judge', async () => {
    const world = new SimWorld();
    world.register(loadTask('like/navigate?size=30'));
    const sim = await startSimServer({ world });
    process.env.OPENAI_BASE_URL = sim.url;
    const session = new Session({ cache: false });
    try {
      const out = mkdtempSync(path.join(tmpdir(), 'pb-placebo-real-'));
      const suite = parseSuiteYaml(`
name: placebo-real
seeds: [0]
tasks: ['like/navigate?size=30']
targets: [sim-8b]
optimizerModel: openai:sim-opt-large
optimizers:
  - name: protegi
    options: { beamWidth: 2, minibatchSize: 16, gradients: 2, mcSamples: 1, maxExpansion: 4, samplesPerEval: 8, promptsPerRound: 4 }
budget: { mode: equal, targetCalls: 150, optimizerCalls: 30 }
testLimit: 10
placebo: true
`);
      const r = await runSuite(suite, { out, session });
      expect(r.placebo?.probed).toHaveLength(1);
      const plain = await buildReport(out, { formats: ['csv'], png: false, out: path.join(out, 'r1') });
      const table = readFileSync(path.join(plain.out, 'csv', 'placebo.csv'), 'utf8').trim().split('\n');
      expect(table).toHaveLength(1); // header only: not scored without a judge (the note says so)
      const judged = await buildReport(out, { formats: ['csv'], png: false, out: path.join(out, 'r2'), judge: { llm: session.model('sim-opt-large') } });
      const rows = readFileSync(path.join(judged.out, 'csv', 'placebo.csv'), 'utf8').trim().split('\n');
      expect(rows.slice(1).map((x) => x.split(',').slice(0, 3).join(','))).toEqual(['real', 'correct', 'shuffled', 'none'].map((c) => `protegi,openai:sim-opt-large,${c}`));
    } finally {
      session.close();
      delete process.env.OPENAI_BASE_URL;
      await sim.close();
    }
  }, 120_000);
});
