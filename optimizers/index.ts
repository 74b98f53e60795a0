/**
 * Registry of optimizers by CLI name. Each entry also says which options to
 * lift in "equal budget" mode, where the shared budget (not the paper's step
 * schedule) is what stops every optimizer.
 */
import type { Optimizer } from './types.js';

export interface RegisteredOptimizer {
  optimizer: Optimizer<any>;
  /** Option overrides for equal-budget mode (e.g. unbounded step count). */
  equalBudget: Record<string, unknown>;
}

export const OPTIMIZERS: Record<string, RegisteredOptimizer> = {};

export function optimizerNames(): string[] {
  return Object.keys(OPTIMIZERS).sort();
}
