import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildReport } from '../reports/index.js';
import type { Cell, RunDir } from '../reports/load.js';
import { transferAnalysis } from '../reports/transfer.js';
import { readTransfer } from './transfer.js';
import { runSuite } from './runner.js';
import { parseSuiteYaml } from './suite.js';

const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-transfer-${p}-`));

describe('cross-model transfer', () => {
  it('scores every cell\'s prompt on the other targets outside the budget, resumably, and the report pairs it with the own prompt', async () => {
    const suite = parseSuiteYaml(`
name: transfer
seeds: [0, 1]
tasks: ['like/navigate?size=20']
targets: [sim-1b, sim-8b]
optimizers:
  - name: empty
  - name: zero-shot-cot
budget: { mode: equal, targetCalls: 40 }
testLimit: 10
transfer: true
`);
    const out = tmp('run');
    const r = await runSuite(suite, { out, flags: { cache: false } });
    expect(r.ran).toHaveLength(8);
    expect(r.transfer?.evaluated).toHaveLength(8);
    for (const spec of r.cells) {
      const t = readTransfer(out, spec.id)!;
      expect(t.source).toBe(spec.target);
      const other = spec.target === 'sim-1b' ? 'sim-8b' : 'sim-1b';
      expect(Object.keys(t.targets)).toEqual([other]);
      expect(t.targets[other]!.n).toBe(10);
      // The budget of the cell is untouched by transfer scoring.
      const res = JSON.parse(readFileSync(path.join(out, 'cells', spec.id, 'result.json'), 'utf8'));
      expect(res.spent.targetCalls).toBeLessThanOrEqual(40);
    }
    // A rerun finds everything done: no model call.
    const again = await runSuite(suite, { out, flags: { cache: false } });
    expect(again.transfer?.evaluated).toEqual([]);
    expect(again.usage.total.calls).toBe(0);

    const rep = await buildReport(out, { formats: ['md', 'csv'], png: false });
    const csv = readFileSync(path.join(rep.out, 'csv', 'transfer.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(1 + 2 * 2); // 2 optimizers x 2 ordered target pairs
    // A fixed prompt is the same prompt on every target: transferred = own, Δ = 0 exactly.
    for (const line of csv.slice(1)) expect(line).toMatch(/,10,([0-9.]+),\1,0,0,0$/);
    expect(rep.files.some((f) => f.endsWith(path.join('plots', 'transfer-like-navigate-size-20.svg')))).toBe(true);
  });

  it('pairs by example with seeds averaged within each example (hand-computed)', () => {
    const dir = tmp('hand');
    const cell = (label: string, target: string, seed: number, test: Record<string, boolean>): Cell =>
      ({
        id: `${label}-${target}-${seed}`,
        spec: { optimizer: label, task: 't', target, seed },
        label,
        result: {},
        trajectory: { candidates: [], reflections: [], steps: [] },
        test: Object.entries(test).map(([exampleId, correct]) => ({ split: 'test', exampleId, correct })),
        dev: [],
      }) as unknown as Cell;
    const cells = [cell('o', 'A', 0, { a: true, b: true }), cell('o', 'A', 1, { a: true, b: true }), cell('o', 'B', 0, { a: false, b: false }), cell('o', 'B', 1, { a: true, b: false })];
    const write = (id: string, outcomes: Record<string, boolean>) => {
      mkdirSync(path.join(dir, 'cells', id), { recursive: true });
      const list = Object.entries(outcomes).map(([exampleId, correct]) => ({ exampleId, correct }));
      writeFileSync(path.join(dir, 'cells', id, 'transfer.json'), JSON.stringify({ source: 'A', targets: { B: { n: 2, correct: list.filter((x) => x.correct).length, accuracy: 0, outcomes: list } } }));
    };
    // A's prompt on B: seed 0 a=1 b=0; seed 1 a=1 b=1.   B's own: seed 0 a=0 b=0; seed 1 a=1 b=0.
    write('o-A-0', { a: true, b: false });
    write('o-A-1', { a: true, b: true });
    const run = { dir, suite: undefined, cells, missing: [] } as unknown as RunDir;
    const a = transferAnalysis(run, 200);
    expect(a.rows).toHaveLength(1);
    const row = a.rows[0]!;
    expect(row).toMatchObject({ optimizer: 'o', source: 'A', dest: 'B', n: 2, seeds: [0, 1] });
    // d_a = ((1-0)+(1-1))/2 = 0.5, d_b = ((0-0)+(1-0))/2 = 0.5 → Δ = 0.5; acc = (1 + 0.5)/2; own = (0.5 + 0)/2.
    expect(row.diff).toBeCloseTo(0.5, 12);
    expect(row.accuracy).toBeCloseTo(0.75, 12);
    expect(row.own).toBeCloseTo(0.25, 12);
    expect(row.lo).toBeCloseTo(0.5, 12);
    expect(row.hi).toBeCloseTo(0.5, 12);
    expect(a.notes).toEqual([]);
  });
});
