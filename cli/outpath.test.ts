import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { checkOutDir, checkOutFile, writeOrRescue } from './outpath.js';
import { expectOneLineError, popbenchInProcess } from './testing.js';

/** A scratch folder holding a file `f` and a folder `d`. */
function scratch(): { dir: string; file: string; folder: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'pb-outpath-'));
  writeFileSync(path.join(dir, 'f'), 'keep me\n');
  mkdirSync(path.join(dir, 'd'));
  return { dir, file: path.join(dir, 'f'), folder: path.join(dir, 'd') };
}

describe('output paths are checked before any work', () => {
  it('checkOutFile / checkOutDir name the problem', () => {
    const s = scratch();
    expect(() => checkOutFile('--out', s.folder)).toThrow(/--out: .* is a directory/);
    expect(() => checkOutFile('--out', path.join(s.file, 'r.json'))).toThrow(/--out: .*f is a file, not a directory/);
    expect(() => checkOutFile('--out', path.join(s.file, 'a', 'b', 'r.json'))).toThrow(/is a file, not a directory/);
    expect(() => checkOutFile('--out', '/proc/x.jsonl')).toThrow(/--out: cannot write in \/proc/);
    expect(() => checkOutFile('--out', '/dev/null')).toThrow(/not a regular file/);
    expect(() => checkOutFile('--out', '')).toThrow(UserError);
    expect(checkOutFile('--out', path.join(s.dir, 'new', 'deeper', 'r.json'))).toMatch(/r\.json$/);
    expect(checkOutFile('--out', s.file)).toBe(s.file); // an existing file is replaced
    expect(() => checkOutDir('--out', s.file)).toThrow(/--out: .* is a file, not a directory/);
    expect(() => checkOutDir('--out', path.join(s.file, 'x'))).toThrow(/is a file, not a directory/);
    expect(checkOutDir('--out', path.join(s.dir, 'runs', 'r1'))).toMatch(/r1$/);
    // Nothing is created by the checks (no folders, no leftover probe files).
    expect(readdirSync(s.dir).sort()).toEqual(['d', 'f']);
  });

  it('a failing final write saves the result elsewhere and says where', () => {
    const s = scratch();
    let msg = '';
    try {
      writeOrRescue('--out', path.join(s.file, 'r.json'), '{"best":1}', 'result');
    } catch (err) {
      expect(err).toBeInstanceOf(UserError);
      msg = (err as Error).message;
    }
    const m = /--out: cannot write .*r\.json \(\w+\); the result was saved to (\S+)$/.exec(msg);
    expect(m).not.toBeNull();
    expect(readFileSync(m![1]!, 'utf8')).toBe('{"best":1}');
  });

  const cases: Array<[string, (s: ReturnType<typeof scratch>) => string[], RegExp]> = [
    ['optimize --out <dir>', (s) => ['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--out', s.folder], /^popbench: error: --out: .* is a directory/],
    ['optimize --out <file>/r.json', (s) => ['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--out', path.join(s.file, 'r.json')], /--out: .* is a file, not a directory/],
    ['optimize --events <dir>', (s) => ['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--events', s.folder], /--events: .* is a directory/],
    ['optimize --events <file>/e.jsonl', (s) => ['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--events', path.join(s.file, 'e.jsonl')], /--events: .* is a file, not a directory/],
    ['optimize --out = --events', (s) => ['optimize', '--optimizer', 'opro', '--task', 'like/gsm', '--budget', '20', '--out', path.join(s.dir, 'x'), '--events', path.join(s.dir, 'x')], /--out and --events: both name/],
    ['demo --out <dir>', (s) => ['demo', '--out', s.folder], /--out: .* is a directory/],
    ['run --out <file>', (s) => ['run', 'benchmarks/suites/smoke.yaml', '--out', s.file], /--out: .* is a file, not a directory/],
    ['merge --out <file>', (s) => ['merge', s.folder, '--out', s.file], /--out: .* is a file, not a directory/],
    ['report --out <file>/x', (s) => ['report', s.folder, '--out', path.join(s.file, 'x')], /--out: .* is a file, not a directory/],
    ['proxy --out <file>', (s) => ['proxy', '--task', 'like/gsm', '--budget', '10', '--out', s.file], /--out: .* is a file, not a directory/],
    ['data download --data-dir <file>', (s) => ['data', 'download', '--data-dir', s.file, '--only', 'gsm8k'], /--data-dir: .* is a file, not a directory/],
    ['eval --out /proc/x.jsonl', () => ['eval', '--task', 'like/gsm', '--limit', '3', '--out', '/proc/x.jsonl'], /--out: cannot write in \/proc/],
    ['eval --out <file>/x.jsonl', (s) => ['eval', '--task', 'like/gsm', '--limit', '3', '--out', path.join(s.file, 'x.jsonl')], /--out: .* is a file, not a directory/],
  ];
  for (const [name, args, pattern] of cases)
    it(`${name}: one line, exit 2, nothing written`, async () => {
      const s = scratch();
      const argv = args(s).map((a) => (a.startsWith('benchmarks/') ? path.resolve(import.meta.dirname, '..', a) : a));
      const r = await popbenchInProcess(argv);
      expectOneLineError(r, pattern);
      expect(r.stdout).toBe(''); // refused before any work started
      expect(readdirSync(s.dir).sort()).toEqual(['d', 'f']);
      expect(readdirSync(s.folder)).toEqual([]);
      expect(readFileSync(s.file, 'utf8')).toBe('keep me\n');
    });

  it('eval checks every flag before opening --out (no stray temp file)', async () => {
    const s = scratch();
    const out = path.join(s.dir, 'mt.jsonl');
    for (const bad of [['--max-tokens', '0'], ['--limit', '0'], ['--demos', '-1'], ['--temperature', 'hot']]) {
      const r = await popbenchInProcess(['eval', '--task', 'like/gsm', '--limit', '3', ...bad, '--out', out]);
      expectOneLineError(r, new RegExp(bad[0]!));
      expect(readdirSync(s.dir).sort()).toEqual(['d', 'f']);
    }
    expect(existsSync(out)).toBe(false);
  });
});

