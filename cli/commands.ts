import type { Command } from 'commander';

/** Each CLI command module exports a `register(program)`; list them here. */
export const commands: Array<(program: Command) => void> = [];
