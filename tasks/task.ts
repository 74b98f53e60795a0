/**
 * `makeTask`: builds a `Task` (core/types.ts) from data + answer format.
 * The prompt templates are documented in docs/tasks.md ("Prompt templates").
 */
import type { AnswerFormat, Demo, Example, Message, Position, Prompt, Task, TaskSplits } from '../core/types.js';
import { extractAnswer, scoreAnswer } from './extract.js';

export interface TaskSpec {
  id: string;
  family: string;
  description: string;
  answerFormat: AnswerFormat;
  /** Default: `FORMAT_INSTRUCTIONS[answerFormat]`. */
  formatInstruction?: string;
  concepts: readonly string[];
  splits: TaskSplits;
  /** Worked chain-of-thought demos shipped with the dataset (BBH cot-prompts). */
  fewShotCot?: Demo[];
  /** Stop sequences for target calls; default DEFAULT_STOP, [] sends none. */
  stop?: readonly string[];
}

/** A task plus the optional extras a loader may know. */
export interface LoadedTask extends Task {
  fewShotCot?: Demo[];
}

/** The answer-format instruction matching each format (what the extractor parses best). */
export const FORMAT_INSTRUCTIONS: Record<AnswerFormat, string> = {
  letter: 'End your answer with "So the answer is (X)." where X is the option letter.',
  true_false: 'End your answer with "So the answer is True." or "So the answer is False."',
  yes_no: 'End your answer with "So the answer is Yes." or "So the answer is No."',
  valid_invalid: 'End your answer with "So the answer is valid." or "So the answer is invalid."',
  integer: 'End your answer with "So the answer is N." where N is a number.',
  dyck: 'End your answer with "So the answer is S." where S is the closing brackets, separated by spaces.',
  words: 'End your answer with "So the answer is W." where W is the sorted words, separated by spaces.',
  text: 'End your answer with "So the answer is T." where T is the final answer.',
};

/**
 * Stop sequences for the `Q: …\nA:` template: a new line opening the next
 * exemplar. A server that ignores them is covered by the extractor, which cuts
 * a run-on exemplar off anyway (tasks/extract.ts `answerPart`).
 */
export const DEFAULT_STOP: readonly string[] = ['\nQ:', '\nQuestion:'];

/** One demo as a `Q: …\nA: …` block. */
export function renderDemo(d: Demo): string {
  return `Q: ${d.input}\nA: ${d.output}`;
}

/**
 * The single user message for a prompt and an example (OPRO §4.1 / §5.1 positions):
 *   Q_begin: `<instruction>\n\n<demos>\n\nQ: <input>\nA:`
 *   Q_end:   `<demos>\n\nQ: <input>\n<instruction>\nA:`
 *   A_begin: `<demos>\n\nQ: <input>\nA: <instruction>`
 * Demo blocks are separated by a blank line; an empty instruction (after
 * trimming) and an empty demo list leave out their parts and separators.
 */
export function renderPrompt(prompt: Prompt, input: string): string {
  const ins = prompt.instruction.trim();
  const position: Position = prompt.position ?? 'Q_begin';
  const parts: string[] = [];
  if (position === 'Q_begin' && ins) parts.push(ins);
  for (const d of prompt.demos ?? []) parts.push(renderDemo(d));
  switch (position) {
    case 'Q_begin':
      parts.push(`Q: ${input}\nA:`);
      break;
    case 'Q_end':
      parts.push(`Q: ${input}\n${ins ? ins + '\n' : ''}A:`);
      break;
    case 'A_begin':
      parts.push(`Q: ${input}\nA:${ins ? ' ' + ins : ''}`);
      break;
  }
  return parts.join('\n\n');
}

export function makeTask(spec: TaskSpec): LoadedTask {
  const format = spec.answerFormat;
  const task: LoadedTask = {
    id: spec.id,
    family: spec.family,
    description: spec.description,
    answerFormat: format,
    formatInstruction: spec.formatInstruction ?? FORMAT_INSTRUCTIONS[format],
    concepts: spec.concepts,
    splits: spec.splits,
    stop: spec.stop ?? DEFAULT_STOP,
    render(prompt: Prompt, example: Example): Message[] {
      return [{ role: 'user', content: renderPrompt(prompt, example.input) }];
    },
    extract(output: string, example?: Example, reply?: { finishReason?: string }): string | null {
      return extractAnswer(output, format, example, reply);
    },
    score(pred: string | null, example: Example): boolean {
      return scoreAnswer(pred, example, format);
    },
  };
  if (spec.fewShotCot) task.fewShotCot = spec.fewShotCot;
  return task;
}
