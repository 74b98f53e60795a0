/**
 * Pure analysis of a loaded run directory: accuracy with intervals, paired
 * comparisons against a baseline, rank tests across tasks, anytime curves,
 * reflection quality and budget use. No I/O; every number carries its n,
 * seeds and the kind of interval (docs/reports.md).
 */
import { leakCheck, type LeakReport } from './leak.js';
import jstatModule from 'jstat';
import { isSimModel, isSimTarget, parseCauses } from '../sim/index.js';
import { anytimeCurve } from './anytime.js';
import { groupCells, type Cell, type CellGroup, type MissingCell, type RunDir } from './load.js';
import { judgeLabelled, type JudgedRun, type JudgedShownFailure } from './judge.js';
import { scoreReflections, type ReflectionScore } from './reflection.js';
import { friedman, holm, mcnemar, nemenyi, pairedBootstrap, wilsonInterval, type FriedmanResult, type NemenyiResult } from './stats/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const jStat = ((jstatModule as any).jStat ?? jstatModule) as { studentt: { inv(p: number, df: number): number } };

export const SIM_DISCLAIMER = 'Sim results are not research claims: the targets and/or optimizer models here are simulated (docs/sim.md).';

export interface AnalysisOptions {
  /** Optimizer label of the baseline for paired comparisons (default "empty"). */
  baseline?: string;
  /** Family-wise significance level (Holm) and Nemenyi level (default 0.05). */
  alpha?: number;
  /** Bootstrap replicates for the paired difference (default 10 000). */
  bootstrapB?: number;
  /** Points on the common anytime grid (default 41). */
  gridPoints?: number;
  /** An LLM judge's answers (reports/judge.ts `judgeRun`): adds the judged reflection table. */
  judged?: JudgedRun;
}

/** Reflection quality as an LLM judge estimates it (present only when a judge was given). */
export interface JudgedReflectionAnalysis {
  model: string;
  /** Every cell with reflections, sim or not: failures labelled by the judge, reflections mapped by the judge. */
  rows: ReflectionRow[];
  /** Distinct shown failures with a sim true cause: how often the judge's label equals it. */
  agreement: { n: number; agree: number; rate: number; lo: number; hi: number };
  unparsed: number;
  calls: number;
}

export type IntervalMethod = 'wilson (pooled examples, 1 seed)' | 't over seed means' | 'wilson (pooled examples; seed means identical)' | 'none (0 examples)';

export interface AccuracyRow {
  optimizer: string;
  task: string;
  target: string;
  seeds: number[];
  /** Test examples summed over seeds. */
  n: number;
  correct: number;
  /** Mean over seeds of the per-seed test accuracy. */
  mean: number;
  lo: number;
  hi: number;
  level: number;
  interval: IntervalMethod;
  perSeed: Array<{ seed: number; n: number; accuracy: number }>;
  /** Mean dev accuracy over seeds, when reported. */
  devMean?: number;
}

export interface ComparisonRow {
  optimizer: string;
  baseline: string;
  task: string;
  target: string;
  /** Seeds where both cells finished and share test examples. */
  seeds: number[];
  /** Paired test examples, pooled over those seeds. */
  n: number;
  accOptimizer: number;
  accBaseline: number;
  /** accOptimizer − accBaseline on the paired examples. */
  diff: number;
  /** Paired percentile bootstrap interval of diff (pairs pooled over seeds). */
  lo: number;
  hi: number;
  /** McNemar discordant counts: b = optimizer right & baseline wrong, c = optimizer wrong & baseline right. */
  b: number;
  c: number;
  /** Exact McNemar p-value and Holm-adjusted p over all comparisons in the report. */
  p: number;
  pHolm: number;
  significant: boolean;
}

export interface RankAnalysis {
  /** Blocks: (task, target) pairs where every included optimizer finished ≥ 1 seed. */
  blocks: Array<{ task: string; target: string }>;
  optimizers: string[];
  /** Optimizers left out because they lack a block (named with the missing blocks' count). */
  excluded: Array<{ optimizer: string; missingBlocks: number }>;
  /** Mean test accuracy over seeds: blocks × optimizers. */
  scores: number[][];
  friedman?: FriedmanResult;
  nemenyi?: NemenyiResult;
  /** Why the test was not run, when it was not. */
  note?: string;
}

