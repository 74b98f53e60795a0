import { describe, expect, it } from 'vitest';
import type { Cell } from './load.js';
import { checkCell, leakCheck, words } from './leak.js';

const TEMPLATE = 'If you follow these instructions, do you return to the starting point?';
const items = [
  { id: 't1', input: `${TEMPLATE} Take 3 steps. Turn around. Take 3 steps. Always face forward.`, gold: 'Yes' },
  { id: 't2', input: `${TEMPLATE} Take 7 steps left. Take 2 steps backward. Take 9 steps right.`, gold: 'No' },
  { id: 't3', input: `${TEMPLATE} Turn left. Take 4 steps. Turn right twice and take 4 steps.`, gold: 'Yes' },
];
const devItems = [{ id: 'd1', input: `${TEMPLATE} Take 1 step. Turn around. Take 1 step.`, gold: 'Yes' }];

function cell(instruction: string, demos: Array<{ input: string; output: string }> = [], withInputs = true): Cell {
  const sample = (split: 'dev' | 'test') => (x: { id: string; input: string; gold: string }) => ({
    split,
    exampleId: x.id,
    correct: true,
    gold: x.gold,
    ...(withInputs ? { input: x.input } : {}),
  });
  return {
    id: `c-${instruction.length}`,
    spec: { optimizer: 'opro', task: 'bbh/navigate', target: 'sim-8b', seed: 0 },
    label: 'opro',
    result: { id: 'c', stoppedBy: 'budget', spent: { targetCalls: 0, optimizerCalls: 0, tokens: 0 }, test: { n: 3, correct: 3, accuracy: 1 }, best: { instruction, demos } },
    trajectory: { candidates: [], reflections: [], steps: [] },
    test: items.map(sample('test')),
    dev: devItems.map(sample('dev')),
  } as unknown as Cell;
}

describe('prompt-leak check', () => {
  it('tokenises into lowercase words of letters and digits', () => {
    expect(words('Take 7 steps, LEFT! (A)')).toEqual(['take', '7', 'steps', 'left', 'a']);
  });

  it('flags a prompt that quotes a test item, and says when its gold answer follows', () => {
    const leaked = cell(`Solve carefully. Example: ${items[1]!.input} The answer is No. Another: Take 3 steps. Turn around. Take 3 steps. Always face forward.`);
    const hits = checkCell(leaked)!;
    expect(hits.map((h) => [h.exampleId, h.withGold])).toEqual([
      ['t1', false],
      ['t2', true],
    ]);
    expect(hits[1]!.ngram.split(' ')).toHaveLength(8);
  });

  it('does not flag the task template every item shares, nor a clean prompt', () => {
    expect(checkCell(cell(`${TEMPLATE} Track your position after each step; answer Yes or No.`))).toEqual([]);
    expect(checkCell(cell("Let's think step by step."))).toEqual([]);
    // A dev item is not a test leak (dev is the selection set the optimizer may see).
    expect(checkCell(cell(`Like this: ${devItems[0]!.input} Yes`))).toEqual([]);
  });

  it('reads the demos too', () => {
    const hits = checkCell(cell('Answer the question.', [{ input: items[2]!.input, output: 'Yes' }]))!;
    expect(hits).toEqual([expect.objectContaining({ exampleId: 't3', withGold: true })]);
  });

  it('counts cells it could not check (no test inputs recorded) apart', () => {
    const r = leakCheck([cell(items[0]!.input), cell('Fine.', [], false), cell('Clean prompt.')]);
    expect(r.checked).toBe(2);
    expect(r.unchecked).toBe(1);
    expect(r.flagged).toHaveLength(1);
    expect(r.flagged[0]).toMatchObject({ optimizer: 'opro', items: 1, withGold: 0 });
  });
});

describe('prompt-leak check in the report', () => {
  it('lists a cell whose best prompt quotes a test question with its answer', async () => {
    const { mkdtempSync, readFileSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const { runSuite } = await import('../benchmarks/runner.js');
    const { parseSuiteYaml } = await import('../benchmarks/suite.js');
    const { buildReport } = await import('./index.js');
    const out = mkdtempSync(path.join(tmpdir(), 'pb-leak-'));
    const suite = parseSuiteYaml(
      "name: leak\nseeds: [0]\ntasks: ['like/gsm?size=20']\ntargets: [sim-8b]\noptimizers:\n  - name: empty\n  - name: zero-shot-cot\nbudget: { mode: equal, targetCalls: 40 }\ntestLimit: 8\n",
    );
    const r = await runSuite(suite, { out, flags: { cache: false } });
    const id = r.ran.find((x) => x.startsWith('zero-shot-cot'))!;
    const dir = path.join(out, 'cells', id);
    const test = readFileSync(path.join(dir, 'samples.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { split: string; input: string; gold: string; exampleId: string })
      .find((s) => s.split === 'test')!;
    const result = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8'));
    result.best.instruction = `Remember: ${test.input} The answer is ${test.gold}.`;
    writeFileSync(path.join(dir, 'result.json'), JSON.stringify(result));
    const rep = await buildReport(out, { formats: ['md', 'csv'], png: false });
    const md = readFileSync(path.join(rep.out, 'report.md'), 'utf8');
    const section = md.slice(md.indexOf('Prompt-leak check'));
    expect(section).toContain(id);
    expect(section).toMatch(/2 cells checked, 1 flagged/);
    const csv = readFileSync(path.join(rep.out, 'csv', 'leaks.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(2);
    expect(csv).toContain(`${id},zero-shot-cot,like/gsm?size=20,sim-8b,0,1,1,`);
  });
});
