import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFixtureRun } from './fixture.js';
import { groupCells, loadRunDir } from './load.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'pb-load-'));

describe('loadRunDir', () => {
  it('reads cells, splits samples and groups by (optimizer, task, target) over seeds', () => {
    const run = loadRunDir(writeFixtureRun(tmp()));
    expect(run.cells).toHaveLength(12);
    expect(run.cells[0]!.test).toHaveLength(10);
    expect(run.cells[0]!.dev).toHaveLength(1);
    const groups = groupCells(run.cells);
    expect(groups).toHaveLength(6);
    expect(groups.every((g) => g.cells.map((c) => c.spec.seed).join() === '0,1')).toBe(true);
  });

  it('names file and line of a malformed samples line', () => {
    const dir = writeFixtureRun(tmp());
    const file = path.join(dir, 'cells', 'opro__like-gsm__sim-8b__s0', 'samples.jsonl');
    writeFileSync(file, '{"split":"test","exampleId":"e0","correct":true}\n{"split":"test",\n{"split":"test","exampleId":"e1","correct":true}\n');
    // The cell no longer counts; it is listed as failed with the file and line.
    const run = loadRunDir(dir);
    expect(run.cells.map((c) => c.id)).not.toContain('opro__like-gsm__sim-8b__s0');
    expect(run.missing.find((m) => m.id === 'opro__like-gsm__sim-8b__s0')).toMatchObject({ status: 'failed', reason: `invalid: ${file}:2: malformed JSON line` });
  });

  it('names the field of an invalid result.json', () => {
    const dir = writeFixtureRun(tmp());
    const file = path.join(dir, 'cells', 'opro__like-gsm__sim-8b__s0', 'result.json');
    writeFileSync(file, JSON.stringify({ id: 'x', stoppedBy: 'done', spent: { targetCalls: 1, optimizerCalls: 0, tokens: 1 }, test: { n: 'ten', correct: 1, accuracy: 0.1 } }));
    const run = loadRunDir(dir);
    expect(run.cells.map((c) => c.id)).not.toContain('opro__like-gsm__sim-8b__s0');
    expect(run.missing.find((m) => m.id === 'opro__like-gsm__sim-8b__s0')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/result\.json: invalid test\.n/) });
  });

  it('labels option variants of one optimizer apart, and paper mode', () => {
    const dir = tmp();
    const cell = (id: string, options: object, mode: string) => {
      const d = path.join(dir, 'cells', id);
      mkdirSync(d, { recursive: true });
      const spec = { id, optimizer: 'opro', options, task: 't', target: 'sim-8b', seed: 0, mode };
      writeFileSync(path.join(d, 'result.json'), JSON.stringify({ id, spec, stoppedBy: 'done', spent: { targetCalls: 1, optimizerCalls: 0, tokens: 1 }, test: { n: 1, correct: 1, accuracy: 1 } }));
    };
    cell('a', { k: 1 }, 'equal');
    cell('b', { k: 2 }, 'equal');
    cell('c', {}, 'paper');
    const labels = loadRunDir(dir).cells.map((c) => c.label);
    expect(labels[0]).toMatch(/^opro#[0-9a-f]{4}$/);
    expect(labels[1]).toMatch(/^opro#[0-9a-f]{4}$/);
    expect(labels[0]).not.toBe(labels[1]);
    expect(labels[2]).toBe('opro (paper)');
  });

  it('uses the suite entry\'s own label, and numbers only unlabelled option variants', () => {
    const dir = tmp();
    const cell = (id: string, options: object, label?: string) => {
      const d = path.join(dir, 'cells', id);
      mkdirSync(d, { recursive: true });
      const spec = { id, optimizer: 'abo', ...(label ? { label } : {}), options, task: 't', target: 'sim-8b', seed: 0, mode: 'equal' };
      writeFileSync(path.join(d, 'result.json'), JSON.stringify({ id, spec, stoppedBy: 'done', spent: { targetCalls: 1, optimizerCalls: 0, tokens: 1 }, test: { n: 1, correct: 1, accuracy: 1 } }));
    };
    cell('a', { procedure: true });
    cell('b', { procedure: false }, 'abo-free-reflection');
    expect(loadRunDir(dir).cells.map((c) => c.label)).toEqual(['abo', 'abo-free-reflection']);
  });

  it('rejects a directory that is not a run directory', () => {
    expect(() => loadRunDir(tmp())).toThrow(/not a run directory/);
    expect(() => loadRunDir('/nonexistent/pb-run')).toThrow(/run directory not found/);
  });
});
