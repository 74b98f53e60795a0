/**
 * The report's tables in one neutral form, so every writer (Markdown, LaTeX,
 * CSV, HTML) shows the same rows and numbers. Values are raw (CSV writes them
 * as they are); `kind` tells the text writers how to format them.
 */
import type { Analysis } from './analysis.js';

export type ColumnKind = 'text' | 'int' | 'num' | 'pct' | 'p';
export interface Column {
  key: string;
  header: string;
  kind: ColumnKind;
}
export type Cellvalue = string | number | boolean | null;
export interface Table {
  id: string;
  title: string;
  /** What the numbers are: n, seeds, interval, test. */
  note: string;
  columns: Column[];
  rows: Array<Record<string, Cellvalue>>;
  /** Written only as CSV (too long for a document; shown as a plot). */
  csvOnly?: boolean;
}

const c = (key: string, header: string, kind: ColumnKind = 'text'): Column => ({ key, header, kind });
const seedsText = (s: readonly number[]) => s.join(' ');
const opt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? null : x);

/** Formats one value for a text document. */
export function formatValue(v: Cellvalue, kind: ColumnKind): string {
  if (v === null || v === undefined) return '–';
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return v === Infinity ? '∞' : '–';
  switch (kind) {
    case 'int':
      return String(Math.round(v));
    case 'pct':
      return (100 * v).toFixed(1);
    case 'p':
      return v < 0.001 ? v.toExponential(1) : v.toFixed(3);
    case 'num':
      return Math.abs(v) >= 1000 ? String(Math.round(v)) : Number(v.toFixed(3)).toString();
    default:
      return String(v);
  }
}

