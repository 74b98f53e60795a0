/**
 * Every interval in a report's CSV files, for the check that none has zero width
 * (benchmarks/suites-report.test.ts, `npm run check:suites`). An interval is a pair of
 * columns `lo`/`hi`, `<x>Lo`/`<x>Hi` or `<x>_lo`/`<x>_hi` in the same row with numeric
 * values, or a cell reading `<number> [<lo>, <hi>]` (the leaderboard pivot).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

export interface IntervalFound {
  file: string;
  row: number;
  columns: string;
  lo: number;
  hi: number;
}

/** The column that pairs with a lower-bound column, or undefined. */
export function hiColumnOf(lo: string): string | undefined {
  if (lo === 'lo') return 'hi';
  if (/Lo$/.test(lo)) return lo.replace(/Lo$/, 'Hi');
  if (/_lo$/.test(lo)) return lo.replace(/_lo$/, '_hi');
  return undefined;
}

const BRACKET = /(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*\[\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*,\s*(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*\]/i;

/** All intervals in the .csv files of `dir` (not recursive). */
export function scanIntervals(dir: string): IntervalFound[] {
  const found: IntervalFound[] = [];
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.csv')).sort()) {
    const rows = parse(readFileSync(path.join(dir, name), 'utf8'), { columns: true, skip_empty_lines: true }) as Record<string, string>[];
    if (rows.length === 0) continue;
    const cols = Object.keys(rows[0]!);
    const pairs = cols.flatMap((lo) => {
      const hi = hiColumnOf(lo);
      return hi && cols.includes(hi) ? [[lo, hi] as const] : [];
    });
    rows.forEach((r, i) => {
      for (const [lo, hi] of pairs) {
        if (r[lo] === '' || r[hi] === '') continue;
        const a = Number(r[lo]);
        const b = Number(r[hi]);
        if (Number.isFinite(a) && Number.isFinite(b)) found.push({ file: name, row: i + 2, columns: `${lo}/${hi}`, lo: a, hi: b });
      }
      for (const c of cols) {
        const m = BRACKET.exec(r[c] ?? '');
        if (m) found.push({ file: name, row: i + 2, columns: c, lo: Number(m[2]), hi: Number(m[3]) });
      }
    });
  }
  return found;
}
