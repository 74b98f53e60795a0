import type { Command } from 'commander';
import { register as registerEval } from './eval.js';

/** Each CLI command module exports a `register(program)`; list them here. */
export const commands: Array<(program: Command) => void> = [registerEval];
