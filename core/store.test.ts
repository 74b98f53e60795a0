import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from './errors.js';
import { JsonlRunStore, MemoryRunStore, readRunEvents } from './store.js';

const tmp = () => path.join(mkdtempSync(path.join(tmpdir(), 'pb-store-')), 'run', 'events.jsonl');

describe('run stores', () => {
  it('JSONL store appends each event as a line at once and reads them back in order', () => {
    const file = tmp();
    const s = new JsonlRunStore(file);
    s.emit({ type: 'candidate', id: 'c0', steps: Infinity });
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
    s.emit({ type: 'evaluation', id: 'c0', score: 0.5 });
    expect(readRunEvents(file).map((e) => e.type)).toEqual(['candidate', 'evaluation']);
    expect(readRunEvents(file)[0]!.steps).toBe('Infinity');
    expect(s.events('evaluation')).toHaveLength(1);
    const resumed = new JsonlRunStore(file, { resume: true });
    expect(resumed.events()).toHaveLength(2);
    resumed.emit({ type: 'step' });
    expect(readRunEvents(file)).toHaveLength(3);
  });

  it('skips a line cut off by a crash but names file:line for a malformed complete line', () => {
    const file = tmp();
    new JsonlRunStore(file).emit({ type: 'a' });
    appendFileSync(file, '{"type":"b","x":');
    expect(readRunEvents(file).map((e) => e.type)).toEqual(['a']);
    writeFileSync(file, '{"type":"a"}\nnot json\n');
    expect(() => readRunEvents(file)).toThrow(UserError);
    expect(() => readRunEvents(file)).toThrow(/events\.jsonl:2: malformed JSON line/);
    writeFileSync(file, '{"kind":"a"}\n');
    expect(() => readRunEvents(file)).toThrow(/:1: run store event has no "type"/);
  });

  it('memory store filters by type', () => {
    const m = new MemoryRunStore();
    m.emit({ type: 'x' });
    m.emit({ type: 'y' });
    expect(m.events('y')).toEqual([{ type: 'y' }]);
  });
});
