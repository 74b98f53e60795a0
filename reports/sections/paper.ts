/**
 * Paper numbers beside ours: for each value a suite carries under `paper`
 * (benchmarks/suite.ts PaperValueSchema), the paper's gain of its method over
 * its own baseline prompt (value − baselineValue, points) beside our paired
 * gain of the same suite entries (analysis `compare`: same examples and seeds)
 * with its 95% interval, and a one-word verdict: consistent (the paper's gain
 * lies in our interval), smaller (ours is below it: interval entirely under the
 * paper's gain) or larger (interval entirely above it).
 */
import { z } from 'zod';
import { compare, type Analysis } from '../analysis.js';
import type { CellGroup, RunDir } from '../load.js';
import type { Table } from '../tables.js';

const paperValue = z.looseObject({
  task: z.string(),
  optimizer: z.string(),
  baseline: z.string(),
  value: z.number(),
  baselineValue: z.number(),
  table: z.string(),
  source: z.string(),
  verified: z.boolean(),
  setting: z.string().optional(),
  metric: z.enum(['accuracy', 'winrate']).optional(),
  tie: z.number().optional(),
});
type PaperValue = z.infer<typeof paperValue>;

/** The `paper` values of the run's suite.json (none when absent or malformed); `metric` picks accuracy values (default) or win rates (reports/pairwise.ts). */
export function paperValues(run: RunDir, metric: 'accuracy' | 'winrate' = 'accuracy'): PaperValue[] {
  const r = z.looseObject({ paper: z.array(paperValue).optional() }).safeParse(run.suite ?? {});
  return r.success ? (r.data.paper ?? []).filter((p) => (p.metric ?? 'accuracy') === metric) : [];
}

export type Verdict = 'consistent' | 'smaller' | 'larger' | 'n/a';
export function verdict(paperGain: number, lo: number, hi: number): Verdict {
  if (![paperGain, lo, hi].every(Number.isFinite)) return 'n/a';
  if (paperGain < lo) return 'larger';
  if (paperGain > hi) return 'smaller';
  return 'consistent';
}

/** A suite entry label as the report names its rows (paper-mode cells without a label: "name (paper)"). */
const findGroup = (groups: readonly CellGroup[], label: string, task: string, target: string) =>
  groups.find((g) => g.task === task && g.target === target && (g.label === label || g.label === `${label} (paper)`));

export function paperTable(run: RunDir, a: Analysis, groups: readonly CellGroup[], bootstrapB = 10_000): Table | undefined {
  const values = paperValues(run);
  if (!values.length) return undefined;
  const targets = [...new Set(groups.map((g) => g.target))].sort();
  const rows: Table['rows'] = [];
  for (const p of values) {
    for (const target of targets) {
      const og = findGroup(groups, p.optimizer, p.task, target);
      const bg = findGroup(groups, p.baseline, p.task, target);
      const r = og && bg ? compare(og, bg, bootstrapB) : undefined;
      const paperGain = (p.value - p.baselineValue) / 100;
      rows.push({
        task: p.task,
        target,
        optimizer: p.optimizer,
        baseline: p.baseline,
        paperBase: p.baselineValue / 100,
        paperValue: p.value / 100,
        paperGain,
        ourGain: r ? r.diff : null,
        lo: r ? r.lo : null,
        hi: r ? r.hi : null,
        n: r ? r.n : null,
        verdict: r ? verdict(paperGain, r.lo, r.hi) : 'n/a',
        table: p.table,
        verified: p.verified ? 'verified' : 'unverified',
        source: p.source,
      });
    }
  }
  const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });
  return {
    id: 'paper',
    title: 'Paper numbers beside ours',
    note: `paper gain = the paper's accuracy of the method minus that of its own baseline prompt (points), as the suite records it (table, source; "unverified" = taken from a secondary source, not read in the paper). our gain = our paired difference between the same two suite entries on the same test examples and seeds (as in the comparison tables), with its 95% interval and n pairs. verdict: consistent = the paper's gain lies in our interval; smaller = our whole interval is below it; larger = above it; n/a = an entry has no finished cells.${a.sim ? ' This run uses sim models, so a verdict here checks the harness, not the paper: the paper\'s models differ.' : ' The paper\'s models and data may differ from this run\'s; see each suite\'s header.'}`,
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('baseline', 'baseline prompt'), c('paperBase', 'paper base %', 'pct'), c('paperValue', 'paper %', 'pct'), c('paperGain', 'paper gain', 'pct'), c('ourGain', 'our gain', 'pct'), c('lo', 'lo', 'pct'), c('hi', 'hi', 'pct'), c('n', 'n pairs', 'int'), c('verdict', 'verdict'), c('table', 'table'), c('verified', 'verified'), c('source', 'source')],
    rows,
  };
}
