/**
 * Leaderboard pivot: one row per (task, target), one column per optimizer,
 * each cell "mean [lo, hi] (rank)" from the accuracy table (same interval,
 * same n), rank 1 = best within the row (ties averaged). The tidy form
 * (one row per optimizer × task × target) goes to leaderboard-long.csv.
 */
import type { Analysis } from '../analysis.js';
import { averageRanks } from '../stats/index.js';
import { formatValue, type Column, type Table } from '../tables.js';
import { blockKey, blocksOf, mean } from './common.js';

export interface LeaderboardEntry {
  task: string;
  target: string;
  optimizer: string;
  mean: number;
  lo: number;
  hi: number;
  interval: string;
  rank: number;
  seeds: number;
  n: number;
}

export function leaderboard(a: Analysis): { entries: LeaderboardEntry[]; optimizers: string[] } {
  const rows = a.accuracy.filter((r) => Number.isFinite(r.mean));
  const entries: LeaderboardEntry[] = [];
  for (const b of blocksOf(rows)) {
    const inBlock = rows.filter((r) => blockKey(r) === blockKey(b));
    const ranks = averageRanks(inBlock.map((r) => -r.mean));
    inBlock.forEach((r, i) => entries.push({ task: r.task, target: r.target, optimizer: r.optimizer, mean: r.mean, lo: r.lo, hi: r.hi, interval: r.interval, rank: ranks[i]!, seeds: r.seeds.length, n: r.n }));
  }
  const labels = [...new Set(entries.map((e) => e.optimizer))];
  const avgRank = new Map(labels.map((l) => [l, mean(entries.filter((e) => e.optimizer === l).map((e) => e.rank))]));
  labels.sort((x, y) => avgRank.get(x)! - avgRank.get(y)! || x.localeCompare(y));
  return { entries, optimizers: labels };
}

export function leaderboardTables(a: Analysis, powerNote: string): Table[] {
  const { entries, optimizers } = leaderboard(a);
  const blocks = blocksOf(entries);
  const cell = (e: LeaderboardEntry | undefined) =>
    e ? `${formatValue(e.mean, 'pct')} [${formatValue(e.lo, 'pct')}, ${formatValue(e.hi, 'pct')}] (${formatValue(e.rank, 'num')})` : null;
  // The CSV header is the column keys: each optimizer's column is keyed by its label (prefixed only if it would clash).
  const key = (o: string) => (o === 'task' || o === 'target' ? `optimizer:${o}` : o);
  const columns: Column[] = [
    { key: 'task', header: 'task', kind: 'text' },
    { key: 'target', header: 'target', kind: 'text' },
    ...optimizers.map((o) => ({ key: key(o), header: o, kind: 'text' as const })),
  ];
  const rows = blocks.map((b) => {
    const r: Record<string, string | null> = { task: b.task, target: b.target };
    optimizers.forEach((o) => (r[key(o)] = cell(entries.find((e) => e.optimizer === o && blockKey(e) === blockKey(b)))));
    return r;
  });
  const avg = { task: 'mean rank', target: '' } as Record<string, string | null>;
  optimizers.forEach((o) => (avg[key(o)] = formatValue(mean(entries.filter((e) => e.optimizer === o).map((e) => e.rank)), 'num')));
  return [
    {
      id: 'leaderboard',
      title: 'Leaderboard (optimizer × task × target)',
      note: `Each cell: mean test accuracy % [95% interval, the accuracy table's, with its n and kind there] (rank within the row, 1 = best, ties averaged). Columns ordered by mean rank over rows (last row; over the rows where the optimizer has a result). ${powerNote}`,
      columns,
      rows: blocks.length ? [...rows, avg] : [],
    },
    {
      id: 'leaderboard-long',
      title: 'Leaderboard (tidy)',
      note: 'The leaderboard in long form: one row per optimizer × task × target.',
      columns: [
        { key: 'task', header: 'task', kind: 'text' },
        { key: 'target', header: 'target', kind: 'text' },
        { key: 'optimizer', header: 'optimizer', kind: 'text' },
        { key: 'mean', header: 'acc %', kind: 'pct' },
        { key: 'lo', header: 'lo %', kind: 'pct' },
        { key: 'hi', header: 'hi %', kind: 'pct' },
        { key: 'interval', header: 'interval', kind: 'text' },
        { key: 'rank', header: 'rank', kind: 'num' },
        { key: 'seeds', header: 'seeds', kind: 'int' },
        { key: 'n', header: 'n', kind: 'int' },
      ],
      rows: entries.map((e) => ({ ...e })),
      csvOnly: true,
    },
  ];
}
