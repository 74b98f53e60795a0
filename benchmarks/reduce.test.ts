import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandCells, loadSuite } from './suite.js';
import { reduceSuite } from './reduce.js';

const suites = path.resolve(import.meta.dirname, 'suites');

describe('reduceSuite', () => {
  it('keeps entries, presets and paper values; cuts seeds, tasks, budget and test set', () => {
    const full = loadSuite(path.join(suites, 'gpo.yaml'));
    const r = reduceSuite(path.join(suites, 'gpo.yaml'), { tasks: 1, targetCalls: 20, testLimit: 10 });
    expect(r.optimizers).toEqual(full.optimizers);
    expect(r.seeds).toEqual([0, 1]);
    expect(r.tasks).toEqual(['bbh/navigate']);
    expect(r.budget).toMatchObject({ mode: 'equal', targetCalls: 20, optimizerCalls: 8 });
    expect(r.testLimit).toBe(10);
    // The BBH average keeps the one BBH task left; the MMLU value has none and is dropped.
    expect(r.paper?.map((p) => p.tasks)).toEqual([['bbh/navigate']]);
    expect(expandCells(r)).toHaveLength(full.optimizers.length * 2);
  });
});
