/**
 * `makeTask`: builds a `Task` (core/types.ts) from data + answer format.
 * The prompt templates are documented in docs/tasks.md ("Prompt templates").
 */
import type { AnswerFormat, Demo, Example, Layout, Message, Position, Prompt, Task, TaskSplits } from '../core/types.js';
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
 * The single user message for a prompt and an example. Layouts and positions
 * are OPRO's (google-deepmind/opro, opro/evaluation/eval_utils.py:223-259,
 * `gen_prompt`), plus APE's evaluation template (docs/tasks.md, "Prompt templates"):
 *
 *   qa    before_Q: `<ins>\nQ: <input>\n\nA:`       (eval_utils.py:225-229)
 *         Q_begin:  `Q: <ins>\n<input>\n\nA:`       (eval_utils.py:230-236)
 *         Q_end:    `Q: <input>\n<ins>\n\nA:`       (eval_utils.py:237-242)
 *         A_begin:  `Q: <input>\n\nA: <ins>`        (eval_utils.py:243-248)
 *   plain Q_begin, before_Q: `<ins>\n<input>`      (eval_utils.py:251-254)
 *         Q_end:    `<input>\n<ins>`                (eval_utils.py:255-258)
 *   ape   `Instruction: <ins>\n\nInput: <input>\nOutput: ` (with the trailing space)
 *         (automatic_prompt_engineer experiments/run_instruction_induction.py:33)
 *
 * Demos (`Q: …\nA: …` blocks; `Input: …\nOutput: …` in the ape layout) come
 * before the query, after a before_Q instruction, one blank line apart. An
 * empty instruction (after trimming) leaves out its text and separator, as
 * the reference does. plain + A_begin has no reference form and throws.
 */
export function renderPrompt(prompt: Prompt, input: string): string {
  const ins = prompt.instruction.trim();
  const position: Position = prompt.position ?? 'Q_begin';
  const layout: Layout = prompt.layout ?? 'qa';
  const demos = prompt.demos ?? [];
  if (layout === 'ape') {
    const shown = demos.map((d) => `Input: ${d.input}\nOutput: ${d.output}`);
    // exec_accuracy.py:7-13 fills [OUTPUT] with '', leaving 'Output: ' with its space.
    return [...shown, `Instruction: ${ins}\n\nInput: ${input}\nOutput: `].join('\n\n');
  }
  const parts: string[] = demos.map(renderDemo);
  let query: string;
  if (layout === 'plain') {
    if (position === 'A_begin') throw new Error('the plain layout has no A_begin position (OPRO eval_utils.py:250)');
    query = position === 'Q_end' ? `${input}${ins ? '\n' + ins : ''}` : `${ins ? ins + '\n' : ''}${input}`;
  } else {
    switch (position) {
      case 'before_Q':
        query = `${ins ? ins + '\n' : ''}Q: ${input}\n\nA:`;
        break;
      case 'Q_begin':
        query = `Q: ${ins ? ins + '\n' : ''}${input}\n\nA:`;
        break;
      case 'Q_end':
        query = `Q: ${input}${ins ? '\n' + ins : ''}\n\nA:`;
        break;
      case 'A_begin':
        query = `Q: ${input}\n\nA:${ins ? ' ' + ins : ''}`;
        break;
    }
  }
  if (position === 'before_Q' && ins && parts.length > 0) {
    // before_Q: the instruction heads the whole prompt, demos follow.
    return [ins, ...parts, query.slice(ins.length + 1)].join('\n\n');
  }
  return [...parts, query].join('\n\n');
}

/** Is (layout, position) a combination the reference defines? */
export function layoutAllows(layout: Layout, position: Position): boolean {
  return !(layout === 'plain' && position === 'A_begin');
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
