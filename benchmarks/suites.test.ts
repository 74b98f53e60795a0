/**
 * Every suite shipped in benchmarks/suites loads (schema, task ids, optimizer
 * options against each optimizer's own schema), expands to a grid with unique
 * stable cell ids, and starts with a comment saying what it reproduces.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandCells, loadSuite } from './suite.js';

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
      expect(cells.length).toBe(suite.optimizers.length * suite.tasks.length * suite.targets.length * suite.seeds.length);
      expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
      expect(expandCells(loadSuite(path.join(dir, f))).map((c) => c.id)).toEqual(cells.map((c) => c.id));
    });
  }
});
