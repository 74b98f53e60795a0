/**
 * Simulated world: public entry points used by the rest of popbench.
 * (Provisional minimal model; replaced by the full sim world described in docs/sim.md.)
 */
import { hashUnit } from '../core/hash.js';
import type { Example, LLM, LLMRequest, LLMResponse, Task } from '../core/types.js';

export const SIM_TARGET_MODELS = ['sim-1b', 'sim-8b', 'sim-70b'] as const;
export const SIM_OPTIMIZER_MODELS = ['sim-opt-small', 'sim-opt-large'] as const;
export const SIM_MODELS: readonly string[] = [...SIM_TARGET_MODELS, ...SIM_OPTIMIZER_MODELS];

export function isSimModel(name: string): boolean {
  return SIM_MODELS.includes(name);
}

/** Answer key of the simulated world: the examples the sim models can recognise in a prompt. */
export class SimWorld {
  private readonly examples: { task: Task; example: Example }[] = [];
  register(task: Task): void {
    for (const split of ['train', 'dev', 'test'] as const)
      for (const example of task.splits[split]) this.examples.push({ task, example });
  }
  /** The registered example whose input occurs last in the text. */
  find(text: string): { task: Task; example: Example } | undefined {
    let best: { task: Task; example: Example } | undefined;
    let bestAt = -1;
    for (const e of this.examples) {
      const at = text.lastIndexOf(e.example.input);
      if (at > bestAt) [best, bestAt] = [e, at];
    }
    return best;
  }
}

const ABILITY: Record<string, number> = { 'sim-1b': 0.3, 'sim-8b': 0.55, 'sim-70b': 0.8 };

export function createSimLLM(model: string, world: SimWorld): LLM {
  if (!isSimModel(model)) throw new Error(`unknown sim model: ${model}`);
  return {
    provider: 'sim',
    model,
    async complete(req: LLMRequest): Promise<LLMResponse> {
      const text = req.messages.map((m) => m.content).join('\n');
      const n = req.n ?? 1;
      const choices = Array.from({ length: n }, (_, i) => {
        const hit = world.find(text);
        const u = hashUnit([model, text, req.sampleIndex ?? 0, i]);
        if (!hit) return { text: 'I am not sure.' };
        const ok = u < (ABILITY[model] ?? 0.5);
        return ok
          ? { text: `So the answer is ${hit.example.target}.` }
          : { text: 'So the answer is unknown.', annotations: { sim: { trueCause: 'REASONING_SLIP' } } };
      });
      const completion = choices.reduce((a, c) => a + Math.ceil(c.text.length / 4), 0);
      return { model, choices, usage: { promptTokens: Math.ceil(text.length / 4), completionTokens: completion } };
    },
  };
}
