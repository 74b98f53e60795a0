import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hiColumnOf, scanIntervals } from './scanIntervals.js';

describe('scanIntervals', () => {
  it('finds lo/hi, xLo/xHi and x_lo/x_hi column pairs and "m [lo, hi]" cells', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-scan-'));
    writeFileSync(path.join(dir, 'a.csv'), 'task,mean,lo,hi,hitLo,hitHi,note\nt,0.5,0.4,0.6,0.2,0.2,x\nu,0.5,,,0.1,0.3,y\n');
    writeFileSync(path.join(dir, 'b.csv'), 'task,o0,gap_lo,gap_hi\nt,"48.7 [48.7, 48.7] (1.5)",-0.1,0.1\n');
    writeFileSync(path.join(dir, 'c.txt'), 'lo,hi\n1,0\n');
    const found = scanIntervals(dir);
    expect(found.map((f) => `${f.file}:${f.row} ${f.columns} ${f.lo} ${f.hi}`)).toEqual([
      'a.csv:2 lo/hi 0.4 0.6',
      'a.csv:2 hitLo/hitHi 0.2 0.2',
      'a.csv:3 hitLo/hitHi 0.1 0.3',
      'b.csv:2 gap_lo/gap_hi -0.1 0.1',
      'b.csv:2 o0 48.7 48.7',
    ]);
    expect(found.filter((f) => !(f.hi > f.lo))).toHaveLength(2);
  });

  it('pairs columns by name', () => {
    expect(hiColumnOf('lo')).toBe('hi');
    expect(hiColumnOf('hitLo')).toBe('hitHi');
    expect(hiColumnOf('gap_lo')).toBe('gap_hi');
    expect(hiColumnOf('log')).toBeUndefined();
  });
});
