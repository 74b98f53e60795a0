/**
 * Pairwise win rate by a judge model (suite option `pairwise:`;
 * benchmarks/pairwise.ts writes cells/<id>/pairwise.json): per optimizer ×
 * task × target, how often the judge preferred the method's answer to the
 * baseline entry's answer on the same prompt, target and seed — the measure of
 * BPO (Cheng et al. 2023, §4). The statistic and its interval are
 * `winRate` (reports/stats/winRate.ts): unit = the prompt (seeds as a second
 * level), n = distinct prompts judged. Paper values with `metric: winrate` are
 * set beside ours with a verdict on ΔWR.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Cell, RunDir } from './load.js';
import { paperValues, verdict } from './sections/paper.js';
import { winRate, type PairOutcome, type WinRateEstimate } from './stats/winRate.js';
import type { Table } from './tables.js';

const FileSchema = z.object({
  judge: z.string(),
  baseline: z.string(),
  baselineCell: z.string(),
  order: z.string(),
  prompts: z.array(z.object({ exampleId: z.string(), outcome: z.enum(['win', 'tie', 'loss']).nullable(), judgements: z.array(z.unknown()) })),
});
type PairwiseFile = z.infer<typeof FileSchema>;

export interface PairwiseRow extends WinRateEstimate {
  optimizer: string;
  baseline: string;
  judge: string;
  order: string;
  task: string;
  target: string;
  seedList: number[];
  /** Judged prompts whose verdict could not be read (left out of n), over seeds. */
  unparsed: number;
  /** Prompts not judged in every seed (crossed design), left out. */
  dropped: number;
  paper?: { win: number; tie?: number; loss: number; dwr: number; verdict: string; table: string; verified: boolean; source: string };
}

export interface PairwiseAnalysis {
  rows: PairwiseRow[];
  notes: string[];
}

function readFile(runDir: string, id: string, notes: string[]): PairwiseFile | undefined {
  const f = path.join(runDir, 'cells', id, 'pairwise.json');
  if (!existsSync(f)) return undefined;
  try {
    const r = FileSchema.safeParse(JSON.parse(readFileSync(f, 'utf8')));
    if (r.success) return r.data;
  } catch {
    // reported below
  }
  notes.push(`${f}: not in the pairwise.json format; left out.`);
  return undefined;
}

/** The win-rate rows of a loaded run (empty when no cell has pairwise.json). */
export function pairwiseAnalysis(run: RunDir): PairwiseAnalysis {
  const notes: string[] = [];
  const groups = new Map<string, { cells: Array<{ cell: Cell; file: PairwiseFile }> }>();
  for (const c of run.cells) {
    const file = readFile(run.dir, c.id, notes);
    if (!file) continue;
    const k = JSON.stringify([c.label, file.baseline, file.judge, file.order, c.spec.task, c.spec.target]);
    const g = groups.get(k) ?? { cells: [] };
    g.cells.push({ cell: c, file });
    groups.set(k, g);
  }
  const paper = paperValues(run, 'winrate');
  const rows: PairwiseRow[] = [];
  for (const { cells } of groups.values()) {
    cells.sort((a, b) => a.cell.spec.seed - b.cell.spec.seed);
    const first = cells[0]!;
    const nested = cells.some((x) => x.cell.spec.splitSeed === 'per-seed');
    const unparsed = cells.reduce((a, x) => a + x.file.prompts.filter((p) => p.outcome === null).length, 0);
    const perSeed = cells.map((x) => new Map(x.file.prompts.filter((p) => p.outcome !== null).map((p) => [p.exampleId, p.outcome as PairOutcome])));
    let outcomes: PairOutcome[][];
    let dropped = 0;
    if (nested) outcomes = perSeed.map((m) => [...m.values()]);
    else {
      const all = new Set(perSeed.flatMap((m) => [...m.keys()]));
      const common = [...all].filter((id) => perSeed.every((m) => m.has(id))).sort();
      dropped = all.size - common.length;
      outcomes = perSeed.map((m) => common.map((id) => m.get(id)!));
    }
    if (outcomes.some((r) => r.length === 0)) {
      notes.push(`${first.cell.label} on ${first.cell.spec.task}, ${first.cell.spec.target}: no prompt with a readable verdict in every seed; left out.`);
      continue;
    }
    const est = winRate(outcomes, { design: nested ? 'nested' : 'crossed' });
    const row: PairwiseRow = {
      ...est,
      optimizer: first.cell.label,
      baseline: first.file.baseline,
      judge: first.file.judge,
      order: first.file.order,
      task: first.cell.spec.task,
      target: first.cell.spec.target,
      seedList: cells.map((x) => x.cell.spec.seed),
      unparsed,
      dropped,
    };
    const entry = first.cell.spec.label ?? first.cell.spec.optimizer;
    const pv = paper.find((p) => p.task === row.task && p.optimizer === entry && p.baseline === row.baseline);
    if (pv) {
      const dwr = (pv.value - pv.baselineValue) / 100;
      row.paper = {
        win: pv.value / 100,
        ...(pv.tie !== undefined ? { tie: pv.tie / 100 } : {}),
        loss: pv.baselineValue / 100,
        dwr,
        verdict: verdict(dwr, est.dLo, est.dHi),
        table: pv.table,
        verified: pv.verified,
        source: pv.source,
      };
    }
    rows.push(row);
  }
  rows.sort((a, b) => a.task.localeCompare(b.task) || a.target.localeCompare(b.target) || a.optimizer.localeCompare(b.optimizer));
  return { rows, notes };
}

