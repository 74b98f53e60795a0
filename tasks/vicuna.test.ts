import { existsSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { writeFixtureData } from '../test/fixtures.js';
import { REPO_ROOT, listTasks, loadTask } from './registry.js';
import { loadVicuna } from './vicuna.js';

const FIX = writeFixtureData();
const REAL = path.resolve(REPO_ROOT, '../shared/datasets');
const realVicuna = existsSync(path.join(REAL, 'vicuna', 'vicuna_eval.jsonl'));
if (!realVicuna) console.warn(`[tasks] Vicuna Eval not found at ${path.join(REAL, 'vicuna')} (popbench data download --only vicuna); skipping its real-data test`);

describe('vicuna task (fixture)', () => {
  it('loads every question as test, in file order, without reference answers', () => {
    const t = loadTask('vicuna', { dataDir: FIX });
    expect(t.family).toBe('vicuna');
    expect(t.answerFormat).toBe('text');
    expect(t.splits.train).toEqual([]);
    expect(t.splits.dev).toEqual([]);
    expect(t.splits.test.map((e) => e.id)).toEqual(['q1', 'q2', 'q3']);
    expect(t.splits.test[1]).toMatchObject({ input: 'Write a short poem about rain.', target: '', meta: { category: 'writing' } });
    expect(listTasks(FIX)).toContain('vicuna');
  });

  it('a missing or malformed file is a one-line UserError naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-vicuna-'));
    expect(() => loadVicuna(dir)).toThrow(/vicuna_eval\.jsonl: not found \(run `popbench data download --only vicuna`\)/);
    expect(listTasks(dir)).not.toContain('vicuna');
    mkdirSync(path.join(dir, 'vicuna'));
    writeFileSync(path.join(dir, 'vicuna', 'vicuna_eval.jsonl'), '{"question_id": 1, "text": "ok"}\n{"text": 5}\n');
    expect(() => loadVicuna(dir)).toThrow(UserError);
    expect(() => loadVicuna(dir)).toThrow(/vicuna_eval\.jsonl:2: expected \{question_id, text, category\}/);
  });
});

describe.skipIf(!realVicuna)('vicuna task (downloaded)', () => {
  it('has the 80 questions of BPO\'s copy', () => {
    const t = loadTask('vicuna', { dataDir: REAL });
    expect(t.splits.test).toHaveLength(80);
    expect(t.splits.test[0]!.input).toBe('How can I improve my time management skills?');
  });
});
