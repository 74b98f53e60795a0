/**
 * A shipped suite in a reduced form, for checks that run every suite's analysis end
 * to end in seconds (benchmarks/suites-report.test.ts, `npm run check:suites`): the
 * same entries, presets, scoring and `paper` values, on fewer seeds, tasks and targets,
 * with a small equal budget and test set. The reduced run checks the harness and the
 * report, not the suite's findings.
 */
import { readFileSync } from 'node:fs';
import YAML from 'yaml';
import { parseSuiteYaml, type Suite } from './suite.js';

export interface ReduceOptions {
  /** Seeds kept (the first k; default 2, so that the seed level exists). */
  seeds?: number;
  /** Tasks kept (the first k; default all). `paper` values whose tasks are dropped are dropped. */
  tasks?: number;
  /** Targets kept (the first k; default all). */
  targets?: number;
  /** Equal budget per cell (default 40 target calls, 8 optimizer calls). */
  targetCalls?: number;
  optimizerCalls?: number;
  /** Test examples per cell (default 24). */
  testLimit?: number;
  /** Anytime checkpoints (default 2). */
  checkpoints?: number;
  /** Data directory (default the suite's). */
  dataDir?: string;
}

/** Parse `file` (a suite YAML), reduce it as `opts` says, and validate the result like any suite. */
export function reduceSuite(file: string, opts: ReduceOptions = {}): Suite {
  const raw = YAML.parse(readFileSync(file, 'utf8')) as Record<string, unknown> & {
    seeds: number[];
    tasks: string[];
    targets: string[];
    paper?: Array<{ task: string; tasks?: string[] }>;
  };
  raw.seeds = raw.seeds.slice(0, opts.seeds ?? 2);
  if (opts.tasks !== undefined) raw.tasks = raw.tasks.slice(0, opts.tasks);
  if (opts.targets !== undefined) raw.targets = raw.targets.slice(0, opts.targets);
  raw['budget'] = { mode: 'equal', targetCalls: opts.targetCalls ?? 40, optimizerCalls: opts.optimizerCalls ?? 8 };
  raw['testLimit'] = opts.testLimit ?? 24;
  raw['checkpoints'] = opts.checkpoints ?? 2;
  if (opts.dataDir !== undefined) raw['dataDir'] = opts.dataDir;
  if (raw.paper) {
    const kept = raw.paper
      .map((p) => (p.tasks ? { ...p, tasks: p.tasks.filter((t) => raw.tasks.includes(t)) } : p))
      .filter((p) => (p.tasks ? p.tasks.length > 0 : raw.tasks.includes(p.task)));
    if (kept.length) raw.paper = kept;
    else delete raw.paper;
  }
  return parseSuiteYaml(JSON.stringify(raw), `${file} (reduced)`);
}
