/**
 * Tests on the real datasets in ../shared/datasets (skipped with a notice when absent):
 * counts from the datasets README, and every gold answer round-tripping through
 * the extractor and scorer.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AnswerFormat, Example } from '../core/types.js';
import { BBH_FORMATS, BBH_TASKS, loadBbh } from './bbh.js';
import { extractAnswer, normalizeText, scoreAnswer } from './extract.js';
import { loadGsm8k } from './gsm8k.js';
import { MMLU_SUBJECTS, loadMmluSubject } from './mmlu.js';
import { REPO_ROOT, listTasks, loadTask } from './registry.js';

const DATA = path.resolve(REPO_ROOT, '../shared/datasets');
const exists = existsSync(DATA);
if (!exists) console.warn(`[tasks] real datasets not found at ${DATA}; skipping real-data tests`);

/** Ways a model may print the gold answer; each must extract and score as correct. */
function renderings(gold: string): string[] {
  return [
    `So the answer is ${gold}.`,
    `Let's think step by step.\nSome reasoning here.\n#### ${gold}`,
    `Reasoning first.\nAnswer: ${gold}`,
  ];
}

/** Count of examples whose gold does not round-trip; the failures listed for the message. */
function roundTrip(examples: readonly Example[], format: AnswerFormat): string[] {
  const bad: string[] = [];
  for (const ex of examples) {
    for (const out of renderings(ex.target)) {
      const pred = extractAnswer(out, format, ex);
      if (!scoreAnswer(pred, ex, format)) bad.push(`${ex.id}: ${JSON.stringify(out)} -> ${JSON.stringify(pred)}`);
    }
  }
  return bad;
}

/** Gold given as its option text ("So the answer is <text>."), where that text is unambiguous among the options. */
function optionTextRoundTrip(examples: readonly Example[]): { checked: number; bad: string[] } {
  const bad: string[] = [];
  let checked = 0;
  for (const ex of examples) {
    const idx = ex.target.charCodeAt(1) - 65;
    const opts = ex.options ?? [];
    const text = opts[idx];
    if (!/^\([A-R]\)$/.test(ex.target) || text === undefined || text.includes('\n')) continue;
    // a lone letter ("B", "(C)") is read as a letter, never as option text
    if (/^\(?[A-Ra-r]\)?$/.test(text.trim())) continue;
    const norm = normalizeText(text);
    if (norm === '' || opts.filter((o) => normalizeText(o) === norm).length > 1) continue;
    checked++;
    const pred = extractAnswer(`So the answer is ${text}.`, 'letter', ex);
    if (!scoreAnswer(pred, ex, 'letter')) bad.push(`${ex.id}: ${JSON.stringify(text)} -> ${JSON.stringify(pred)}`);
  }
  return { checked, bad };
}

describe.skipIf(!exists)('real datasets', () => {
  it('GSM8K: counts and every gold round-trips', () => {
    const { train, test } = loadGsm8k(DATA);
    expect(train.length).toBe(7473);
    expect(test.length).toBe(1319);
    expect(train.filter((e) => e.target.includes(',')).length).toBe(79);
    expect(test.filter((e) => e.target.startsWith('-')).length).toBe(2);
    expect(roundTrip([...train, ...test], 'integer')).toEqual([]);
  });

  it('BBH: 27 tasks, 6,511 examples, 3 demos each, every gold round-trips', () => {
    let total = 0;
    const bad: string[] = [];
    for (const name of BBH_TASKS) {
      const { examples, cot } = loadBbh(DATA, name);
      total += examples.length;
      expect(cot.demos.length, name).toBe(3);
      expect(cot.description.length, name).toBeGreaterThan(10);
      // the demo answers are themselves gold-format outputs
      for (const d of cot.demos) expect(d.output, name).toMatch(/So the answer is .+\.$/);
      bad.push(...roundTrip(examples, BBH_FORMATS[name]!).map((b) => `${name}/${b}`));
      if (BBH_FORMATS[name] === 'letter') bad.push(...optionTextRoundTrip(examples).bad.map((b) => `${name}/text/${b}`));
    }
    expect(BBH_TASKS.length).toBe(27);
    expect(total).toBe(6511);
    expect(bad).toEqual([]);
  });

  it('BBH: the three text targets in letter tasks are kept and scored by text', () => {
    const movie = loadBbh(DATA, 'movie_recommendation').examples[163]!;
    expect(movie.target).toBe('Monsters, Inc');
    expect(scoreAnswer(extractAnswer('So the answer is (A).', 'letter', movie), movie, 'letter')).toBe(false);
    const ruin = loadBbh(DATA, 'ruin_names').examples;
    expect(ruin[99]!.target).toBe('dearth, wind, & fire');
    expect(ruin[144]!.target).toBe('rita, sue and bob poo');
    expect(scoreAnswer(extractAnswer('So the answer is rita, sue and bob too.', 'letter', ruin[144]), ruin[144]!, 'letter')).toBe(false);
  });

  it('MMLU: split counts, test answer distribution, every gold (letter and option text) round-trips', () => {
    const n = { dev: 0, val: 0, test: 0 };
    const letters: Record<string, number> = {};
    let checkedText = 0;
    const bad: string[] = [];
    for (const s of MMLU_SUBJECTS) {
      const parts = loadMmluSubject(DATA, s);
      for (const sp of ['dev', 'val', 'test'] as const) {
        n[sp] += parts[sp].length;
        bad.push(...roundTrip(parts[sp], 'letter').map((b) => `${s}/${b}`));
        const byText = optionTextRoundTrip(parts[sp]);
        checkedText += byText.checked;
        bad.push(...byText.bad.map((b) => `${s}/text/${b}`));
      }
      for (const e of parts.test) letters[e.target] = (letters[e.target] ?? 0) + 1;
      // every example has 4 options and its input lists them
      for (const e of parts.dev) {
        expect(e.options).toHaveLength(4);
        expect(e.input).toContain(`\nOptions:\n(A) ${e.options![0]}`);
      }
    }
    expect(MMLU_SUBJECTS.length).toBe(57);
    expect(n).toEqual({ dev: 285, val: 1531, test: 14042 });
    expect(checkedText).toBeGreaterThan(15000);
    expect(letters).toEqual({ '(A)': 3222, '(B)': 3462, '(C)': 3582, '(D)': 3776 });
    expect(bad).toEqual([]);
  });

  it('registry lists and loads every real task', () => {
    const ids = listTasks(DATA).filter((id) => !id.startsWith('like/'));
    expect(ids.length).toBe(1 + 27 + 1 + 57);
    const pooled = loadTask('mmlu', { dataDir: DATA });
    expect(pooled.splits.test.length).toBe(14042);
    expect(new Set(pooled.splits.test.map((e) => e.id)).size).toBe(14042);
  });
});
