import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LLM, LLMRequest } from '../core/types.js';
import { buildReport } from '../reports/index.js';
import { SimWorld } from '../sim/world.js';
import { answerOptimizer } from '../sim/optimizer.js';
import { loadTask } from '../tasks/registry.js';
import {
  askJudge,
  combineOutcomes,
  judgeOrders,
  outcomeOf,
  PAIRWISE_SYSTEM,
  PAIRWISE_TEMPLATE,
  pairwiseUserPrompt,
  parseVerdict,
  readPairwise,
} from './pairwise.js';
import { runSuite } from './runner.js';
import { parseSuiteYaml } from './suite.js';

const fixture = readFileSync(path.resolve(import.meta.dirname, 'testdata/bpo-judge-pair-v2.txt'), 'utf8').split('\n').slice(1).join('\n');

describe('pairwise judge prompt and verdicts', () => {
  it('is BPO\'s judge prompt verbatim (fixture from gpt4_score.py:120)', () => {
    const [system, template] = fixture.split('\n-----\n') as [string, string];
    expect(PAIRWISE_SYSTEM).toBe(system);
    expect(PAIRWISE_TEMPLATE).toBe(template.replace(/\n$/, ''));
    expect(pairwiseUserPrompt('Q?', 'first', 'second')).toBe(
      "[User Question]\nQ?\n\n[The Start of Assistant A's Answer]\nfirst\n[The End of Assistant A's Answer]\n\n[The Start of Assistant B's Answer]\nsecond\n[The End of Assistant B's Answer]",
    );
  });

  it('reads the verdict in the last paragraph as cal_gpt4_score.py does', () => {
    expect(parseVerdict('A is more helpful.\n\n[[A]]')).toBe('A');
    expect(parseVerdict('Both fine.\n\n[[C]]')).toBe('C');
    expect(parseVerdict('Explanation mentions [[A]] format.\n\nFinal verdict: [[B]]')).toBe('B');
    // a verdict outside the last paragraph does not count
    expect(parseVerdict('[[A]]\n\nI cannot decide.')).toBeNull();
    expect(parseVerdict('no verdict at all')).toBeNull();
    // [[A]] is checked first, as in the reference
    expect(parseVerdict('[[A]] or [[B]]')).toBe('A');
    // trailing whitespace is dropped before the split
    expect(parseVerdict('Why.\n\n[[B]]\n\n')).toBe('B');
  });

  it('maps verdicts to the method\'s side and combines both orders conservatively', () => {
    expect(outcomeOf('A', true)).toBe('win');
    expect(outcomeOf('A', false)).toBe('loss');
    expect(outcomeOf('B', true)).toBe('loss');
    expect(outcomeOf('B', false)).toBe('win');
    expect(outcomeOf('C', true)).toBe('tie');
    expect(outcomeOf(null, true)).toBeNull();
    // a judge that always says [[A]] (pure position bias) wins once and loses once: a tie
    expect(combineOutcomes([outcomeOf('A', true), outcomeOf('A', false)])).toBe('tie');
    expect(combineOutcomes([outcomeOf('A', true), outcomeOf('B', false)])).toBe('win');
    expect(combineOutcomes([outcomeOf('B', true), outcomeOf('A', false)])).toBe('loss');
    expect(combineOutcomes(['win', 'tie'])).toBe('tie');
    expect(combineOutcomes(['win', null])).toBe('win');
    expect(combineOutcomes([null, null])).toBeNull();
    expect(combineOutcomes([])).toBeNull();
  });

  it('flips a reproducible coin per prompt for the random order, and shows both orders for both', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `test-${i}`);
    const first = ids.filter((id) => judgeOrders('random', 'cell-x', id)[0]).length;
    expect(first).toBeGreaterThan(160);
    expect(first).toBeLessThan(240);
    expect(ids.map((id) => judgeOrders('random', 'cell-x', id))).toEqual(ids.map((id) => judgeOrders('random', 'cell-x', id)));
    expect(judgeOrders('both', 'cell-x', 'test-0')).toEqual([true, false]);
  });
});

