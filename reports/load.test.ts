import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('refuses a cell whose samples.jsonl is cut off, missing, short or disagrees with result.json', () => {
    const id = 'opro__like-gsm__sim-8b__s0';
    const damage: Array<[string, (file: string, text: string) => void, RegExp]> = [
      ['cut-off last line', (f, t) => writeFileSync(f, t.slice(0, t.length - 10)), /samples\.jsonl:11: cut off/],
      ['missing', (f) => rmSync(f), /samples\.jsonl missing/],
      ['a row fewer', (f, t) => writeFileSync(f, t.split('\n').slice(1).join('\n')), /samples\.jsonl: 9 test rows, but result\.json test\.n is 10/],
      ['a row repeated', (f, t) => writeFileSync(f, t.split('\n')[1] + '\n' + t.split('\n').slice(1).join('\n')), /repeated test example id/],
      ['correct flipped', (f, t) => writeFileSync(f, t.replace('"correct":false', '"correct":true')), /correct test rows, but result\.json test\.correct is/],
    ];
    for (const [what, harm, reason] of damage) {
      const dir = writeFixtureRun(tmp());
      const file = path.join(dir, 'cells', id, 'samples.jsonl');
      harm(file, readFileSync(file, 'utf8'));
      const run = loadRunDir(dir);
      expect(run.cells.map((c) => c.id), what).not.toContain(id);
      expect(run.missing.find((m) => m.id === id), what).toMatchObject({ status: 'failed', reason: expect.stringMatching(reason) });
      // The accuracy tables then count only the finished cells' examples.
      expect(run.cells).toHaveLength(11);
    }
  });

  it('refuses impossible counts in result.json (correct > n, accuracy != correct/n)', () => {
    const id = 'opro__like-gsm__sim-8b__s0';
    for (const [test, reason] of [
      [{ n: 10, correct: 999, accuracy: 99.9 }, /test\.accuracy|test\.correct/],
      [{ n: 10, correct: 11, accuracy: 1 }, /test\.correct: correct 11 exceeds n 10/],
      [{ n: 10, correct: 5, accuracy: 0.7 }, /test\.accuracy: accuracy 0\.7 is not correct\/n/],
    ] as const) {
      const dir = writeFixtureRun(tmp());
      const file = path.join(dir, 'cells', id, 'result.json');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), test }));
      const m = loadRunDir(dir).missing.find((x) => x.id === id);
      expect(m).toMatchObject({ status: 'failed', reason: expect.stringMatching(reason) });
    }
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
      writeFileSync(path.join(d, 'samples.jsonl'), JSON.stringify({ split: 'test', exampleId: 'e0', correct: true }) + '\n');
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
      writeFileSync(path.join(d, 'samples.jsonl'), JSON.stringify({ split: 'test', exampleId: 'e0', correct: true }) + '\n');
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
