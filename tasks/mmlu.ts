/**
 * MMLU loader: `mmlu/{dev,val,test}/<subject>_<split>.csv`, no header, columns
 * question,A,B,C,D,answer. Parsed with csv-parse (RFC 4180: quoted line breaks,
 * "" escapes, CRLF or LF rows, optional final newline).
 */
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { UserError } from '../core/errors.js';
import type { Example } from '../core/types.js';
import { readDataFile } from './io.js';

export const MMLU_SUBJECTS: readonly string[] = [
  'abstract_algebra', 'anatomy', 'astronomy', 'business_ethics', 'clinical_knowledge', 'college_biology',
  'college_chemistry', 'college_computer_science', 'college_mathematics', 'college_medicine', 'college_physics',
  'computer_security', 'conceptual_physics', 'econometrics', 'electrical_engineering', 'elementary_mathematics',
  'formal_logic', 'global_facts', 'high_school_biology', 'high_school_chemistry', 'high_school_computer_science',
  'high_school_european_history', 'high_school_geography', 'high_school_government_and_politics',
  'high_school_macroeconomics', 'high_school_mathematics', 'high_school_microeconomics', 'high_school_physics',
  'high_school_psychology', 'high_school_statistics', 'high_school_us_history', 'high_school_world_history',
  'human_aging', 'human_sexuality', 'international_law', 'jurisprudence', 'logical_fallacies', 'machine_learning',
  'management', 'marketing', 'medical_genetics', 'miscellaneous', 'moral_disputes', 'moral_scenarios', 'nutrition',
  'philosophy', 'prehistory', 'professional_accounting', 'professional_law', 'professional_medicine',
  'professional_psychology', 'public_relations', 'security_studies', 'sociology', 'us_foreign_policy', 'virology',
  'world_religions',
];

export const MMLU_SPLITS = ['dev', 'val', 'test'] as const;
export type MmluSplit = (typeof MMLU_SPLITS)[number];

const LETTERS = ['A', 'B', 'C', 'D'] as const;

/** The model-facing input: the question, then "Options:" and one "(A) …" line per option. */
export function mmluInput(question: string, options: readonly string[]): string {
  return `${question.trim()}\nOptions:\n${options.map((o, i) => `(${LETTERS[i]}) ${o}`).join('\n')}`;
}

/** Parse one MMLU CSV text. `file` is only used in error messages; ids are `<idPrefix><row>`. */
export function parseMmluCsv(text: string, file: string, idPrefix: string): Example[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as never;
  } catch (err) {
    throw new UserError(`${file}: CSV parse error: ${(err as Error).message}`);
  }
  if (records.length === 0) throw new UserError(`${file}: no examples (the file is empty)`);
  return records.map(({ record, info }, i) => {
    const where = `${file}:${info.lines}`;
    if (record.length !== 6) throw new UserError(`${where}: expected 6 columns (question,A,B,C,D,answer), got ${record.length}`);
    const answer = record[5]!.trim();
    if (!(LETTERS as readonly string[]).includes(answer)) throw new UserError(`${where}: answer must be A, B, C or D, got "${answer}"`);
    const options = record.slice(1, 5).map((o) => o.replace(/\r\n/g, '\n').trim());
    return {
      id: `${idPrefix}${i}`,
      input: mmluInput(record[0]!.replace(/\r\n/g, '\n'), options),
      target: `(${answer})`,
      options,
      meta: { line: info.lines },
    };
  });
}

export function mmluFile(dataDir: string, subject: string, split: MmluSplit): string {
  return path.join(dataDir, 'mmlu', split, `${subject}_${split}.csv`);
}

export function loadMmluSplit(dataDir: string, subject: string, split: MmluSplit, idPrefix = `${split}-`): Example[] {
  const file = mmluFile(dataDir, subject, split);
  return parseMmluCsv(readDataFile(file), file, idPrefix);
}

export function loadMmluSubject(dataDir: string, subject: string, idPrefix = ''): Record<MmluSplit, Example[]> {
  return {
    dev: loadMmluSplit(dataDir, subject, 'dev', `${idPrefix}dev-`),
    val: loadMmluSplit(dataDir, subject, 'val', `${idPrefix}val-`),
    test: loadMmluSplit(dataDir, subject, 'test', `${idPrefix}test-`),
  };
}