export interface AnytimeSeries {
  optimizer: string;
  task: string;
  target: string;
  seeds: number[];
  /** Grid points where every seed has scored at least one candidate. */
  points: Array<{ targetCalls: number; mean: number; min: number; max: number }>;
}

export interface ReflectionRow {
  optimizer: string;
  optimizerModel: string;
  cells: number;
  seeds: number[];
  /** Reflections with ≥ 1 known true cause among their shown failures. */
  n: number;
  hits: number;
  hitRate: number;
  hitLo: number;
  hitHi: number;
  precision: number;
  recall: number;
  /** Mean best-edit fix rate over reflections whose edits were checked (nFix of them). */
  fixRate?: number;
  nFix: number;
  scores: ReflectionScore[];
}

export interface BudgetRow {
  optimizer: string;
  task: string;
  target: string;
  seeds: number[];
  mode: string;
  spent: { targetCalls: number; optimizerCalls: number; tokens: number };
  limits: { targetCalls?: number; optimizerCalls?: number; tokens?: number };
  stoppedBy: Record<string, number>;
}

export interface Analysis {
  runDir: string;
  baseline: string;
  alpha: number;
  sim: boolean;
  accuracy: AccuracyRow[];
  comparisons: ComparisonRow[];
  /** Notes on comparisons (e.g. baseline absent). */
  comparisonNotes: string[];
  ranks: RankAnalysis;
  anytime: AnytimeSeries[];
  reflection: ReflectionRow[];
  /** Optimizer × model pairs with reflections that could not be scored (non-sim target). */
  reflectionUnscored: Array<{ optimizer: string; optimizerModel: string; reflections: number }>;
  budget: BudgetRow[];
  missing: MissingCell[];
  cellsDone: number;
  /** Prompt-leak check of every finished cell's best prompt against its test items (reports/leak.ts). */
  leaks: LeakReport;
  /** Only with a judge (`popbench report --judge-model`). */
  judged?: JudgedReflectionAnalysis;
}

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
const sd = (xs: readonly number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
};
const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

function testCounts(c: Cell): { n: number; correct: number } {
  return { n: c.result.test.n, correct: c.result.test.correct };
}

export function accuracyRow(g: CellGroup, level = 0.95): AccuracyRow {
  const perSeed = g.cells.map((c) => {
    const { n, correct } = testCounts(c);
    return { seed: c.spec.seed, n, accuracy: n ? correct / n : Number.NaN };
  });
  const n = g.cells.reduce((a, c) => a + testCounts(c).n, 0);
  const correct = g.cells.reduce((a, c) => a + testCounts(c).correct, 0);
  const accs = perSeed.filter((s) => s.n > 0).map((s) => s.accuracy);
  const devs = g.cells.filter((c) => c.result.dev && c.result.dev.n > 0).map((c) => c.result.dev!.correct / c.result.dev!.n);
  const base = { optimizer: g.label, task: g.task, target: g.target, seeds: g.cells.map((c) => c.spec.seed), n, correct, perSeed, level, ...(devs.length ? { devMean: mean(devs) } : {}) };
  if (accs.length === 0) return { ...base, mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, interval: 'none (0 examples)' };
  if (accs.length === 1) {
    const w = wilsonInterval(correct, n, level);
    return { ...base, mean: accs[0]!, lo: w.lo, hi: w.hi, interval: 'wilson (pooled examples, 1 seed)' };
  }
  const m = mean(accs);
  if (sd(accs) === 0) {
    // A zero-width t interval would claim certainty that two or three seeds cannot give.
    const w = wilsonInterval(correct, n, level);
    return { ...base, mean: m, lo: w.lo, hi: w.hi, interval: 'wilson (pooled examples; seed means identical)' };
  }
  const t = jStat.studentt.inv(1 - (1 - level) / 2, accs.length - 1);
  const half = (t * sd(accs)) / Math.sqrt(accs.length);
  return { ...base, mean: m, lo: clamp01(m - half), hi: clamp01(m + half), interval: 't over seed means' };
}

