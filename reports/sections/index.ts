/**
 * The report sections a reviewer expects, built from the analysis
 * (reports/analysis.ts, which owns the statistics) and the loaded run:
 * leaderboard pivot, effect sizes and best-vs-rest, dev-to-test gap, cost vs
 * accuracy with the Pareto front, scaling with target size, anytime curves on
 * held-out checkpoints, paper numbers beside ours, power notes, and the raw
 * per-seed / per-example / rank-test CSVs. docs/reports.md describes each.
 */
import type { Analysis } from '../analysis.js';
import { groupCells, type RunDir } from '../load.js';
import type { Plot } from '../plots.js';
import { formatValue, type Table } from '../tables.js';
import { blocksOf, blockKey, distinctExamples, median, twoProportionMde } from './common.js';
import { anytimePoints, anytimeTables, anytimeTestSpec } from './anytime.js';
import { costRows, costSpec, costTable } from './cost.js';
import { gapTable } from './gap.js';
import { leaderboardTables } from './leaderboard.js';
import { addEffects, bestVsRest, bestVsRestTable } from './paired.js';
import { paperTable } from './paper.js';
import { perExampleTable, perSeedTable, rankTables } from './rawdata.js';
import { scalingSpec } from './scaling.js';
import { recognitionPlot, recognitionRows, recognitionTable, worldFamilies, worldGapPlot, worldRows, worldTables } from './worlds.js';

export interface SectionOptions {
  bootstrapB?: number;
}

const slug = (...parts: string[]) =>
  parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

/** The accuracy tables' power note: the MDE between two optimizers' accuracies at the median n and accuracy. */
function accuracyPowerNote(a: Analysis, run: RunDir): string {
  const groups = groupCells(run.cells);
  const ns = groups.map((g) => distinctExamples(g));
  if (!ns.length) return '';
  const n = median(ns);
  const p = median(a.accuracy.map((r) => r.mean));
  return `Power: with the median n = ${Math.round(n)} distinct test examples per cell and median accuracy ${formatValue(p, 'pct')}%, two optimizers' accuracies must differ by ≈ ${formatValue(twoProportionMde(n, p, a.alpha), 'pct')} points to be detected with 80% power at α = ${a.alpha} (two-sided, independent samples; Fleiss et al. 2003 §4.2). Paired tests on the same examples (comparison tables) detect smaller differences; their MDE is given there.`;
}

/**
 * Returns the report's full table list (the analysis tables with the new
 * sections inserted where a reader looks for them) and the new plots.
 */
export function buildSections(run: RunDir, a: Analysis, tables: Table[], opts: SectionOptions = {}): { tables: Table[]; plots: Plot[]; replacesAnytime: boolean } {
  const groups = groupCells(run.cells);
  const byId = new Map(tables.map((t) => [t.id, t]));
  const powerAcc = accuracyPowerNote(a, run);
  const [leader, leaderLong] = leaderboardTables(a, powerAcc);
  const acc = byId.get('accuracy');
  if (acc && powerAcc) acc.note += ' ' + powerAcc;
  const comp = byId.get('comparisons');
  if (comp) addEffects(comp, a, groups);
  const bvr = bestVsRestTable(a, bestVsRest(a, groups, opts.bootstrapB), 'paired on seed and example id; diff with its interval, b, c and p as in the comparison table');
  const gap = gapTable(groups);
  const paper = paperTable(run, a, groups, opts.bootstrapB);
  const { rows: cost, usdKnown } = costRows(a, groups);
  const costT = costTable(cost, usdKnown);
  const [rankStats, rankScores, rankPairs] = rankTables(a);
  const ranks = byId.get('ranks');
  if (ranks && a.ranks.nemenyi)
    ranks.note += ` Power: with N = ${a.ranks.nemenyi.n} blocks and k = ${a.ranks.nemenyi.k} optimizers, two mean ranks must differ by more than CD = ${formatValue(a.ranks.nemenyi.cd, 'num')} (of a possible ${a.ranks.nemenyi.k - 1}) to be told apart; more tasks shrink CD as 1/√N.`;

  // Several sim worlds: rankings and gaps to the ceiling over worlds; a recognition sweep: gain vs the rate.
  const families = worldFamilies(run);
  const wRows = worldRows(families);
  const wTables = worldTables(families, wRows);
  const recRows = recognitionRows(run, a);
  const recTable = recognitionTable(recRows);

  const out: Table[] = [];
  const after: Record<string, Table[]> = {
    comparisons: [bvr, ...(paper ? [paper] : []), ...(recTable ? [recTable] : [])],
    ranks: [rankStats!, ...wTables],
    accuracy: [gap],
    budget: [costT],
  };
  out.push(leader!);
  for (const t of tables) {
    out.push(t);
    out.push(...(after[t.id] ?? []));
  }
  for (const [id, extra] of Object.entries(after)) if (!byId.has(id)) out.push(...extra);
  const anytime = anytimePoints(groups);
  out.push(leaderLong!, rankScores!, rankPairs!, perSeedTable(run.cells), perExampleTable(run.cells), ...anytimeTables(groups, anytime));

  const labels = a.accuracy.map((r) => r.optimizer);
  const plots: Plot[] = [];
  const worldPlot = worldGapPlot(wRows, labels);
  if (worldPlot) plots.push(worldPlot);
  const recPlot = recognitionPlot(recRows, labels);
  if (recPlot) plots.push(recPlot);
  const scaling = scalingSpec(a.accuracy, labels);
  if (scaling)
    plots.push({
      id: 'scaling',
      title: 'Scaling with target size',
      caption: 'Mean test accuracy over seeds against the target size (B parameters, read from the model name; log scale), one line per optimizer, one panel per task; error bars = the accuracy table\'s 95% intervals (kind and n there).',
      spec: scaling,
    });
  for (const b of blocksOf(cost)) {
    const rows = cost.filter((r) => blockKey(r) === blockKey(b));
    plots.push({
      id: slug('cost', b.task, b.target),
      title: `Cost vs accuracy: ${b.task} / ${b.target}`,
      caption: `Mean search spend over seeds (model calls, tokens${usdKnown ? ', USD' : '; no prices known, so no USD panel'}) against mean test accuracy; error bars = 95% intervals of the accuracy table; diamonds and the dashed step line = the Pareto front (cheapest for its accuracy).`,
      spec: costSpec(rows, usdKnown, `${b.task} / ${b.target}`, labels),
    });
  }
  for (const b of blocksOf(anytime)) {
    const pts = anytime.filter((p) => blockKey(p) === blockKey(b));
    const seeds = [...new Set(pts.map((p) => p.seeds))].sort((x, y) => x - y);
    const ns = [...new Set(pts.map((p) => p.n))].sort((x, y) => x - y);
    plots.push({
      id: slug('anytime-test', b.task, b.target),
      title: `Anytime (test accuracy at budget checkpoints): ${b.task} / ${b.target}`,
      caption: `The incumbent of each run (its best-scored candidate by then, by the optimizer's own score) scored on the same ${ns.join('/')} held-out test examples at each share of the target-call budget, outside the budget. Line = mean over seeds; band = 95% Student-t interval over ${seeds.join('/')} seeds per point (df = seeds − 1; where all seeds agree, the Wilson interval on the n test examples; no band with one seed). One scale for every optimizer, whatever score it searched with.`,
      spec: anytimeTestSpec(pts, `${b.task} / ${b.target}`, labels),
    });
  }
  return { tables: out, plots, replacesAnytime: anytime.length > 0 };
}
