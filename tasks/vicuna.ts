/**
 * Vicuna Eval (Chiang et al. 2023, the 80 questions of FastChat's first
 * evaluation set) as BPO evaluates on it (Cheng et al. 2023, §4): BPO's copy
 * `data/testset/vicuna_eval.jsonl` (thu-coai/BPO@9bf5415, Apache-2.0), one
 * JSON object per line `{question_id, text, category}`. Fetched by
 * `popbench data download --only vicuna` into `<data>/vicuna/`.
 *
 * The questions are open-ended and have no reference answer: the task is for
 * judged pairwise comparisons (suite `pairwise:`, benchmarks/suites/bpo-winrate.yaml).
 * Every example's target is empty, so accuracy is 0 by definition and says
 * nothing; all 80 questions are the test split (train and dev are empty), in
 * file order, with ids `q<question_id>`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { Example } from '../core/types.js';

export const VICUNA_FILE = path.join('vicuna', 'vicuna_eval.jsonl');
export const VICUNA_DESCRIPTION = 'Open-ended user questions (Vicuna Eval, 80 prompts as BPO evaluates them); no reference answers: compare answers with a judge.';

/** The 80 questions of `<dataDir>/vicuna/vicuna_eval.jsonl`, in file order. */
export function loadVicuna(dataDir: string): Example[] {
  const file = path.join(dataDir, VICUNA_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new UserError(`${file}: not found (run \`popbench data download --only vicuna\`)`);
  }
  const out: Example[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let row: { question_id?: unknown; text?: unknown; category?: unknown };
    try {
      row = JSON.parse(line) as typeof row;
    } catch {
      throw new UserError(`${file}:${i + 1}: not a JSON object`);
    }
    if (typeof row.text !== 'string' || (typeof row.question_id !== 'number' && typeof row.question_id !== 'string'))
      throw new UserError(`${file}:${i + 1}: expected {question_id, text, category}`);
    out.push({ id: `q${row.question_id}`, input: row.text, target: '', meta: { category: typeof row.category === 'string' ? row.category : '' } });
  });
  return out;
}
