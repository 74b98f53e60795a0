/**
 * Paper numbers beside ours: for each value a suite carries under `paper`
 * (benchmarks/suite.ts PaperValueSchema), the paper's gain of its method over
 * its own baseline prompt (value − baselineValue, points) beside our paired
 * gain of the same suite entries (analysis `compare`: same examples and seeds)
 * with its 95% interval, and a one-word verdict: consistent (the paper's gain
 * lies in our interval), smaller (ours is below it: interval entirely under the
 * paper's gain) or larger (interval entirely above it).
 *
 * A value over several tasks (`tasks`, when the paper reports a mean over tasks) is
 * compared with the mean of our per-task paired gains, d̄ = Σ d_k/K, whose variance is
 * Σ se_k²/K² (tasks are disjoint example sets scored by separate cells, so independent)
 * and whose df is Welch–Satterthwaite's (Σ v_k)²/Σ(v_k²/df_k), v_k = se_k²/K²
 * (Satterthwaite 1946; Welch 1947); interval d̄ ± t_{df}·se, clipped to [−1, 1].
 */
import { z } from 'zod';
import { compare, type Analysis, type ComparisonRow } from '../analysis.js';
import { studentTQuantile } from '../stats/studentTQuantile.js';
import type { CellGroup, RunDir } from '../load.js';
import type { Table } from '../tables.js';

const paperValue = z.looseObject({
  task: z.string(),
  tasks: z.array(z.string()).optional(),
  optimizer: z.string(),
  baseline: z.string(),
  value: z.number(),
  baselineValue: z.number(),
  table: z.string(),
  source: z.string(),
  verified: z.boolean(),
  setting: z.string().optional(),
});
type PaperValue = z.infer<typeof paperValue>;

/** The `paper` values of the run's suite.json (none when absent or malformed). */
export function paperValues(run: RunDir): PaperValue[] {
  const r = z.looseObject({ paper: z.array(paperValue).optional() }).safeParse(run.suite ?? {});
  return r.success ? (r.data.paper ?? []) : [];
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

/** Mean of per-task comparisons with its interval (see the module doc); undefined when any is missing. */
export function meanOverTasks(rows: readonly (ComparisonRow | undefined)[], level = 0.95): { diff: number; lo: number; hi: number; n: number } | undefined {
  if (rows.length === 0 || rows.some((r) => !r)) return undefined;
  const rs = rows as ComparisonRow[];
  const K = rs.length;
  const diff = rs.reduce((x, r) => x + r.diff, 0) / K;
  const v = rs.map((r) => (r.se * r.se) / (K * K));
  const V = v.reduce((x, y) => x + y, 0);
  const denom = v.reduce((x, vk, k) => x + (vk * vk) / rs[k]!.df, 0);
  const df = denom > 0 ? (V * V) / denom : Math.min(...rs.map((r) => r.df));
  const q = studentTQuantile(1 - (1 - level) / 2, df);
  const se = Math.sqrt(V);
  return { diff, lo: Math.max(-1, diff - q * se), hi: Math.min(1, diff + q * se), n: rs.reduce((x, r) => x + r.n, 0) };
}

export function paperTable(run: RunDir, a: Analysis, groups: readonly CellGroup[], bootstrapB = 10_000): Table | undefined {
  const values = paperValues(run);
  if (!values.length) return undefined;
  const targets = [...new Set(groups.map((g) => g.target))].sort();
  const rows: Table['rows'] = [];
  for (const p of values) {
    for (const target of targets) {
      const cmp = (task: string) => {
        const og = findGroup(groups, p.optimizer, task, target);
        const bg = findGroup(groups, p.baseline, task, target);
        return og && bg ? compare(og, bg, bootstrapB) : undefined;
      };
      const r = p.tasks ? meanOverTasks(p.tasks.map(cmp)) : cmp(p.task);
      const paperGain = (p.value - p.baselineValue) / 100;
      rows.push({
        task: p.tasks ? `${p.task} = mean of ${p.tasks.join(', ')}` : p.task,
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
    note: `paper gain = the paper's accuracy of the method minus that of its own baseline prompt (points), as the suite records it (table, source; "unverified" = taken from a secondary source, not read in the paper). our gain = our paired difference between the same two suite entries on the same test examples and seeds (as in the comparison tables), with its 95% interval and n pairs; where the paper reports a mean over tasks ("= mean of ..."), ours is the mean of the per-task paired gains on the listed suite tasks, interval from their summed variances with Welch–Satterthwaite df, n summed over the tasks. verdict: consistent = the paper's gain lies in our interval; smaller = our whole interval is below it; larger = above it; n/a = an entry has no finished cells.${a.sim ? ' This run uses sim models, so a verdict here checks the harness, not the paper: the paper\'s models differ.' : ' The paper\'s models and data may differ from this run\'s; see each suite\'s header.'}`,
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('baseline', 'baseline prompt'), c('paperBase', 'paper base %', 'pct'), c('paperValue', 'paper %', 'pct'), c('paperGain', 'paper gain', 'pct'), c('ourGain', 'our gain', 'pct'), c('lo', 'lo', 'pct'), c('hi', 'hi', 'pct'), c('n', 'n pairs', 'int'), c('verdict', 'verdict'), c('table', 'table'), c('verified', 'verified'), c('source', 'source')],
    rows,
  };
}
