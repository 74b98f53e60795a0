/** Sim provider: the simulated world's models (sim/index.ts) behind the LLM interface. */
import type { LLM } from '../../core/types.js';
import { createSimLLM, isSimModel, type SimOptimizerOverrides, type SimWorld } from '../../sim/index.js';
import { UserError } from '../../core/errors.js';

/** `overrides`: sim optimizer parameters for controlled experiments (e.g. `{ recognise: 0 }`; docs/sim.md). */
export function simProvider(model: string, world: SimWorld, overrides?: SimOptimizerOverrides): LLM {
  if (!isSimModel(model)) throw new UserError(`unknown sim model: ${model}`);
  const inner = createSimLLM(model, world, overrides);
  return {
    provider: 'sim',
    model,
    // a raw completion reaches the sim as its text, as serve-sim's /v1/completions does
    complete: (req, signal) => inner.complete(req.prompt !== undefined ? { ...req, messages: [{ role: 'user', content: req.prompt }] } : req, signal),
  };
}
