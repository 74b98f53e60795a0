import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { loadBbh, parseCotPrompt } from './bbh.js';
import { loadGsm8k, loadGsm8kFile } from './gsm8k.js';
import { loadMmluSplit, loadMmluSubject, parseMmluCsv } from './mmlu.js';
import { REPO_ROOT, canonicalTaskId, listTasks, loadTask, nearTaskIds, resolveDataDir } from './registry.js';
import { writeFixtureData } from '../test/fixtures.js';

const FIX = writeFixtureData();

describe('GSM8K loader (fixtures)', () => {
  it('reads question, final answer after #### (commas kept) and the worked solution', () => {
    const { train, test } = loadGsm8k(FIX);
    expect(train.length).toBe(12);
    expect(test.map((e) => e.target)).toEqual(['42', '4']);
    const big = train.find((e) => e.input.includes('1,000,000'))!;
    expect(big.target).toBe('1,450,000');
    expect(big.rationale).toContain('#### 1,450,000');
    expect(train.find((e) => e.input.includes('degrees'))!.target).toBe('-5');
    expect(test[0]!.id).toBe('test-0');
  });

  it('a malformed JSONL line is a UserError naming file:line', () => {
    const file = path.join(FIX, 'bad/malformed.jsonl');
    expect(() => loadGsm8kFile(file, 'train')).toThrow(UserError);
    expect(() => loadGsm8kFile(file, 'train')).toThrow(`${file}:3: malformed JSON line`);
  });

  it('an answer without #### is a UserError naming file:line', () => {
    const file = path.join(FIX, 'bad/nohash.jsonl');
    expect(() => loadGsm8kFile(file, 'train')).toThrow(`${file}:1:`);
  });

  it('a missing file is a UserError naming the path', () => {
    const file = path.join(FIX, 'nope/train.jsonl');
    expect(() => loadGsm8kFile(file, 'train')).toThrow(new UserError(`data file not found: ${file}`));
  });
});

describe('BBH loader (fixtures)', () => {
  it('reads examples, options and the CoT prompt (description + 3 demos)', () => {
    const { examples, cot } = loadBbh(FIX, 'movie_recommendation');
    expect(examples.map((e) => e.target)).toEqual(['(B)', 'Monsters, Inc']);
    expect(examples[0]!.options).toEqual(['Up', 'Cars', 'Heat']);
    expect(cot.description).toBe('Recommend movies similar to the given list of movies.\n\nA second paragraph of description.');
    expect(cot.demos).toHaveLength(3);
    expect(cot.demos[1]).toEqual({
      input: 'Find a movie similar to Y:\nOptions:\n(A) Up\n(B) Heat',
      output: "Let's think step by step.\nCrime drama.\nSo the answer is (B).",
    });
  });

  it('a cot prompt without the ----- line is a UserError naming the file', () => {
    expect(() => parseCotPrompt('canary\nno dashes\nQ: x\nA: y', 'f.txt')).toThrow('f.txt:2');
  });

  it('a missing task file is a UserError naming the path', () => {
    expect(() => loadBbh(FIX, 'snarks')).toThrow(path.join(FIX, 'bbh/tasks/snarks.json'));
  });
});

describe('MMLU loader (fixtures)', () => {
  it('parses quoted newlines, "" escapes, CRLF rows, no final newline and trailing spaces', () => {
    const dev = loadMmluSplit(FIX, 'anatomy', 'dev');
    expect(dev).toHaveLength(5);
    expect(dev.map((e) => e.target)).toEqual(['(B)', '(A)', '(D)', '(A)', '(C)']);
    expect(dev[1]!.input.startsWith('A "quoted" word means?\nOptions:\n(A) a\n')).toBe(true);
    expect(dev[2]!.input.startsWith('Line one\nline two?\nOptions:')).toBe(true); // CRLF inside a field → LF
    expect(dev[3]!.options).toEqual(['$300', '$200', '$100', '$0']);
    expect(dev[4]!.input).toBe('Last row?\nOptions:\n(A) p\n(B) q\n(C) r\n(D) s');
    const val = loadMmluSplit(FIX, 'anatomy', 'val');
    expect(val[1]!.input.startsWith('Multi\nline\nOptions:')).toBe(true);
  });

  it('bad rows are UserErrors naming file:line', () => {
    expect(() => parseMmluCsv('Q1?,a,b,c,d,A\nQ2?,a,b,c,d,E\n', 'x_dev.csv', '')).toThrow('x_dev.csv:2: answer must be A, B, C or D');
    expect(() => parseMmluCsv('Q1?,a,b,c,d,A\nQ2?,a,b,c,B\n', 'y_dev.csv', '')).toThrow('y_dev.csv:2: expected 6 columns');
    expect(() => parseMmluCsv('"unclosed,a,b,c,d,A\n', 'z.csv', '')).toThrow(UserError);
  });

  it('subject splits: dev → train, val → dev, test → test', () => {
    const parts = loadMmluSubject(FIX, 'anatomy');
    const t = loadTask('mmlu/anatomy', { dataDir: FIX });
    expect(t.splits.train.map((e) => e.input)).toEqual(parts.dev.map((e) => e.input));
    expect(t.splits.dev).toHaveLength(2);
    expect(t.splits.test).toHaveLength(8);
    expect(t.answerFormat).toBe('letter');
  });
});

