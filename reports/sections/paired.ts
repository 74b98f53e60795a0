/**
 * Paired comparisons: effect sizes and a power note for the comparisons with
 * the baseline (reports/analysis.ts `compare`, which owns the unit of analysis
 * and the test), and best-vs-rest within each task × target, Holm-adjusted
 * over its own family.
 *
 * Effect sizes for paired 0/1 outcomes:
 *  - diff = difference in accuracy (points);
 *  - Cohen's h = 2·asin√p₁ − 2·asin√p₂ (Cohen 1988, §6.2; 0.2 small, 0.5 medium, 0.8 large);
 *  - matched-pairs odds ratio OR = b / c, with ½ added to both when either is 0
 *    (Agresti 2013, Categorical Data Analysis, §11.1.4).
 *
 * Minimum detectable effect per row: Connor's (1987) McNemar approximation on
 * the distinct examples; for a row tested with the two-level t (seeds add
 * variance) it is at least (t₁₋α/₂,df + t₀.₈,df)·se, the MDE of that t test
 * with the row's own se and Satterthwaite df (so few seeds widen it, as they
 * widen the interval).
 */
import { compare, type Analysis, type ComparisonRow } from '../analysis.js';
import type { CellGroup } from '../load.js';
import { holm, sameScore, studentTQuantile } from '../stats/index.js';
import { formatValue, type Table } from '../tables.js';
import { blockKey, median, pairedMde } from './common.js';

export const cohensH = (p1: number, p2: number) => 2 * Math.asin(Math.sqrt(p1)) - 2 * Math.asin(Math.sqrt(p2));
export const matchedOddsRatio = (b: number, c: number) => (b === 0 || c === 0 ? (b + 0.5) / (c + 0.5) : b / c);

/** Distinct example ids the two groups share (same id, any seed both finished): the unit of the paired test. */
export function pairedDistinct(opt: CellGroup, base: CellGroup): number {
  const ids = new Set<string>();
  for (const oc of opt.cells) {
    const bc = base.cells.find((c) => c.spec.seed === oc.spec.seed);
    if (!bc) continue;
    const baseIds = new Set(bc.test.map((s) => s.exampleId));
    for (const s of oc.test) if (baseIds.has(s.exampleId)) ids.add(s.exampleId);
  }
  return ids.size;
}

export interface EffectRow {
  task: string;
  target: string;
  optimizer: string;
  baseline: string;
  distinct: number;
  h: number;
  or: number;
  mde: number;
}

function effect(r: ComparisonRow, groups: readonly CellGroup[], alpha: number): EffectRow {
  const g = (label: string) => groups.find((x) => x.label === label && x.task === r.task && x.target === r.target);
  const og = g(r.optimizer);
  const bg = g(r.baseline);
  const distinct = og && bg ? pairedDistinct(og, bg) : r.n;
  return {
    task: r.task,
    target: r.target,
    optimizer: r.optimizer,
    baseline: r.baseline,
    distinct,
    h: cohensH(r.accOptimizer, r.accBaseline),
    or: matchedOddsRatio(r.b, r.c),
    mde: rowMde(r, distinct, alpha),
  };
}

/** The MDE of one comparison row (see the file comment): Connor on distinct examples, or the two-level t test's when larger. */
export function rowMde(r: Pick<ComparisonRow, 'n' | 'b' | 'c' | 'test' | 'se' | 'df'>, distinct: number, alpha: number, power = 0.8): number {
  const connor = pairedMde(distinct, r.n ? (r.b + r.c) / r.n : 0, alpha, power);
  if (r.test !== 'two-level t (Satterthwaite/Banerjee df)' || !(r.se > 0) || !(r.df > 0)) return connor;
  const t = (studentTQuantile(1 - alpha / 2, r.df) + studentTQuantile(power, r.df)) * r.se;
  return Number.isFinite(connor) ? Math.max(connor, t) : t;
}

/** The power note of a comparison table: the MDE for the median n and discordance. */
export function comparisonPowerNote(rows: readonly ComparisonRow[], effects: readonly EffectRow[], alpha: number): string {
  if (!rows.length) return '';
  const n = median(effects.map((e) => e.distinct));
  const d = median(rows.map((r) => (r.n ? (r.b + r.c) / r.n : 0)));
  const m = rows.length;
  return `Power: with the median n = ${Math.round(n)} distinct test examples and median discordance ${formatValue(d, 'pct')}%, the smallest true difference detected with 80% power at α = ${alpha} (two-sided) is ≈ ${formatValue(pairedMde(n, d, alpha), 'pct')} points, and ≈ ${formatValue(pairedMde(n, d, alpha / m), 'pct')} points at Holm's first step (α/${m}) (Connor 1987 approximation; column MDE per row, which for rows tested with the two-level t is that test's MDE, (t₁₋α/₂,df + t₀.₈,df)·se, when larger). A non-significant row with |diff| below its MDE is "not detectable at this n", not "no difference".`;
}