export function buildTables(a: Analysis): Table[] {
  const level = '95%';
  const tables: Table[] = [];

  tables.push({
    id: 'accuracy',
    title: 'Test accuracy',
    note: `Mean test accuracy (%) over seeds per optimizer × task × target. n = distinct test examples (under a fixed split every seed scores the same examples, counted once; under a per-seed split, summed over seeds); seeds = the optimizer-randomness unit. Interval (${level}): two-level Wilson — the variance of the mean from a two-way random-effects decomposition (seeds × test examples, seed component truncated at 0), turned into Kish's effective n, with a t quantile on the smaller of the Satterthwaite and Banerjee df (docs/statistics.md). "covers" says which variance the interval includes: with one seed, optimizer randomness is not covered. Never zero width: at 0% or 100% it is the Wilson interval on the distinct examples.`,
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seeds', 'seeds'), c('n', 'n examples', 'int'), c('mean', 'acc %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct'), c('covers', 'covers'), c('dev', 'dev acc %', 'pct')],
    rows: a.accuracy.map((r) => ({ task: r.task, target: r.target, optimizer: r.optimizer, seeds: seedsText(r.seeds), n: r.n, mean: opt(r.mean), lo: opt(r.lo), hi: opt(r.hi), covers: r.covers, dev: opt(r.devMean) })),
  });

  tables.push({
    id: 'comparisons',
    title: `Paired comparison with the baseline (${a.baseline})`,
    note: `Optimizer and baseline on the same test examples and seeds. n = distinct paired test examples, each counted once however many seeds share it; seeds = number of paired seeds. diff = optimizer − baseline accuracy (points), mean over seeds; ${level} interval diff ± t·se from the two-level variance (seed component + per-example seed-averaged component with Agresti–Min pseudo-counts), t on the smaller of the Satterthwaite and Banerjee df; "covers" says which variance it includes. b, c = discordant examples (optimizer right & baseline wrong, and the reverse), each distinct example once, averaged over seeds. p: exact McNemar on the distinct examples when the seeds add no variation (one seed, or every seed gave the same paired outcomes), otherwise the two-level t test; p Holm = Holm-adjusted over the ${a.comparisons.length} comparisons; sig = p Holm ≤ ${a.alpha}.${a.comparisonNotes.length ? ' ' + a.comparisonNotes.join(' ') : ''}`,
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seeds', 'seeds'), c('n', 'n examples', 'int'), c('nSeeds', 'n seeds', 'int'), c('acc', 'acc %', 'pct'), c('accBase', 'base %', 'pct'), c('diff', 'diff %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct'), c('covers', 'covers'), c('b', 'b', 'num'), c('c', 'c', 'num'), c('test', 'test'), c('p', 'p', 'p'), c('pHolm', 'p Holm', 'p'), c('sig', 'sig')],
    rows: a.comparisons.map((r) => ({ task: r.task, target: r.target, optimizer: r.optimizer, seeds: seedsText(r.seeds), n: r.n, nSeeds: r.seeds.length, acc: r.accOptimizer, accBase: r.accBaseline, diff: r.diff, lo: r.lo, hi: r.hi, covers: r.covers, b: r.b, c: r.c, test: r.test, p: r.p, pHolm: r.pHolm, sig: r.significant })),
  });

  const rk = a.ranks;
  const f = rk.friedman;
  const nm = rk.nemenyi;
  const om = rk.omnibus;
  const excl = rk.excluded.length ? ` Left out (no result in some blocks): ${rk.excluded.map((e) => `${e.optimizer} (${e.missingBlocks} missing)`).join(', ')}.` : '';
  tables.push({
    id: 'ranks',
    title: 'Mean ranks across tasks (Friedman / Nemenyi)',
    note:
      (f
        ? `Blocks = ${f.n} (task × target) pairs, score = mean test accuracy over seeds, rank 1 = best (ties averaged). Friedman χ² = ${formatValue(f.chi2, 'num')} (df ${f.df}), p = ${formatValue(f.pValue, 'p')}; Iman–Davenport F = ${formatValue(f.imanDavenport.F, 'num')} (df ${f.imanDavenport.df1}, ${f.imanDavenport.df2}), p = ${formatValue(f.imanDavenport.pValue, 'p')}.` +
          (rk.permutation ? ` Permutation p = ${formatValue(rk.permutation.pValue, 'p')} (${rk.permutation.method}).` : '') +
          (om ? ` Omnibus decision (${om.method}): ${om.rejects ? 'rejects' : 'does not reject'} at α = ${a.alpha}.` : '') +
          (nm ? ` Nemenyi critical difference CD = ${formatValue(nm.cd, 'num')} (α = ${nm.alpha}, k = ${nm.k}, N = ${nm.n}); two optimizers differ when their mean ranks differ by more than CD.` : '')
        : 'Not computed.') +
      (rk.note ? ' ' + rk.note : '') +
      excl,
    columns: [c('optimizer', 'optimizer'), c('meanRank', 'mean rank', 'num'), c('blocks', 'blocks', 'int'), c('worseThanBest', 'differs from best (Nemenyi)')],
    rows: f
      ? rk.optimizers
          .map((o, j) => {
            const best = Math.min(...f.meanRanks);
            return { optimizer: o, meanRank: f.meanRanks[j]!, blocks: f.n, worseThanBest: nm ? f.meanRanks[j]! - best > nm.cd : null };
          })
          .sort((x, y) => x.meanRank - y.meanRank)
      : [],
  });

  tables.push({
    id: 'reflection',
    title: 'Reflection quality (sim targets)',
    note: `Per optimizer × optimizer model, reflections with ≥ 1 known true cause among the shown failures (n), over cells and seeds. Causes named by a reflection are parsed with the sim's cause parser. hit = names ≥ 1 true cause; ${level} interval clustered by run (reflections of one run share its dev set and history: cluster-robust variance, Wilson with Kish effective n "n eff", t on runs − 1 df; at 0% or 100% the effective n is the number of runs); precision / recall = mean share of named causes that are true / of true causes named; fix = mean best-edit share of shown failures fixed (over n fix reflections whose edits were evaluated).${a.reflectionUnscored.length ? ' Not scored (non-sim target; needs an LLM judge): ' + a.reflectionUnscored.map((u) => `${u.optimizer} / ${u.optimizerModel} (${u.reflections} reflections)`).join(', ') + '.' : ''}`,
    columns: [c('optimizer', 'optimizer'), c('optimizerModel', 'optimizer model'), c('cells', 'cells', 'int'), c('seeds', 'seeds'), c('n', 'n', 'int'), c('hits', 'hits', 'int'), c('hitRate', 'hit %', 'pct'), c('hitLo', 'lo %', 'pct'), c('hitHi', 'hi %', 'pct'), c('hitNEff', 'n eff', 'num'), c('precision', 'precision %', 'pct'), c('recall', 'recall %', 'pct'), c('fixRate', 'fix %', 'pct'), c('nFix', 'n fix', 'int')],
    rows: a.reflection.map((r) => ({ optimizer: r.optimizer, optimizerModel: r.optimizerModel, cells: r.cells, seeds: seedsText(r.seeds), n: r.n, hits: r.hits, hitRate: opt(r.hitRate), hitLo: r.hitLo, hitHi: r.hitHi, hitNEff: r.hitNEff, precision: opt(r.precision), recall: opt(r.recall), fixRate: opt(r.fixRate), nFix: r.nFix })),
  });

  if (a.judged) {
    const j = a.judged;
    const ag = j.agreement;
    const agreement = ag.n
      ? `Judge vs sim ground truth: the judge's failure label equals the sim's true cause on ${ag.agree} of ${ag.n} distinct shown failures (${formatValue(ag.rate, 'pct')}%, ${level} Wilson ${formatValue(ag.lo, 'pct')}–${formatValue(ag.hi, 'pct')}%).`
      : "Judge vs sim ground truth: no shown failure has a sim true cause, so the judge's reliability is not measured here.";
    tables.push({
      id: 'reflection-judged',
      title: `Reflection quality, judged by ${j.model} (estimate)`,
      note: `An estimate, not ground truth: the LLM judge ${j.model} labels the likely cause of each shown failure from (question, model output, gold) and maps each reflection text to the cause taxonomy; hit / precision / recall / fix as in the reflection table, computed against the judge's labels, for every cell with reflections (sim and non-sim targets; sim cells use the judge's labels here, not their true causes). n = reflections with ≥ 1 judged failure cause. ${agreement} ${j.calls} judge calls, ${j.unparsed} unparseable replies (counted as naming no cause).`,
      columns: [c('optimizer', 'optimizer'), c('optimizerModel', 'optimizer model'), c('judge', 'judge'), c('cells', 'cells', 'int'), c('seeds', 'seeds'), c('n', 'n', 'int'), c('hits', 'hits', 'int'), c('hitRate', 'hit %', 'pct'), c('hitLo', 'lo %', 'pct'), c('hitHi', 'hi %', 'pct'), c('precision', 'precision %', 'pct'), c('recall', 'recall %', 'pct'), c('fixRate', 'fix %', 'pct'), c('nFix', 'n fix', 'int')],
      rows: j.rows.map((r) => ({ optimizer: r.optimizer, optimizerModel: r.optimizerModel, judge: j.model, cells: r.cells, seeds: seedsText(r.seeds), n: r.n, hits: r.hits, hitRate: opt(r.hitRate), hitLo: r.hitLo, hitHi: r.hitHi, precision: opt(r.precision), recall: opt(r.recall), fixRate: opt(r.fixRate), nFix: r.nFix })),
    });
    tables.push({
      id: 'judge-agreement',
      title: `Judge vs sim ground truth (${j.model})`,
      note: `Distinct shown failures with a sim true cause (n); agree = the judge's label equals it (concept compared case-insensitively); ${level} Wilson interval. This is the judge's own reliability, measured where ground truth exists.`,
      columns: [c('judge', 'judge'), c('n', 'n', 'int'), c('agree', 'agree', 'int'), c('rate', 'agree %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct')],
      rows: [{ judge: j.model, n: ag.n, agree: ag.agree, rate: opt(ag.rate), lo: ag.lo, hi: ag.hi }],
    });
  }

  const use = (s: number, l: number | undefined) => (l !== undefined && Number.isFinite(l) && l > 0 ? s / l : null);
  tables.push({
    id: 'budget',
    title: 'Budget use',
    note: 'Mean spent over seeds vs the cell limit (– = no limit); use = mean spent / limit. stopped = how the runs ended (count per reason).',
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('mode', 'mode'), c('seeds', 'seeds'), c('targetCalls', 'target calls', 'num'), c('targetLimit', 'limit', 'num'), c('targetUse', 'use %', 'pct'), c('optimizerCalls', 'opt. calls', 'num'), c('optimizerLimit', 'limit', 'num'), c('tokens', 'tokens', 'num'), c('tokenLimit', 'limit', 'num'), c('stoppedBy', 'stopped')],
    rows: a.budget.map((r) => ({
      task: r.task,
      target: r.target,
      optimizer: r.optimizer,
      mode: r.mode,
      seeds: seedsText(r.seeds),
      targetCalls: r.spent.targetCalls,
      targetLimit: opt(r.limits.targetCalls),
      targetUse: use(r.spent.targetCalls, r.limits.targetCalls),
      optimizerCalls: r.spent.optimizerCalls,
      optimizerLimit: opt(r.limits.optimizerCalls),
      tokens: r.spent.tokens,
      tokenLimit: opt(r.limits.tokens),
      stoppedBy: Object.entries(r.stoppedBy)
        .map(([k, v]) => `${k} ×${v}`)
        .join(', '),
    })),
  });

  tables.push({
    id: 'missing',
    title: 'Missing and failed cells',
    note: `Cells without result.json (${a.missing.length} of ${a.missing.length + a.cellsDone}); they are left out of every other table.`,
    columns: [c('cell', 'cell'), c('optimizer', 'optimizer'), c('task', 'task'), c('target', 'target'), c('seed', 'seed', 'int'), c('status', 'status'), c('reason', 'reason')],
    rows: a.missing.map((m) => ({ cell: m.id, optimizer: m.label ?? null, task: m.spec?.task ?? null, target: m.spec?.target ?? null, seed: m.spec?.seed ?? null, status: m.status, reason: m.reason })),
  });

  const lk = a.leaks;
  tables.push({
    id: 'leaks',
    title: 'Prompt-leak check',
    note: `Best prompts (instruction and demos) that quote a test item: a distinctive ${lk.n}-word n-gram of the item's input (one that occurs in no other dev or test item, so shared template text never counts; shorter inputs whole) found in the prompt; "with gold" when the item's gold answer follows within ${lk.goldWindow} words. ${lk.checked} cells checked, ${lk.flagged.length} flagged${lk.unchecked ? `, ${lk.unchecked} not checkable (no test inputs in samples.jsonl)` : ''}. A flagged cell's test accuracy may measure recall of test items, not the prompt.`,
    columns: [c('cell', 'cell'), c('optimizer', 'optimizer'), c('task', 'task'), c('target', 'target'), c('seed', 'seed', 'int'), c('items', 'test items quoted', 'int'), c('withGold', 'with gold', 'int'), c('example', 'first example')],
    rows: lk.flagged.map((r) => ({ cell: r.cell, optimizer: r.optimizer, task: r.task, target: r.target, seed: r.seed, items: r.items, withGold: r.withGold, example: `${r.hits[0]!.exampleId}: "${r.hits[0]!.ngram}"` })),
  });

  tables.push({
    id: 'anytime',
    title: 'Anytime curves',
    note: 'Best-so-far dev score vs target calls spent, mean (min, max) over the seeds, on a common grid of target calls per task × target; a grid point appears once every seed has scored a candidate.',
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seeds', 'seeds'), c('targetCalls', 'target calls', 'num'), c('mean', 'best dev', 'num'), c('min', 'min', 'num'), c('max', 'max', 'num')],
    rows: a.anytime.flatMap((s) => s.points.map((p) => ({ task: s.task, target: s.target, optimizer: s.optimizer, seeds: seedsText(s.seeds), targetCalls: p.targetCalls, mean: p.mean, min: p.min, max: p.max }))),
    csvOnly: true,
  });
  return tables;
}
