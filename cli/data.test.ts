import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { downloadDir } from './data.js';

const root = path.resolve(import.meta.dirname, '..');
const bin = path.join(root, 'bin', 'popbench.mjs');
const FIX = path.join(root, 'test/fixtures/data');

function popbench(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: mkdtempSync(path.join(tmpdir(), 'pb-data-')) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.replace(/^npm warn.*\n/gm, '') };
}

describe('popbench data', () => {
  it('list shows the real tasks present in a data dir', () => {
    const r = popbench(['data', 'list', '--data-dir', FIX]);
    expect(r.code).toBe(0);
    const ids = r.stdout.trim().split('\n').filter((l) => !l.startsWith('like/'));
    expect(ids).toEqual(['gsm8k', 'bbh/movie_recommendation', 'bbh/navigate', 'mmlu/anatomy']);
  });

  it('show prints format, split sizes and a rendered example', () => {
    const r = popbench(['data', 'show', 'bbh/navigate', '--data-dir', FIX]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('answer format: yes_no');
    expect(r.stdout).toContain('splits (seed 0): train 2, dev 1, test 7');
    expect(r.stdout).toMatch(/\nQ: If you follow these instructions/);
  });

  it('bad flags and unknown tasks exit 2 with one line', () => {
    for (const args of [['data', 'download', '--only', 'gsm8k,squad'], ['data', 'show', 'bbh/navgate', '--data-dir', FIX]]) {
      const r = popbench(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^popbench: error: (--only: unknown dataset "squad"|unknown task "bbh\/navgate")/);
    }
  });

  it('download destination: flag, then env, then ../shared/datasets beside the repository', () => {
    expect(downloadDir('/tmp/x', { POPBENCH_DATA: '/tmp/y' })).toBe('/tmp/x');
    expect(downloadDir(undefined, { POPBENCH_DATA: '/tmp/y' })).toBe('/tmp/y');
    expect(downloadDir(undefined, {})).toBe(path.resolve(root, '../shared/datasets'));
  });
});