export function compare(opt: CellGroup, base: CellGroup, B: number): Omit<ComparisonRow, 'pHolm' | 'significant'> | undefined {
  const a: boolean[] = [];
  const b: boolean[] = [];
  const seeds: number[] = [];
  for (const oc of opt.cells) {
    const bc = base.cells.find((c) => c.spec.seed === oc.spec.seed);
    if (!bc) continue;
    const baseById = new Map(bc.test.map((s) => [s.exampleId, s.correct]));
    let paired = 0;
    for (const s of oc.test) {
      const other = baseById.get(s.exampleId);
      if (other === undefined) continue;
      a.push(s.correct);
      b.push(other);
      paired++;
    }
    if (paired) seeds.push(oc.spec.seed);
  }
  if (a.length === 0) return undefined;
  const m = mcnemar(a, b);
  const boot = pairedBootstrap(
    a.map((x) => (x ? 1 : 0)),
    b.map((x) => (x ? 1 : 0)),
    { B, seed: 0 },
  );
  return {
    optimizer: opt.label,
    baseline: base.label,
    task: opt.task,
    target: opt.target,
    seeds,
    n: a.length,
    accOptimizer: a.filter(Boolean).length / a.length,
    accBaseline: b.filter(Boolean).length / b.length,
    diff: boot.diff,
    lo: boot.lo,
    hi: boot.hi,
    b: m.b,
    c: m.c,
    p: m.pValue,
  };
}

function rankAnalysis(accuracy: readonly AccuracyRow[], alpha: number): RankAnalysis {
  const blockKey = (r: { task: string; target: string }) => JSON.stringify([r.task, r.target]);
  const allBlocks = [...new Map(accuracy.map((r) => [blockKey(r), { task: r.task, target: r.target }])).values()];
  const labels = [...new Set(accuracy.map((r) => r.optimizer))].sort();
  const has = new Map(accuracy.filter((r) => Number.isFinite(r.mean)).map((r) => [JSON.stringify([r.optimizer, r.task, r.target]), r.mean]));
  const excluded: RankAnalysis['excluded'] = [];
  const optimizers: string[] = [];
  for (const l of labels) {
    const missingBlocks = allBlocks.filter((bl) => !has.has(JSON.stringify([l, bl.task, bl.target]))).length;
    if (missingBlocks) excluded.push({ optimizer: l, missingBlocks });
    else optimizers.push(l);
  }
  const blocks = allBlocks;
  const scores = blocks.map((bl) => optimizers.map((l) => has.get(JSON.stringify([l, bl.task, bl.target]))!));
  const out: RankAnalysis = { blocks, optimizers, excluded, scores };
  if (blocks.length < 2 || optimizers.length < 2) {
    out.note = `Friedman test needs ≥ 2 blocks (task × target) and ≥ 2 optimizers with results in every block; have ${blocks.length} and ${optimizers.length}.`;
    return out;
  }
  out.friedman = friedman(scores);
  out.nemenyi = nemenyi(out.friedman.meanRanks, blocks.length, alpha);
  if (out.nemenyi.qSource === 'studentized-range')
    out.note = `Nemenyi q_α from the Studentized range quantile (α = ${alpha}, k = ${optimizers.length}; Demšar's table covers α = 0.05/0.10, k ≤ 10).`;
  return out;
}

/** Best-so-far dev score of one run at x target calls (undefined before its first score). */
function stepAt(points: ReturnType<typeof anytimeCurve>, x: number): number | undefined {
  let v: number | undefined;
  for (const p of points) {
    if (p.targetCalls <= x) v = p.best;
    else break;
  }
  return v;
}

export function anytimeSeries(groups: readonly CellGroup[], gridPoints = 41): AnytimeSeries[] {
  const out: AnytimeSeries[] = [];
  const byBlock = new Map<string, CellGroup[]>();
  for (const g of groups) {
    const k = JSON.stringify([g.task, g.target]);
    if (!byBlock.has(k)) byBlock.set(k, []);
    byBlock.get(k)!.push(g);
  }
  for (const gs of byBlock.values()) {
    const curves = gs.map((g) => ({ g, runs: g.cells.map((c) => ({ seed: c.spec.seed, pts: anytimeCurve(c.trajectory) })) }));
    let xmax = 0;
    for (const { runs } of curves) for (const r of runs) for (const p of r.pts) if (Number.isFinite(p.targetCalls)) xmax = Math.max(xmax, p.targetCalls);
    const grid = Array.from({ length: gridPoints }, (_, i) => (gridPoints === 1 ? xmax : (xmax * i) / (gridPoints - 1)));
    for (const { g, runs } of curves) {
      const withPts = runs.filter((r) => r.pts.length > 0);
      if (withPts.length === 0) continue;
      const points: AnytimeSeries['points'] = [];
      for (const x of grid) {
        const vals = withPts.map((r) => stepAt(r.pts, x));
        if (vals.some((v) => v === undefined)) continue;
        const vs = vals as number[];
        points.push({ targetCalls: x, mean: mean(vs), min: Math.min(...vs), max: Math.max(...vs) });
      }
      out.push({ optimizer: g.label, task: g.task, target: g.target, seeds: withPts.map((r) => r.seed), points });
    }
  }
  return out;
}