const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });

/** The report table (CSV `pairwise.csv`). */
export function pairwiseTable(a: PairwiseAnalysis, sim: boolean): Table {
  const hasPaper = a.rows.some((r) => r.paper);
  const note =
    'A judge model compared, prompt by prompt, the target\'s answer under each method with its answer under the baseline entry (same test prompt, target and seed; BPO\'s judge prompt, benchmarks/pairwise.ts). ' +
    'win / tie / loss = shares of prompts from the method\'s side (mean over seeds); WR = win + tie/2; ΔWR = win − loss (BPO\'s measure, thu-coai/BPO cal_gpt4_score.py:31) = 2·WR − 1. ' +
    'Unit of analysis: the prompt. 95% interval of WR: ΔWR ± t·se with the two-level variance (seeds + prompts, Agresti–Min pseudo-counts; reports/stats/winRate.ts), mapped to WR; with one seed, or seeds that agree on every prompt, it covers the sampling of prompts only. ' +
    'n = distinct prompts judged (in every seed); unparsed = verdicts that could not be read, left out of n. order: random = one order per prompt by a coin flip (BPO\'s evaluation); both = both orders, a win only when they agree (MT-Bench\'s rule).' +
    (hasPaper ? ' paper: the paper\'s win / tie / loss (%) and ΔWR; verdict on ΔWR as in the paper-numbers table ("unverified" = from a secondary source).' : '') +
    (sim ? ' With sim models the judge is simulated: these numbers check the harness, not the paper.' : '') +
    (a.notes.length ? ' ' + a.notes.join(' ') : '');
  return {
    id: 'pairwise',
    title: 'Pairwise win rate (judged)',
    note,
    columns: [
      c('task', 'task'),
      c('target', 'target'),
      c('optimizer', 'optimizer'),
      c('baseline', 'vs'),
      c('judge', 'judge'),
      c('order', 'order'),
      c('seeds', 'seeds'),
      c('n', 'n prompts', 'int'),
      c('unparsed', 'unparsed', 'int'),
      c('win', 'win %', 'pct'),
      c('tie', 'tie %', 'pct'),
      c('loss', 'loss %', 'pct'),
      c('wr', 'WR %', 'pct'),
      c('lo', 'lo %', 'pct'),
      c('hi', 'hi %', 'pct'),
      c('dwr', 'ΔWR', 'pct'),
      c('dLo', 'ΔWR lo', 'pct'),
      c('dHi', 'ΔWR hi', 'pct'),
      ...(hasPaper ? [c('paperWin', 'paper win %', 'pct'), c('paperTie', 'paper tie %', 'pct'), c('paperLoss', 'paper loss %', 'pct'), c('paperDwr', 'paper ΔWR', 'pct'), c('verdict', 'verdict'), c('paperTable', 'table'), c('verified', 'verified'), c('source', 'source')] : []),
    ],
    rows: a.rows.map((r) => ({
      task: r.task,
      target: r.target,
      optimizer: r.optimizer,
      baseline: r.baseline,
      judge: r.judge,
      order: r.order,
      seeds: r.seedList.join(' '),
      n: r.n,
      unparsed: r.unparsed,
      win: r.win,
      tie: r.tie,
      loss: r.loss,
      wr: r.wr,
      lo: r.lo,
      hi: r.hi,
      dwr: r.dwr,
      dLo: r.dLo,
      dHi: r.dHi,
      ...(hasPaper
        ? {
            paperWin: r.paper?.win ?? null,
            paperTie: r.paper?.tie ?? null,
            paperLoss: r.paper?.loss ?? null,
            paperDwr: r.paper?.dwr ?? null,
            verdict: r.paper?.verdict ?? null,
            paperTable: r.paper?.table ?? null,
            verified: r.paper ? (r.paper.verified ? 'verified' : 'unverified') : null,
            source: r.paper?.source ?? null,
          }
        : {}),
    })),
  };
}
