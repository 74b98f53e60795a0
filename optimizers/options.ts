/**
 * Optimizer options from the command line (`--set key=value`) and suite
 * files: merged over an optimizer's defaults (and, in equal mode, its
 * equal-budget overrides) and validated against its schema.
 */
import { ZodError } from 'zod';
import { UserError } from '../core/errors.js';
import { OPTIMIZERS, optimizerNames } from './index.js';

/** Parse `key=value` option overrides; values are JSON when they parse as JSON, else strings. */
export function parseSets(sets: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UserError(`--set: expected key=value, got "${s}"`);
    const key = s.slice(0, eq).trim();
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      if (raw === 'Infinity') value = Infinity;
    }
    out[key] = value;
  }
  return out;
}

/** What is wrong with one option: its name (dotted path) and the schema's complaint. */
export interface OptionIssue {
  option: string;
  message: string;
  /** True when the option is not one the optimizer has. */
  unknown: boolean;
}

/**
 * Merge overrides over an optimizer's defaults (and, in equal mode, its
 * equal-budget overrides) and validate: the options, or the first issue.
 * An unknown optimizer name is a UserError.
 */
export function checkOptions(
  name: string,
  mode: 'paper' | 'equal',
  sets: Record<string, unknown>,
): { options: Record<string, unknown> } | { issue: OptionIssue } {
  const reg = OPTIMIZERS[name];
  if (!reg) throw new UserError(`unknown optimizer "${name}"; known: ${optimizerNames().join(', ')}`);
  const merged = { ...reg.optimizer.defaults, ...(mode === 'equal' ? reg.equalBudget : {}), ...sets };
  try {
    return { options: reg.optimizer.schema.parse(merged) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ZodError) {
      const issue = err.issues[0]!;
      const keys = (issue as { keys?: string[] }).keys;
      const option = keys?.length ? keys.join(', ') : issue.path.join('.') || '(options)';
      return { issue: { option, message: issue.message, unknown: issue.code === 'unrecognized_keys' } };
    }
    throw err;
  }
}

/** Merge overrides over an optimizer's defaults and validate; errors name the option. */
export function resolveOptions(name: string, mode: 'paper' | 'equal', sets: Record<string, unknown>): Record<string, unknown> {
  const r = checkOptions(name, mode, sets);
  if ('issue' in r) throw new UserError(`--set ${r.issue.option}: ${r.issue.message} (optimizer ${name})`);
  return r.options;
}