export function reflectionRows(cells: readonly Cell[], level = 0.95): { rows: ReflectionRow[]; unscored: Analysis['reflectionUnscored'] } {
  const groups = new Map<string, { optimizer: string; optimizerModel: string; cells: Cell[] }>();
  const unscored = new Map<string, { optimizer: string; optimizerModel: string; reflections: number }>();
  for (const c of cells) {
    const refl = c.trajectory.reflections ?? [];
    if (refl.length === 0) continue;
    const optimizerModel = c.spec.optimizerModel ?? '(none)';
    const key = JSON.stringify([c.label, optimizerModel]);
    if (!isSimTarget(c.spec.target)) {
      // Cause parsing is defined for sim targets only; real targets need an LLM judge.
      const u = unscored.get(key) ?? { optimizer: c.label, optimizerModel, reflections: 0 };
      u.reflections += refl.length;
      unscored.set(key, u);
      continue;
    }
    if (!groups.has(key)) groups.set(key, { optimizer: c.label, optimizerModel, cells: [] });
    groups.get(key)!.cells.push(c);
  }
  const rows = [...groups.values()].map((g) =>
    reflectionRow(g, g.cells.flatMap((c) => scoreReflections(c.trajectory.reflections, parseCauses).scores), level),
  );
  rows.sort((a, b) => a.optimizer.localeCompare(b.optimizer) || a.optimizerModel.localeCompare(b.optimizerModel));
  return { rows, unscored: [...unscored.values()] };
}

/** One reflection-table row from a group's reflection scores (hit rate with a Wilson interval). */
function reflectionRow(
  g: { optimizer: string; optimizerModel: string; cells: readonly Cell[] },
  scores: ReflectionScore[],
  level: number,
): ReflectionRow {
  const n = scores.length;
  const hits = scores.filter((s) => s.hit).length;
  const w = wilsonInterval(hits, n, level);
  const fix = scores.map((s) => s.fixRate).filter((x): x is number => x !== undefined);
  return {
    optimizer: g.optimizer,
    optimizerModel: g.optimizerModel,
    cells: g.cells.length,
    seeds: [...new Set(g.cells.map((c) => c.spec.seed))].sort((a, b) => a - b),
    n,
    hits,
    hitRate: n ? hits / n : Number.NaN,
    hitLo: w.lo,
    hitHi: w.hi,
    precision: mean(scores.map((s) => s.precision)),
    recall: mean(scores.map((s) => s.recall)),
    ...(fix.length ? { fixRate: mean(fix) } : {}),
    nFix: fix.length,
    scores,
  };
}

/**
 * The judged variant of the reflection table: per optimizer × optimizer model,
 * over every cell the judge saw, with the judge's failure labels as the causes
 * (also where the sim's true cause exists) and the judge's reading of each
 * reflection; plus the judge's agreement with the sim's true causes.
 */