describe('sim pairwise judge', () => {
  const task = loadTask('like/instruct?size=60', { seed: 0 });
  const world = new SimWorld();
  world.register(task);
  const judge = (model: string): LLM => ({
    provider: 'sim',
    model,
    complete: async (req: LLMRequest) => ({ choices: [answerOptimizer(model, req, 0, [], world)], usage: { promptTokens: 0, completionTokens: 0 } }) as never,
  });
  const right = (g: string) => `So the answer is ${g}.`;
  const wrong = (g: string) => `So the answer is not ${g}.`;

  it('prefers the right answer in either position, more reliably when larger', async () => {
    const rate = async (model: string) => {
      let ok = 0;
      let n = 0;
      for (const ex of task.splits.test) {
        for (const first of [true, false]) {
          const j = await askJudge(judge(model), ex.input, right(ex.target), wrong(ex.target), first);
          if (outcomeOf(j.verdict, first) === 'win') ok++;
          n++;
        }
      }
      return ok / n;
    };
    const large = await rate('sim-opt-large');
    const small = await rate('sim-opt-small');
    expect(large).toBeGreaterThan(0.75);
    expect(small).toBeGreaterThan(0.4);
    expect(large).toBeGreaterThan(small);
  });

  it('has a position bias on equal answers that both orders cancel and random order averages out', async () => {
    const j = judge('sim-opt-small');
    let firstWins = 0;
    const both: string[] = [];
    const rnd: string[] = [];
    for (const ex of task.splits.test) {
      const a = await askJudge(j, ex.input, right(ex.target), right(ex.target), true);
      const b = await askJudge(j, ex.input, right(ex.target), right(ex.target), false);
      if (a.verdict === 'A') firstWins++;
      both.push(combineOutcomes([outcomeOf(a.verdict, true), outcomeOf(b.verdict, false)])!);
      const [first] = judgeOrders('random', 'c', ex.id) as [boolean];
      rnd.push(outcomeOf((first ? a : b).verdict, first)!);
    }
    // the biased judge picks the first of two equal answers now and then ...
    expect(firstWins).toBeGreaterThan(5);
    // ... so a fixed order would give the method spurious wins; both orders never do
    expect(both.every((o) => o === 'tie')).toBe(true);
    // and the random order gives as many spurious wins as losses in expectation
    const w = rnd.filter((o) => o === 'win').length;
    const l = rnd.filter((o) => o === 'loss').length;
    expect(Math.abs(w - l)).toBeLessThanOrEqual(Math.max(6, 0.5 * (w + l)));
  });

  it('is symmetric: swapping which side is the method mirrors wins and losses exactly (both orders)', async () => {
    const j = judge('sim-opt-small');
    const tally = async (mine: (g: string) => string, theirs: (g: string) => string) => {
      const out: string[] = [];
      for (const ex of task.splits.test.slice(0, 30)) {
        const js = await Promise.all([true, false].map((f) => askJudge(j, ex.input, mine(ex.target), theirs(ex.target), f)));
        out.push(combineOutcomes(js.map((x) => outcomeOf(x.verdict, x.methodFirst)))!);
      }
      return out;
    };
    const ab = await tally(right, wrong);
    const ba = await tally(wrong, right);
    const mirror = { win: 'loss', loss: 'win', tie: 'tie' } as Record<string, string>;
    expect(ba).toEqual(ab.map((o) => mirror[o]));
    expect(ab.filter((o) => o === 'win').length).toBeGreaterThan(ab.filter((o) => o === 'loss').length);
  });
});

describe('pairwise win rate in a suite run (sim, end to end)', () => {
  it('judges each cell against its baseline cell outside the budget, resumably, and reports win rates', async () => {
    const suite = parseSuiteYaml(`
name: bpo-winrate-small
seeds: [0, 1]
tasks: ['like/instruct?size=24']
targets: [sim-8b]
optimizers:
  - name: empty
  - name: bpo
    preset: paper
budget: { mode: paper }
checkpoints: 0
pairwise: { judge: sim-opt-large, baseline: empty, order: both }
`);
    const out = mkdtempSync(path.join(tmpdir(), 'pb-pairwise-'));
    const r = await runSuite(suite, { out, flags: { cache: false } });
    expect(r.ran).toHaveLength(4);
    const bpoCells = r.cells.filter((c) => c.optimizer === 'bpo');
    expect(r.pairwise?.judged.sort()).toEqual(bpoCells.map((c) => c.id).sort());
    for (const spec of bpoCells) {
      const f = readPairwise(out, spec.id)!;
      expect(f.baseline).toBe('empty');
      expect(f.order).toBe('both');
      expect(f.prompts).toHaveLength(24);
      for (const p of f.prompts) {
        expect(p.judgements.map((j) => j.methodFirst)).toEqual([true, false]);
        expect(p.outcome).toBe(combineOutcomes(p.judgements.map((j) => outcomeOf(j.verdict, j.methodFirst))));
      }
    }
    // judge calls are metered apart: 2 cells x 24 prompts x 2 orders
    expect(r.usage.byRole['judge']?.calls).toBe(96);
    // a rerun judges nothing again
    const again = await runSuite(suite, { out, flags: { cache: false } });
    expect(again.pairwise?.judged).toEqual([]);
    expect(again.usage.total.calls).toBe(0);

    const rep = await buildReport(out, { formats: ['md', 'csv'], png: false });
    const csv = readFileSync(path.join(rep.out, 'csv', 'pairwise.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('task,target,optimizer,baseline,judge,order,seeds,n,unparsed,win,tie,loss,wr,lo,hi,dwr,dLo,dHi');
    expect(csv).toHaveLength(2);
    const cols = csv[1]!.split(',');
    expect(cols.slice(0, 9)).toEqual(['like/instruct?size=24', 'sim-8b', 'bpo (paper)', 'empty', 'sim-opt-large', 'both', '0 1', '24', '0']);
    const [win, tie, loss, wr, lo, hi] = cols.slice(9, 15).map(Number) as [number, number, number, number, number, number];
    expect(win + tie + loss).toBeCloseTo(1, 10);
    expect(wr).toBeCloseTo(win + tie / 2, 10);
    expect(lo).toBeLessThan(wr);
    expect(hi).toBeGreaterThan(wr);
    const md = readFileSync(path.join(rep.out, 'report.md'), 'utf8');
    expect(md).toContain('## Pairwise win rate (judged)');
  });

  it('rejects a baseline that is not an entry label, naming the field', () => {
    expect(() =>
      parseSuiteYaml(
        `name: x
seeds: [0]
tasks: [like/instruct]
targets: [sim-8b]
optimizers: [{ name: bpo }]
budget: { mode: paper }
pairwise: { judge: sim-opt-large, baseline: plain }
`,
        'x.yaml',
      ),
    ).toThrow(/x\.yaml:7: pairwise\.baseline: "plain" is not the label of an entry/);
  });
});
