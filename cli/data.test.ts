import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { downloadDir } from './data.js';
import { main } from './main.js';
import { writeFixtureData } from '../test/fixtures.js';

const root = path.resolve(import.meta.dirname, '..');
const FIX = writeFixtureData();

/** Run the CLI in-process, capturing stdout (console.log) and stderr writes. */
async function popbench(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ') + '\n'));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (err.push(String(s)), true));
  const code = await main(args);
  vi.restoreAllMocks();
  return { code, stdout: out.join('\n'), stderr: err.join('') };
}

afterEach(() => vi.restoreAllMocks());

describe('popbench data', () => {
  it('list shows the real tasks present in a data dir', async () => {
    const r = await popbench(['data', 'list', '--data-dir', FIX]);
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n').filter((l) => !l.startsWith('like/'));
    expect(ids).toEqual(['gsm8k', 'bbh/movie_recommendation', 'bbh/navigate', 'mmlu/anatomy', 'vicuna']);
  });

  it('show prints format, split sizes and a rendered example', async () => {
    const r = await popbench(['data', 'show', 'bbh/navigate', '--data-dir', FIX]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('answer format: yes_no');
    expect(r.stdout).toContain('splits (seed 0): train 2, dev 1, test 7');
    expect(r.stdout).toMatch(/\nQ: End your answer with .*\nIf you follow these instructions/);
  });

  it('bad flags and unknown tasks exit 2 with one line', async () => {
    for (const args of [['data', 'download', '--only', 'gsm8k,squad'], ['data', 'show', 'bbh/navgate', '--data-dir', FIX], ['data', 'show', 'gsm8k', '--seed', 'x', '--data-dir', FIX]]) {
      const r = await popbench(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^popbench: error: (--only: unknown dataset "squad"|unknown task "bbh\/navgate"|--seed: expected an integer)/);
    }
  });

  it('download destination: flag, then env, then ../shared/datasets beside the repository', () => {
    expect(downloadDir('/tmp/x', { POPBENCH_DATA: '/tmp/y' })).toBe('/tmp/x');
    expect(downloadDir(undefined, { POPBENCH_DATA: '/tmp/y' })).toBe('/tmp/y');
    expect(downloadDir(undefined, {})).toBe(path.resolve(root, '../shared/datasets'));
  });
});