const EFFECT_COLUMNS = [
  { key: 'distinct', header: 'distinct ex.', kind: 'int' as const },
  { key: 'h', header: "Cohen's h", kind: 'num' as const },
  { key: 'or', header: 'OR b/c', kind: 'num' as const },
  { key: 'mde', header: 'MDE %', kind: 'pct' as const },
];

/** Adds effect sizes, distinct examples and MDE to the comparisons table (in place) and appends its power note. */
export function addEffects(table: Table, a: Analysis, groups: readonly CellGroup[]): void {
  const effects = a.comparisons.map((r) => effect(r, groups, a.alpha));
  table.columns.push(...EFFECT_COLUMNS.filter((c) => !table.columns.some((x) => x.key === c.key)));
  table.rows.forEach((row, i) => {
    const e = effects[i];
    if (!e || row['optimizer'] !== e.optimizer || row['task'] !== e.task || row['target'] !== e.target) return;
    Object.assign(row, { distinct: e.distinct, h: e.h, or: e.or, mde: e.mde });
  });
  table.note += ` Effect sizes: Cohen's h = 2·asin√acc − 2·asin√base (0.2 small, 0.5 medium, 0.8 large); OR = matched-pairs odds ratio b/c (½ added to both when one is 0). distinct ex. = distinct test examples in the pairs (an example shared by several seeds is one). ${comparisonPowerNote(a.comparisons, effects, a.alpha)}`;
}

export interface BestVsRestRow extends ComparisonRow {
  distinct: number;
  h: number;
  or: number;
  mde: number;
}

/** Per task × target: the optimizer with the highest mean test accuracy against each other optimizer. */
export function bestVsRest(a: Analysis, groups: readonly CellGroup[], bootstrapB = 10_000): BestVsRestRow[] {
  const raw: Array<Omit<ComparisonRow, 'pHolm' | 'significant'>> = [];
  const blocks = new Map<string, CellGroup[]>();
  for (const g of groups) {
    const k = blockKey(g);
    if (!blocks.has(k)) blocks.set(k, []);
    blocks.get(k)!.push(g);
  }
  for (const gs of blocks.values()) {
    const acc = (g: CellGroup) => a.accuracy.find((r) => r.optimizer === g.label && r.task === g.task && r.target === g.target)?.mean ?? Number.NaN;
    const ranked = gs.filter((g) => Number.isFinite(acc(g))).sort((x, y) => (sameScore(acc(x), acc(y)) ? 0 : acc(y) - acc(x)) || x.label.localeCompare(y.label));
    const best = ranked[0];
    if (!best) continue;
    for (const g of ranked.slice(1)) {
      const r = compare(best, g, bootstrapB);
      if (r) raw.push(r);
    }
  }
  const adj = holm(raw.map((r) => r.p));
  return raw.map((r, i) => {
    const row: ComparisonRow = { ...r, pHolm: adj[i]!, significant: adj[i]! <= a.alpha };
    const e = effect(row, groups, a.alpha);
    return { ...row, distinct: e.distinct, h: e.h, or: e.or, mde: e.mde };
  });
}

export function bestVsRestTable(a: Analysis, rows: readonly BestVsRestRow[], compNote: string): Table {
  const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });
  return {
    id: 'best-vs-rest',
    title: 'Best vs rest (per task × target)',
    note: `In each task × target the optimizer with the highest mean test accuracy ("best") against every other one, with the same paired analysis as the baseline comparisons (${compNote}). Holm-adjusted over these ${rows.length} comparisons (a family of its own). The best is picked on the same test data, so a significant row says "the best beats this one", not how often such a best would be found again; tied means (equal to 12 digits) go to the first label alphabetically. b and c are discordant counts averaged over seeds when each example is paired once per seed. ${comparisonPowerNote(rows, rows, a.alpha)}`,
    columns: [c('task', 'task'), c('target', 'target'), c('best', 'best'), c('optimizer', 'vs'), c('seeds', 'seeds'), c('n', 'n pairs', 'int'), c('distinct', 'distinct ex.', 'int'), c('accBest', 'best %', 'pct'), c('acc', 'vs %', 'pct'), c('diff', 'diff %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct'), c('b', 'b', 'num'), c('c', 'c', 'num'), c('p', 'p', 'p'), c('pHolm', 'p Holm', 'p'), c('sig', 'sig'), c('h', "Cohen's h", 'num'), c('or', 'OR b/c', 'num'), c('mde', 'MDE %', 'pct')],
    rows: rows.map((r) => ({ task: r.task, target: r.target, best: r.optimizer, optimizer: r.baseline, seeds: r.seeds.join(' '), n: r.n, distinct: r.distinct, accBest: r.accOptimizer, acc: r.accBaseline, diff: r.diff, lo: r.lo, hi: r.hi, b: r.b, c: r.c, p: r.p, pHolm: r.pHolm, sig: r.significant, h: r.h, or: r.or, mde: r.mde })),
  };
}
