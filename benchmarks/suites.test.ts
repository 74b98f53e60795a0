/**
 * Every suite shipped in benchmarks/suites loads (schema, task ids, optimizer
 * options against each optimizer's own schema), expands to a grid with unique
 * stable cell ids, and starts with a comment saying what it reproduces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandCells, loadSuite, simVariants } from './suite.js';

const dir = path.resolve(import.meta.dirname, 'suites');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

describe('shipped suites', () => {
  it('include the reproduction, ablation, equal-budget and reflection suites', () => {
    expect(files).toEqual(expect.arrayContaining(['smoke.yaml', 'equal-budget.yaml', 'opro-bbh.yaml', 'ablation-opro.yaml', 'ablation-protegi.yaml', 'reflection.yaml']));
  });

  for (const f of files) {
    it(`${f} loads, expands to unique cells and documents itself`, () => {
      const text = readFileSync(path.join(dir, f), 'utf8');
      expect(text.split('\n')[0]).toMatch(/^# \S/);
      const suite = loadSuite(path.join(dir, f));
      const cells = expandCells(suite);
      expect(cells.length).toBe(suite.optimizers.length * suite.tasks.length * suite.targets.length * suite.seeds.length * suite.worlds.length * simVariants(suite.sim).length);
      expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
      expect(expandCells(loadSuite(path.join(dir, f))).map((c) => c.id)).toEqual(cells.map((c) => c.id));
    });
  }
});

describe('reproduction suites', () => {
  for (const name of ['gpo', 'mipro', 'abo', 'bpo']) {
    it(`${name}.yaml runs its method with the paper preset and says what it reproduces`, () => {
      const text = readFileSync(path.join(dir, `${name}.yaml`), 'utf8');
      expect(text.split('\n')[0]).toMatch(/^# Reproduces /);
      const suite = loadSuite(path.join(dir, `${name}.yaml`));
      const own = suite.optimizers.filter((o) => o.name === name);
      expect(own.length).toBeGreaterThan(0);
      for (const o of own) expect(o.preset).toBe('paper');
    });
  }
});

describe('bpo-winrate.yaml', () => {
  it('judges BPO (paper preset) against the original prompts and says what it reproduces', () => {
    const text = readFileSync(path.join(dir, 'bpo-winrate.yaml'), 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# Reproduces /);
    const suite = loadSuite(path.join(dir, 'bpo-winrate.yaml'));
    expect(suite.optimizers.find((o) => o.name === 'bpo')?.preset).toBe('paper');
    expect(suite.pairwise).toMatchObject({ baseline: 'empty', order: 'random' });
  });
});

describe('docs/benchmarks.md suite example', () => {
  it('is a valid suite with the grid it describes', async () => {
    const { parseSuiteYaml } = await import('./suite.js');
    const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/benchmarks.md'), 'utf8');
    const block = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const suite = parseSuiteYaml(block, 'docs/benchmarks.md');
    const cells = expandCells(suite);
    expect(cells).toHaveLength(2 * 2 * 2 * 3);
    expect(cells[0]!.id).toMatch(/^opro-noscores__like-navigate/);
    expect(cells[0]!.options).toMatchObject({ showScores: false });
    expect(cells[0]!.optimizerModel).toBe('sim-opt-small');
    const withInitial = cells.find((c) => c.label === 'opro-paper')!;
    expect(withInitial.initial).toMatchObject({ instruction: "Let's solve the problem.", position: 'Q_begin' });
  });
});