describe('number flags take plain decimal numbers in a documented range', () => {
  for (const [flag, value] of [
    ['--limit', '1e2'],
    ['--limit', '0x10'],
    ['--limit', '1.0'],
    ['--limit', ''],
    ['--limit', '+3'],
    ['--max-tokens', '99999999999999999999'],
    ['--max-tokens', '1000001'],
    ['--seed', '-1'],
    ['--seed', '9007199254740993'],
    ['--temperature', '0x1'],
    ['--temperature', ''],
    ['--temperature', 'Infinity'],
  ] as const)
    it(`${flag} ${JSON.stringify(value)} is refused`, async () => {
      const r = await popbenchInProcess(['eval', '--task', 'like/gsm', flag, value]);
      expectOneLineError(r, new RegExp(`${flag}: expected an? (integer in \\[\\d+, \\d+\\]|decimal number)`));
    });
});

describe('generated task sizes are bounded', () => {
  it('like/navigate?size=100000000 is refused at once, naming the limit', async () => {
    const t0 = Date.now();
    const r = await popbenchInProcess(['eval', '--task', 'like/navigate?size=100000000', '--limit', '1']);
    expectOneLineError(r, /size must be a positive integer up to 100000/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('error messages name the actual problem', () => {
  it('report <file> and cells <directory>', async () => {
    const s = scratch();
    expectOneLineError(await popbenchInProcess(['report', s.file]), /f is a file, not a run directory/);
    expectOneLineError(await popbenchInProcess(['report', path.join(s.dir, 'nope')]), /run directory not found/);
    expectOneLineError(await popbenchInProcess(['cells', s.folder]), /d is a directory; give a suite YAML file/);
    expectOneLineError(await popbenchInProcess(['run', s.folder]), /d is a directory; give a suite YAML file/);
    expectOneLineError(await popbenchInProcess(['cells', path.join(s.dir, 'nope.yaml')]), /suite file not found/);
  });
});
