/**
 * What one optimization run starts from, resolved in one place for
 * `popbench optimize` and the suite runner (docs/optimizers.md, "Starting
 * prompt, presets and scoring"):
 *
 * - options: defaults < equal-budget overrides (equal mode) < paper preset
 *   options (`preset: paper`) < the user's own (`--set`, suite `options`);
 * - starting prompt: the optimizer's reference starting prompt for the task
 *   (`Optimizer.initial`) < the preset's < the user's (`--initial`,
 *   `--initial-position`, suite `initial`), field by field, so a position
 *   alone moves the reference text;
 * - scoring: 'strict' < the preset's < the user's.
 */
import { ZodError } from 'zod';
import { UserError } from '../core/errors.js';
import { LAYOUTS, POSITIONS, type Layout, type Position, type Prompt } from '../core/types.js';
import { layoutAllows } from '../tasks/task.js';
import { OPTIMIZERS, optimizerNames } from './index.js';
import type { PaperPreset, Scoring } from './types.js';

export type PresetName = 'paper';
export const PRESETS: readonly PresetName[] = ['paper'];

/** A starting prompt as the user gives it: any of its fields. */
export interface InitialOverride {
  instruction?: string;
  position?: Position;
  layout?: Layout;
}

/** What is wrong with one option: its name (dotted path) and the schema's complaint. */
export interface OptionIssue {
  option: string;
  message: string;
  /** True when the option is not one the optimizer has. */
  unknown: boolean;
}

/**
 * Merge overrides over an optimizer's defaults (in equal mode its
 * equal-budget overrides, then `presetOptions`) and validate: the options,
 * or the first issue. An unknown optimizer name is a UserError.
 */
export function checkOptions(
  name: string,
  mode: 'paper' | 'equal',
  sets: Record<string, unknown>,
  presetOptions: Record<string, unknown> = {},
): { options: Record<string, unknown> } | { issue: OptionIssue } {
  const reg = OPTIMIZERS[name];
  if (!reg) throw new UserError(`unknown optimizer "${name}"; known: ${optimizerNames().join(', ')}`);
  const merged = { ...reg.optimizer.defaults, ...(mode === 'equal' ? reg.equalBudget : {}), ...presetOptions, ...sets };
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

/** The paper preset of an optimizer for a task; a UserError when the paper defines none. */
export function paperPresetFor(name: string, taskId: string): PaperPreset {
  const reg = OPTIMIZERS[name];
  if (!reg) throw new UserError(`unknown optimizer "${name}"; known: ${optimizerNames().join(', ')}`);
  const preset = reg.optimizer.paperPreset?.(taskId);
  if (!preset) throw new UserError(`preset paper: optimizer ${name} has no paper setting for task ${taskId}`);
  return preset;
}

/** Check a starting-prompt override; `where` names it in errors (e.g. "--initial-position"). */
export function checkInitial(o: InitialOverride, where: string): InitialOverride {
  if (o.position !== undefined && !POSITIONS.includes(o.position))
    throw new UserError(`${where}: expected one of ${POSITIONS.join(', ')}, got "${o.position}"`);
  if (o.layout !== undefined && !LAYOUTS.includes(o.layout))
    throw new UserError(`${where}: expected one of ${LAYOUTS.join(', ')}, got "${o.layout}"`);
  return o;
}

/** The starting prompt of a run: base (preset or reference) with the user's fields over it; undefined when nothing sets one. */
export function resolveInitial(base: Prompt | undefined, override: InitialOverride | undefined, where = 'initial'): Prompt | undefined {
  if (!base && (!override || Object.keys(override).length === 0)) return undefined;
  const out: Prompt = { ...(base ?? { instruction: '' }) };
  if (override?.instruction !== undefined) out.instruction = override.instruction;
  if (override?.position !== undefined) out.position = override.position;
  if (override?.layout !== undefined) out.layout = override.layout;
  if (!layoutAllows(out.layout ?? 'qa', out.position ?? 'Q_begin'))
    throw new UserError(`${where}: the ${out.layout} layout has no ${out.position} position (choose the qa layout: --initial-layout qa, or layout: qa in a suite)`);
  return out;
}

export interface RunRequest {
  optimizer: string;
  taskId: string;
  mode: 'paper' | 'equal';
  sets?: Record<string, unknown>;
  preset?: PresetName;
  initial?: InitialOverride;
  scoring?: Scoring;
}

export interface RunSetup {
  options: Record<string, unknown>;
  /** The starting prompt (undefined: the empty instruction at Q_begin). */
  initial?: Prompt;
  scoring: Scoring;
  /** The preset applied, when one was asked for. */
  preset?: PaperPreset;
}

/**
 * Resolve a run's options, starting prompt and scoring (see the module doc).
 * Errors are UserErrors naming the option; `optionWhere` prefixes option errors.
 */
export function resolveRun(req: RunRequest, optionWhere = '--set'): RunSetup {
  const reg = OPTIMIZERS[req.optimizer];
  if (!reg) throw new UserError(`unknown optimizer "${req.optimizer}"; known: ${optimizerNames().join(', ')}`);
  const preset = req.preset === 'paper' ? paperPresetFor(req.optimizer, req.taskId) : undefined;
  const r = checkOptions(req.optimizer, req.mode, req.sets ?? {}, preset?.options ?? {});
  if ('issue' in r) throw new UserError(`${optionWhere} ${r.issue.option}: ${r.issue.message} (optimizer ${req.optimizer})`);
  const base = preset?.initial ?? reg.optimizer.initial?.(req.taskId);
  const initial = resolveInitial(base, req.initial);
  return {
    options: r.options,
    ...(initial ? { initial } : {}),
    scoring: req.scoring ?? preset?.scoring ?? 'strict',
    ...(preset ? { preset } : {}),
  };
}
