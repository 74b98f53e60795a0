import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, popbench } from './testing.js';

describe('popbench CLI bad input', () => {
  it('unknown task', () => {
    expectOneLineError(popbench(['eval', '--task', 'bbh/navigat', '--limit', '3']), /unknown task "bbh\/navigat".*bbh\/navigate/);
  });

  it('missing data directory', () => {
    expectOneLineError(popbench(['eval', '--task', 'gsm8k', '--data-dir', '/nonexistent/popbench-data']), /--data-dir: directory not found/);
  });

  it('malformed JSONL line names file and line', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-data-'));
    mkdirSync(path.join(dir, 'gsm8k'));
    const good = JSON.stringify({ question: 'What is 1+1?', answer: 'One plus one.\n#### 2' });
    writeFileSync(path.join(dir, 'gsm8k', 'train.jsonl'), `${good}\n${good.slice(0, 20)}\n`);
    writeFileSync(path.join(dir, 'gsm8k', 'test.jsonl'), `${good}\n`);
    expectOneLineError(popbench(['eval', '--task', 'gsm8k', '--data-dir', dir]), /train\.jsonl:2/);
  });

  it('unknown model', () => {
    expectOneLineError(popbench(['eval', '--task', 'like/navigate', '--model', 'gpt-nope']), /unknown model "gpt-nope"/);
  });

  it('missing API key for a real provider, without leaking anything else', () => {
    const r = popbench(['eval', '--task', 'like/navigate', '--model', 'openai:gpt-4o-mini', '--limit', '2'], {
      OPENAI_API_KEY: undefined,
      OPENAI_BASE_URL: undefined,
    });
    expectOneLineError(r, /missing API key: set OPENAI_API_KEY/);
  });

  it('bad flag values', () => {
    expectOneLineError(popbench(['eval', '--task', 'like/navigate', '--limit', 'ten']), /--limit: expected an integer/);
    expectOneLineError(popbench(['eval', '--task', 'like/navigate', '--position', 'middle']), /--position: expected one of before_Q, Q_begin/);
    expectOneLineError(popbench(['eval', '--task', 'like/navigate', '--bogus']), /unknown option '--bogus'/);
    expectOneLineError(popbench(['eval', '--task', 'like/navigate', '--limt', '3']), /unknown option '--limt' \(Did you mean --limit\?\)/);
  });
});

describe('popbench eval', () => {
  it('prints accuracy with a CI and usage, and writes one JSONL sample per example', () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'pb-out-')), 'samples.jsonl');
    const r = popbench(['eval', '--task', 'like/navigate', '--model', 'sim-8b', '--prompt', "Let's think step by step.", '--split', 'test', '--limit', '20', '--out', out, '--no-cache']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const m = /accuracy ([\d.]+)% \((\d+)\/20\), 95% Wilson CI \[([\d.]+)%, ([\d.]+)%\]/.exec(r.stdout);
    expect(m).not.toBeNull();
    const [acc, k, lo, hi] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4])];
    expect(acc).toBeCloseTo((100 * k) / 20, 1);
    expect(lo).toBeLessThanOrEqual(acc);
    expect(hi).toBeGreaterThanOrEqual(acc);
    expect(r.stdout).toMatch(/Usage: 20 calls/);
    const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(20);
    expect(rows.filter((x) => x.correct).length).toBe(k);
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['input', 'prompt', 'output', 'pred', 'gold', 'correct']));
      if (!row.correct) expect(typeof row.trueCause).toBe('string');
    }
  });
});