describe('registry', () => {
  it('loads fixture tasks by id with concepts, format and scoring', () => {
    const nav = loadTask('bbh/navigate', { dataDir: FIX });
    expect(nav.family).toBe('bbh');
    expect(nav.answerFormat).toBe('yes_no');
    expect(nav.concepts).toContain('track position on a grid');
    expect(nav.fewShotCot).toHaveLength(3);
    const ex = nav.splits.test[0]!;
    expect(nav.score(nav.extract(`So the answer is ${ex.target}.`, ex), ex)).toBe(true);
    expect(nav.score(nav.extract(`So the answer is ${ex.target === 'Yes' ? 'No' : 'Yes'}.`, ex), ex)).toBe(false);
    const g = loadTask('gsm8k', { dataDir: FIX });
    expect(g.answerFormat).toBe('integer');
    expect(g.splits.test).toHaveLength(2);
  });

  it('lists only tasks whose files exist in a data dir', () => {
    const ids = listTasks(FIX).filter((id) => !id.startsWith('like/'));
    expect(ids).toEqual(['gsm8k', 'bbh/movie_recommendation', 'bbh/navigate', 'mmlu/anatomy']);
    expect(listTasks().length).toBeGreaterThanOrEqual(1 + 27 + 1 + 57);
  });

  it('an unknown id is a UserError listing near names', () => {
    expect(() => loadTask('bbh/navgate', { dataDir: FIX })).toThrow(/unknown task "bbh\/navgate"; did you mean: bbh\/navigate/);
    expect(nearTaskIds('mmlu/anatomyy')[0]).toBe('mmlu/anatomy');
    expect(() => loadTask('like/nothing-like-this')).toThrow(UserError);
  });

  it('a like/ task id has one spelling: parameters in a fixed order, numbers as JavaScript writes them', () => {
    expect(canonicalTaskId('like/navigate?size=20&difficulty=0.5')).toBe('like/navigate?difficulty=0.5&size=20');
    expect(canonicalTaskId('like/navigate?difficulty=.50&size=020')).toBe('like/navigate?difficulty=0.5&size=20');
    expect(canonicalTaskId('like/gsm?test=9&dev=4&train=3')).toBe('like/gsm?train=3&dev=4&test=9');
    expect(canonicalTaskId('like/gsm?')).toBe('like/gsm');
    expect(canonicalTaskId('bbh/navigate')).toBe('bbh/navigate');
    expect(() => canonicalTaskId('like/gsm?size=0')).toThrow(UserError);
    const a = loadTask('like/navigate?size=20&difficulty=0.5');
    const b = loadTask('like/navigate?difficulty=0.50&size=020');
    expect(a.id).toBe('like/navigate?difficulty=0.5&size=20');
    expect(b.id).toBe(a.id);
    expect(b.splits).toEqual(a.splits);
  });

  it('a known task with a missing file is a UserError naming the path', () => {
    expect(() => loadTask('bbh/snarks', { dataDir: FIX })).toThrow(`data file not found: ${path.join(FIX, 'bbh/tasks/snarks.json')}`);
  });

  it('resolveDataDir: flag, then env, then error', () => {
    expect(resolveDataDir(FIX, {})).toBe(FIX);
    expect(resolveDataDir(undefined, { POPBENCH_DATA: FIX })).toBe(FIX);
    expect(() => resolveDataDir(path.join(FIX, 'missing'), {})).toThrow(UserError);
    expect(() => resolveDataDir(undefined, { POPBENCH_DATA: '/nonexistent/popbench' })).toThrow('POPBENCH_DATA');
    expect(resolveDataDir('data', {}, path.dirname(FIX))).toBe(FIX);
  });
});
