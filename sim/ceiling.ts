/**
 * The printed ceiling of a sim world (docs/sim.md, "Worlds and the ceiling"):
 * the best prompt of the documented family — every combination of a CoT cue,
 * the task's format instruction, hints for all task concepts, the knowledge
 * cue and a numbered-steps layout — scored on the given examples with a sim
 * target in one world. It is the best the documented rules allow within that
 * family; the quality term of other wordings can move a prompt above it.
 */
import type { Example, Task } from '../core/types.js';
import { simComplete } from './index.js';
import { conceptHintPhrase, COT_PHRASES, FORMAT_PHRASES, KNOWLEDGE_PHRASE } from './phrases.js';
import type { SimAnnotation } from './target.js';
import type { SimWorld } from './world.js';

export interface CeilingEntry {
  instruction: string;
  parts: string[];
  accuracy: number;
}

export interface Ceiling {
  world: number;
  taskId: string;
  model: string;
  n: number;
  best: CeilingEntry;
  /** Every prompt of the family, best first. */
  all: CeilingEntry[];
}

const PARTS = ['cot', 'format', 'hints', 'knowledge', 'steps'] as const;

/** The family's prompt for a set of parts. */
export function familyPrompt(task: Task, parts: readonly string[]): string {
  const ss = ['Answer the question.'];
  if (parts.includes('cot')) ss.unshift(COT_PHRASES[0]!);
  if (parts.includes('hints')) for (const c of task.concepts) ss.push(conceptHintPhrase(c));
  if (parts.includes('knowledge')) ss.push(KNOWLEDGE_PHRASE);
  if (parts.includes('format')) ss.push(task.formatInstruction?.trim() || FORMAT_PHRASES[task.answerFormat]);
  return parts.includes('steps') ? ss.map((s, i) => `${i + 1}. ${s}`).join('\n') : ss.join(' ');
}

/** Accuracy of each family prompt on `examples` (instruction at the task's default position), best first. */
export function ceiling(world: SimWorld, task: Task, model: string, examples: readonly Example[]): Ceiling {
  world.register(task);
  const all: CeilingEntry[] = [];
  for (let mask = 0; mask < 1 << PARTS.length; mask++) {
    const parts = PARTS.filter((_, i) => mask & (1 << i));
    const instruction = familyPrompt(task, parts);
    let right = 0;
    for (const ex of examples) {
      const c = simComplete(model, world, { messages: task.render({ instruction }, ex) }).choices[0]!;
      if ((c.annotations?.['sim'] as SimAnnotation | undefined)?.correct) right++;
    }
    all.push({ instruction, parts: [...parts], accuracy: examples.length ? right / examples.length : 0 });
  }
  all.sort((a, b) => b.accuracy - a.accuracy || a.parts.length - b.parts.length);
  return { world: world.world, taskId: task.id, model, n: examples.length, best: all[0]!, all };
}
