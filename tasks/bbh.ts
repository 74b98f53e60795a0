/**
 * BIG-Bench Hard loader: `bbh/tasks/<task>.json` ({canary, examples: [{input, target}]})
 * and `bbh/cot-prompts/<task>.txt` (canary, `-----`, description, 3 worked `Q:`/`A:` demos).
 */
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { AnswerFormat, Demo, Example } from '../core/types.js';
import { readDataFile } from './io.js';

/** The 27 BBH tasks and their answer formats (datasets README, "Target types"). */
export const BBH_FORMATS: Readonly<Record<string, AnswerFormat>> = {
  boolean_expressions: 'true_false',
  causal_judgement: 'yes_no',
  date_understanding: 'letter',
  disambiguation_qa: 'letter',
  dyck_languages: 'dyck',
  formal_fallacies: 'valid_invalid',
  geometric_shapes: 'letter',
  hyperbaton: 'letter',
  logical_deduction_five_objects: 'letter',
  logical_deduction_seven_objects: 'letter',
  logical_deduction_three_objects: 'letter',
  movie_recommendation: 'letter',
  multistep_arithmetic_two: 'integer',
  navigate: 'yes_no',
  object_counting: 'integer',
  penguins_in_a_table: 'letter',
  reasoning_about_colored_objects: 'letter',
  ruin_names: 'letter',
  salient_translation_error_detection: 'letter',
  snarks: 'letter',
  sports_understanding: 'yes_no',
  temporal_sequences: 'letter',
  tracking_shuffled_objects_five_objects: 'letter',
  tracking_shuffled_objects_seven_objects: 'letter',
  tracking_shuffled_objects_three_objects: 'letter',
  web_of_lies: 'yes_no',
  word_sorting: 'words',
};

export const BBH_TASKS: readonly string[] = Object.keys(BBH_FORMATS);

/** Option texts from the `Options:` block of a BBH/MMLU-style input. */
export function parseOptions(input: string): string[] | undefined {
  const at = input.lastIndexOf('Options:');
  if (at < 0) return undefined;
  const opts: string[] = [];
  for (const m of input.slice(at).matchAll(/^\(([A-R])\)[ \t]?(.*)$/gm)) opts.push(m[2]!.trim());
  return opts.length ? opts : undefined;
}

export function parseBbhTaskJson(text: string, file: string): Example[] {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: malformed JSON (${(err as Error).message})`);
  }
  const examples = (obj as { examples?: unknown })?.examples;
  if (!Array.isArray(examples)) throw new UserError(`${file}: expected an object with an "examples" array`);
  if (examples.length === 0) throw new UserError(`${file}: no examples (the "examples" array is empty)`);
  return examples.map((e, i) => {
    const rec = e as { input?: unknown; target?: unknown };
    if (typeof rec?.input !== 'string' || typeof rec?.target !== 'string')
      throw new UserError(`${file}: examples[${i}] needs string "input" and "target"`);
    const ex: Example = { id: `ex-${i}`, input: rec.input, target: rec.target, meta: { index: i } };
    const options = parseOptions(rec.input);
    if (options) ex.options = options;
    return ex;
  });
}

export interface CotPrompt {
  description: string;
  demos: Demo[];
}

/** Parse a cot-prompts file into its description and worked demos. */
export function parseCotPrompt(text: string, file: string): CotPrompt {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  if (lines.length < 4 || lines[1]!.trim() !== '-----')
    throw new UserError(`${file}:2: expected "-----" after the canary line`);
  const body = lines.slice(2).join('\n');
  const first = body.search(/^Q: /m);
  if (first < 0) throw new UserError(`${file}: no "Q:" demo found`);
  const description = body.slice(0, first).trim().replace(/^Task description:\s*/, '');
  const demos: Demo[] = [];
  for (const chunk of body.slice(first).split(/\n\n(?=Q: )/)) {
    const a = chunk.indexOf('\nA: ');
    if (!chunk.startsWith('Q: ') || a < 0) throw new UserError(`${file}: demo without "Q:"/"A:" parts`);
    demos.push({ input: chunk.slice(3, a).trim(), output: chunk.slice(a + 4).trim() });
  }
  return { description, demos };
}

export function loadBbh(dataDir: string, name: string): { examples: Example[]; cot: CotPrompt } {
  const dir = path.join(dataDir, 'bbh');
  const taskFile = path.join(dir, 'tasks', `${name}.json`);
  const cotFile = path.join(dir, 'cot-prompts', `${name}.txt`);
  return {
    examples: parseBbhTaskJson(readDataFile(taskFile), taskFile),
    cot: parseCotPrompt(readDataFile(cotFile), cotFile),
  };
}
