/**
 * Small hand-made tasks for sim tests (implementing core Task directly), with
 * extractors in the style of the real loaders: an answer-line pattern first,
 * then (integers only) the last number in the text.
 */
import { hashUnit } from '../core/hash.js';
import type { AnswerFormat, Example, Message, Prompt, Task } from '../core/types.js';
import { simComplete, type SimAnnotation, type SimWorld } from './index.js';

const ANSWER_LINE = /(?:the answer is|####|answer:|\\boxed\{)\s*([^\n]*?)\}?\.?\s*$/im;

function lastAnswer(output: string): string | null {
  let found: string | null = null;
  for (const line of output.split('\n')) {
    const m = ANSWER_LINE.exec(line);
    if (m) found = m[1]!.trim();
  }
  return found;
}

function normalise(format: AnswerFormat, s: string): string | null {
  const t = s.trim().replace(/\.$/, '');
  switch (format) {
    case 'letter': {
      const m = /^\(?([A-R])\)?$/.exec(t);
      return m ? `(${m[1]})` : null;
    }
    case 'integer': {
      const m = /^-?[\d,]+$/.exec(t);
      return m ? t.replace(/,/g, '') : null;
    }
    case 'true_false':
      return /^(true|false)$/i.test(t) ? t.toLowerCase() : null;
    case 'yes_no':
      return /^(yes|no)$/i.test(t) ? t.toLowerCase() : null;
    case 'valid_invalid':
      return /^(valid|invalid)$/i.test(t) ? t.toLowerCase() : null;
    default:
      return t.length ? t.toLowerCase() : null;
  }
}

export function makeKitTask(opts: {
  id: string;
  family: string;
  format: AnswerFormat;
  formatInstruction: string;
  concepts: string[];
  n?: number;
  description?: string;
}): Task {
  const n = opts.n ?? 150;
  const make = (split: string, i: number): Example => {
    const r = hashUnit([opts.id, split, i]);
    const base = { id: `${split}-${i}` };
    switch (opts.format) {
      case 'integer': {
        const a = 3 + Math.floor(r * 90);
        const b = 2 + Math.floor(hashUnit([opts.id, split, i, 'b']) * 40);
        return { ...base, input: `Question ${split}-${i}: A shop had ${a} boxes and received ${b} more boxes of pens. How many boxes does it have now?`, target: String(a + b) };
      }
      case 'letter': {
        const k = Math.floor(r * 4);
        const opts4 = ['red', 'blue', 'green', 'yellow'].map((c) => `${c} ${i}`);
        return {
          ...base,
          input: `Item ${split}-${i}: Which colour was chosen in round ${i}?\nOptions:\n${opts4.map((o, j) => `(${'ABCD'[j]}) ${o}`).join('\n')}`,
          target: `(${'ABCD'[k]})`,
          options: opts4,
        };
      }
      case 'true_false':
        return { ...base, input: `Statement ${split}-${i}: not ( ${r < 0.5 ? 'True' : 'False'} ) or False and True is`, target: r < 0.5 ? 'False' : 'True' };
      case 'yes_no':
        return { ...base, input: `Sentence ${split}-${i}: The player number ${i} scored a touchdown in the match. Is this plausible?`, target: r < 0.5 ? 'yes' : 'no' };
      default:
        return { ...base, input: `Sort the words of case ${split}-${i}: pear apple fig`, target: 'apple fig pear' };
    }
  };
  const split = (name: string, count: number) => Array.from({ length: count }, (_, i) => make(name, i));
  const format = opts.format;
  return {
    id: opts.id,
    family: opts.family,
    description: opts.description ?? `Hand-made ${format} task for tests.`,
    answerFormat: format,
    formatInstruction: opts.formatInstruction,
    concepts: opts.concepts,
    splits: { train: split('train', 20), dev: split('dev', 20), test: split('test', n) },
    render(prompt: Prompt, example: Example): Message[] {
      const demos = (prompt.demos ?? []).map((d) => `Q: ${d.input}\nA: ${d.output}`).join('\n\n');
      const q = `Q: ${example.input}\nA:`;
      const body = [demos, q].filter(Boolean).join('\n\n');
      const pos = prompt.position ?? 'Q_begin';
      if (!prompt.instruction) return [{ role: 'user', content: body }];
      if (pos === 'Q_begin') return [{ role: 'user', content: `${prompt.instruction}\n\n${body}` }];
      if (pos === 'Q_end') return [{ role: 'user', content: `${body.replace(/\nA:$/, '')}\n${prompt.instruction}\nA:` }];
      return [{ role: 'user', content: `${body} ${prompt.instruction}` }];
    },
    extract(output: string): string | null {
      const a = lastAnswer(output);
      if (a !== null) return normalise(format, a);
      if (format === 'integer') {
        const nums = output.match(/-?\d[\d,]*/g);
        return nums ? nums[nums.length - 1]!.replace(/,/g, '') : null;
      }
      return null;
    },
    score(pred: string | null, example: Example): boolean {
      if (pred === null) return false;
      return normalise(format, pred) === normalise(format, example.target);
    },
  };
}

export function kitTasks(n = 150): Task[] {
  return [
    makeKitTask({ id: 'kit/arith', family: 'gsm8k', format: 'integer', formatInstruction: 'End your answer with "The answer is N." where N is a number.', concepts: ['unit conversion', 'percentages', 'multi-step addition', 'rates'], n }),
    makeKitTask({ id: 'kit/choice', family: 'mmlu', format: 'letter', formatInstruction: 'End with "So the answer is (X)." where X is the option letter.', concepts: ['colour theory', 'elimination'], n }),
    makeKitTask({ id: 'kit/bool', family: 'bbh', format: 'true_false', formatInstruction: 'End with "So the answer is True." or "So the answer is False."', concepts: ['operator precedence', 'negation'], n }),
    makeKitTask({ id: 'kit/sports', family: 'bbh', format: 'yes_no', formatInstruction: 'End with "So the answer is yes." or "So the answer is no."', concepts: ['sport rules', 'player positions'], n }),
  ];
}

/**
 * The failures sim-8b makes on `tasks`' test examples under "Let's think step
 * by step." (tasks registered in `world`), each with its sim true cause: the
 * shown-failure shape reflection tests feed to judges and meta-prompts.
 */
export function kitFailures(tasks: readonly Task[], world: SimWorld): Array<{ exampleId: string; input: string; output: string; gold: string; trueCause: string }> {
  const failures: Array<{ exampleId: string; input: string; output: string; gold: string; trueCause: string }> = [];
  for (const t of tasks)
    for (const ex of t.splits.test) {
      const c = simComplete('sim-8b', world, { messages: t.render({ instruction: "Let's think step by step." }, ex) }).choices[0]!;
      const sim = c.annotations!['sim'] as SimAnnotation;
      if (!sim.correct && sim.trueCause) failures.push({ exampleId: ex.id, input: ex.input, output: c.text, gold: ex.target, trueCause: sim.trueCause });
    }
  return failures;
}
