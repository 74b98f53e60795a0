/**
 * Registry of optimizers by CLI name. Each entry also says which options to
 * lift in "equal budget" mode, where the shared budget (not the paper's step
 * schedule) is what stops every optimizer.
 */
import { ape } from './ape.js';
import { apeCot, empty, fewShot, zeroShotCot } from './baselines.js';
import { bpo } from './bpo.js';
import { capo } from './capo.js';
import { evoprompt } from './evoprompt.js';
import { external } from './external.js';
import { gepa } from './gepa.js';
import { gpo } from './gpo.js';
import { abo } from './abo.js';
import { mipro } from './mipro.js';
import { opro } from './opro.js';
import { pe2 } from './pe2.js';
import { protegi } from './protegi.js';
import type { Optimizer } from './types.js';

export interface RegisteredOptimizer {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  optimizer: Optimizer<any>;
  /** Option overrides for equal-budget mode (unbounded schedules; the budget stops the run). */
  equalBudget: Record<string, unknown>;
  /** The search runs outside popbench, through `popbench proxy` (optimizers/external.ts). */
  external?: boolean;
}

const entry = <O extends object>(optimizer: Optimizer<O>, equalBudget: Partial<O> = {}): RegisteredOptimizer => ({
  optimizer,
  equalBudget,
});

export const OPTIMIZERS: Record<string, RegisteredOptimizer> = Object.fromEntries(
  [
    entry(empty),
    entry(zeroShotCot),
    entry(apeCot),
    entry(fewShot),
    entry(opro, { steps: Infinity }),
    entry(ape, { resampleRounds: Infinity }),
    entry(protegi, { steps: Infinity }),
    entry(evoprompt, { generations: Infinity }),
    entry(bpo),
    entry(gpo, { epochs: Infinity }),
    entry(abo, { steps: Infinity }),
    entry(mipro, { numTrials: Infinity }),
    entry(gepa, { auto: null, maxMetricCalls: Infinity, maxFullEvals: null }),
    entry(pe2, { steps: Infinity }),
    entry(capo, { steps: Infinity }),
    { ...entry(external), external: true },
  ].map((e) => [e.optimizer.name, e]),
);

/** The optimizers popbench runs itself (without `external`, whose search runs through `popbench proxy`). */
export function optimizerNames(): string[] {
  return Object.keys(OPTIMIZERS)
    .filter((n) => !OPTIMIZERS[n]!.external)
    .sort();
}