export function judgedReflection(cells: readonly Cell[], judged: JudgedRun, level = 0.95): JudgedReflectionAnalysis {
  const groups = new Map<string, { optimizer: string; optimizerModel: string; cells: Cell[]; scores: ReflectionScore[] }>();
  const truth = new Map<string, boolean>();
  for (const c of cells) {
    const j = judged.cells.get(c.id);
    if (!j) continue;
    const optimizerModel = c.spec.optimizerModel ?? '(none)';
    const key = JSON.stringify([c.label, optimizerModel]);
    if (!groups.has(key)) groups.set(key, { optimizer: c.label, optimizerModel, cells: [], scores: [] });
    const g = groups.get(key)!;
    g.cells.push(c);
    g.scores.push(...scoreReflections(judgeLabelled(j.records), j.parser).scores);
    for (const f of j.records.flatMap((r) => r.shown) as JudgedShownFailure[]) {
      if (f.causeSource !== 'sim' || !f.trueCause) continue;
      truth.set(JSON.stringify([f.input, f.output, f.gold, f.trueCause]), !!f.judgedCause && f.judgedCause.trim().toLowerCase() === f.trueCause.trim().toLowerCase());
    }
  }
  const rows = [...groups.values()].map((g) => reflectionRow(g, g.scores, level));
  rows.sort((a, b) => a.optimizer.localeCompare(b.optimizer) || a.optimizerModel.localeCompare(b.optimizerModel));
  const n = truth.size;
  const agree = [...truth.values()].filter(Boolean).length;
  const w = wilsonInterval(agree, n, level);
  return { model: judged.model, rows, agreement: { n, agree, rate: n ? agree / n : Number.NaN, lo: w.lo, hi: w.hi }, unparsed: judged.unparsed, calls: judged.calls };
}

function budgetRow(g: CellGroup): BudgetRow {
  const stoppedBy: Record<string, number> = {};
  for (const c of g.cells) stoppedBy[c.result.stoppedBy] = (stoppedBy[c.result.stoppedBy] ?? 0) + 1;
  const first = g.cells[0]!.spec;
  const modes = [...new Set(g.cells.map((c) => c.spec.mode ?? 'equal'))];
  return {
    optimizer: g.label,
    task: g.task,
    target: g.target,
    seeds: g.cells.map((c) => c.spec.seed),
    mode: modes.join('/'),
    spent: {
      targetCalls: mean(g.cells.map((c) => c.result.spent.targetCalls)),
      optimizerCalls: mean(g.cells.map((c) => c.result.spent.optimizerCalls)),
      tokens: mean(g.cells.map((c) => c.result.spent.tokens)),
    },
    limits: { ...(first.limits ?? {}) },
    stoppedBy,
  };
}

export function analyze(run: RunDir, opts: AnalysisOptions = {}): Analysis {
  const baseline = opts.baseline ?? 'empty';
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`analyze: alpha must be in (0, 1), got ${alpha}`);
  const groups = groupCells(run.cells);
  const accuracy = groups.map((g) => accuracyRow(g));

  const comparisonNotes: string[] = [];
  const raw: Array<Omit<ComparisonRow, 'pHolm' | 'significant'>> = [];
  const baseGroups = groups.filter((g) => g.label === baseline);
  if (baseGroups.length === 0) comparisonNotes.push(`Baseline "${baseline}" has no finished cells; no paired comparisons.`);
  for (const g of groups) {
    if (g.label === baseline) continue;
    const base = baseGroups.find((b) => b.task === g.task && b.target === g.target);
    if (!base) {
      if (baseGroups.length) comparisonNotes.push(`${g.label} on ${g.task} / ${g.target}: no finished baseline cell.`);
      continue;
    }
    const r = compare(g, base, opts.bootstrapB ?? 10_000);
    if (r) raw.push(r);
    else comparisonNotes.push(`${g.label} on ${g.task} / ${g.target}: no test examples paired with the baseline (same seed and example id).`);
  }
  const adj = holm(raw.map((r) => r.p));
  const comparisons = raw.map((r, i) => ({ ...r, pHolm: adj[i]!, significant: adj[i]! <= alpha }));

  const { rows: reflection, unscored } = reflectionRows(run.cells);
  const specs = [...run.cells.map((c) => c.spec), ...run.missing.flatMap((m) => (m.spec ? [m.spec] : []))];
  const sim = specs.some((s) => isSimModel(s.target) || (s.optimizerModel !== undefined && isSimModel(s.optimizerModel)));

  return {
    runDir: run.dir,
    baseline,
    alpha,
    sim,
    accuracy,
    comparisons,
    comparisonNotes,
    ranks: rankAnalysis(accuracy, alpha),
    anytime: anytimeSeries(groups, opts.gridPoints),
    reflection,
    reflectionUnscored: unscored,
    budget: groups.map(budgetRow),
    missing: run.missing,
    cellsDone: run.cells.length,
    leaks: leakCheck(run.cells),
    ...(opts.judged ? { judged: judgedReflection(run.cells, opts.judged) } : {}),
  };
}
