/**
 * GSM8K loader (openai/grade-school-math JSONL: {"question", "answer"} per line,
 * the answer's last line is `#### <final answer>`).
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Example } from '../core/types.js';
import { readDataFile } from './io.js';

/** Parse one GSM8K JSONL text. `file` is only used in error messages. */
export function parseGsm8k(text: string, file: string, split: string): Example[] {
  const out: Example[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (err) {
      throw new UserError(`${where}: malformed JSON line (${(err as Error).message})`);
    }
    const rec = obj as { question?: unknown; answer?: unknown };
    if (typeof rec !== 'object' || rec === null || typeof rec.question !== 'string' || typeof rec.answer !== 'string')
      throw new UserError(`${where}: expected an object with string "question" and "answer"`);
    const mark = rec.answer.lastIndexOf('####');
    if (mark < 0) throw new UserError(`${where}: answer has no "#### <final answer>" line`);
    const target = rec.answer.slice(mark + 4).trim();
    if (target === '') throw new UserError(`${where}: empty final answer after ####`);
    out.push({
      id: `${split}-${out.length}`,
      input: rec.question,
      target,
      rationale: rec.answer,
      meta: { line: i + 1 },
    });
  });
  if (out.length === 0) throw new UserError(`${file}: no examples (the file is empty)`);
  return out;
}

export function loadGsm8kFile(file: string, split: string): Example[] {
  return parseGsm8k(readDataFile(file), file, split);
}

/** train.jsonl and test.jsonl from `<dataDir>/gsm8k`. */
export function loadGsm8k(dataDir: string): { train: Example[]; test: Example[] } {
  const dir = path.join(dataDir, 'gsm8k');
  return {
    train: loadGsm8kFile(path.join(dir, 'train.jsonl'), 'train'),
    test: loadGsm8kFile(path.join(dir, 'test.jsonl'), 'test'),
  };
}

export const GSM8K_DESCRIPTION = 'Grade-school math word problems; the answer is a whole number.';
