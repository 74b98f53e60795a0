/**
 * Pure analysis of a loaded run directory: accuracy with intervals, paired
 * comparisons against a baseline, rank tests across tasks, anytime curves,
 * reflection quality and budget use. No I/O; every number carries its n,
 * seeds and the kind of interval (docs/reports.md).
 */
import { leakCheck, type LeakReport } from './leak.js';
import { CAUSE_KINDS, isSimModel, isSimTarget, parseCauses } from '../sim/index.js';
import { anytimeCurve } from './anytime.js';
import { groupCells, type Cell, type CellGroup, type MissingCell, type RunDir } from './load.js';
import { judgeLabelled, type JudgedRun, type JudgedShownFailure } from './judge.js';
import { scoreReflections, type CausePrior, type ReflectionScore } from './reflection.js';
import { OPTIMIZER_PARAMS, PRIOR_CAUSES } from '../sim/params.js';
import {
  accuracyTwoLevel,
  clusteredMean,
  clusteredProportion,
  cohensKappa,
  friedman,
  friedmanPermutation,
  holm,
  nemenyi,
  pairedTwoLevel,
  wilsonInterval,
  type FriedmanPermutationResult,
  type FriedmanResult,
  type NemenyiResult,
  type TwoLevelDesign,
} from './stats/index.js';

export const SIM_DISCLAIMER = 'Sim results are not research claims: the targets and/or optimizer models here are simulated (docs/sim.md).';

export interface AnalysisOptions {
  /** Optimizer label of the baseline for paired comparisons (default "empty"). */
  baseline?: string;
  /** Family-wise significance level (Holm) and Nemenyi level (default 0.05). */
  alpha?: number;
  /** Monte Carlo replicates for permutation p-values (Friedman at few blocks; default 10 000). */
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
  /** Distinct shown failures with a sim true cause: how often the judge's label equals it, and Cohen's κ of label vs true cause. */
  agreement: JudgeAgreement;
  /**
   * Distinct reflection texts of sim optimizer models: the judge's reading vs the
   * sim's cause parser, per text × cause kind (named or not); n = texts × 6.
   */
  reading: JudgeAgreement & { texts: number };
  unparsed: number;
  calls: number;
}

/** Agreement of the judge with the sim's ground truth: raw agreement with a Wilson interval, Cohen's κ with the Fleiss–Cohen–Everitt interval. */
export interface JudgeAgreement {
  n: number;
  agree: number;
  rate: number;
  lo: number;
  hi: number;
  kappa: number;
  kappaLo: number;
  kappaHi: number;
}

/** How the suite drew the test split: one split for every seed (default), or a split per seed. */
export type SplitSeed = 'fixed' | 'per-seed';

export type IntervalMethod = 'two-level Wilson (effective n, Satterthwaite/Banerjee df)' | 'none (0 examples)';

/**
 * Which variance an interval or test covers. "test examples + seeds": test-set sampling
 * and optimizer randomness; "test examples (seeds identical)": every seed gave the same
 * outcomes, so only test-set sampling varies; "test examples only (1 seed)": the seed
 * variance cannot be estimated from one seed and is NOT covered.
 */
export type Covers = 'test examples + seeds' | 'test examples (seeds identical)' | 'test examples only (1 seed)' | 'none';

export interface AccuracyRow {
  optimizer: string;
  task: string;
  target: string;
  seeds: number[];
  /** Distinct test examples (fixed split: the shared test set, counted once; per-seed split: summed over seeds). */
  n: number;
  /** 0/1 test outcomes summed over seeds (= n × seeds under a fixed split). */
  observations: number;
  /** Correct outcomes summed over seeds. */
  correct: number;
  /** Mean over seeds of the per-seed test accuracy. */
  mean: number;
  lo: number;
  hi: number;
  level: number;
  interval: IntervalMethod;
  covers: Covers;
  /** Standard error of mean, its df (smaller of Satterthwaite and Banerjee), and the effective number of independent outcomes. */
  se: number;
  df: number;
  nEff: number;
  splitSeed: SplitSeed;
  perSeed: Array<{ seed: number; n: number; accuracy: number }>;
  /** Mean dev accuracy over seeds, when reported. */
  devMean?: number;
  /** Why the row is analysed differently from the rest (e.g. no per-example samples), when it is. */
  note?: string;
}

export interface ComparisonRow {
  optimizer: string;
  baseline: string;
  task: string;
  target: string;
  /** Seeds where both cells finished and share test examples (the seed unit; its count is seeds.length). */
  seeds: number[];
  /** Distinct paired test examples, each counted once however many seeds share it. */
  n: number;
  accOptimizer: number;
  accBaseline: number;
  /** accOptimizer − accBaseline: mean over seeds of the per-seed paired difference. */
  diff: number;
  /** Two-level interval of diff (level, covering `covers`): diff ± t_df·se. */
  lo: number;
  hi: number;
  level: number;
  se: number;
  df: number;
  /** Discordant examples, each distinct example once (seed-averaged): b = optimizer right & baseline wrong, c = the reverse. Integers when seeds agree. */
  b: number;
  c: number;
  /** Two-sided p-value of the test named in `test`, and Holm-adjusted p over all comparisons in the report. */
  p: number;
  test: 'exact McNemar on distinct examples' | 'two-level t (Satterthwaite/Banerjee df)';
  pHolm: number;
  significant: boolean;
  covers: Covers;
  splitSeed: SplitSeed;
}

export interface RankAnalysis {
  /** The omnibus p-value the decision uses: permutation (exact or Monte Carlo) when N < 10 blocks, else Iman–Davenport. */
  omnibus?: { p: number; method: string; rejects: boolean };
  /** Exact / Monte Carlo permutation p of the Friedman statistic (computed when N < 10 blocks). */
  permutation?: FriedmanPermutationResult;
  /** Blocks: (task, target) pairs where every included optimizer finished ≥ 1 seed. */
  blocks: Array<{ task: string; target: string }>;
  optimizers: string[];
  /** Optimizers left out because they lack a block (named with the missing blocks' count). */
  excluded: Array<{ optimizer: string; missingBlocks: number }>;
  /** Mean test accuracy over seeds: blocks × optimizers. */
  scores: number[][];
  friedman?: FriedmanResult;
  /** Nemenyi post-hoc test: only when the omnibus test rejects at alpha. */
  nemenyi?: NemenyiResult;
  /** Why a test was not run, and how the omnibus p was obtained. */
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
  /** Interval of hitRate clustered by run (cell): reflections of one run share its dev set and history. */
  hitLo: number;
  hitHi: number;
  /** Kish effective number of independent reflections behind the interval (≤ n). */
  hitNEff: number;
  precision: number;
  recall: number;
  /** Mean best-edit fix rate over reflections whose edits were checked (nFix of them). */
  fixRate?: number;
  nFix: number;
  /** Chance baselines: the mean over reflections of each rate for as many causes drawn from the prior (reports/reflection.ts `chanceDraw`). */
  hitChance: number;
  precisionChance: number;
  recallChance: number;
  /** Lift over chance (mean of rate − chance per reflection) with an interval clustered by run. */
  lift: { hit: ReflectionLift; precision: ReflectionLift; recall: ReflectionLift };
  /** Runs (cells) with ≥ 1 scored reflection: the clusters of every interval in the row. */
  runs: number;
  scores: ReflectionScore[];
}

/** Lift over chance: mean of (rate − chance) per reflection, cluster-robust t interval over runs (reports/stats/clusteredMean.ts). */
export interface ReflectionLift {
  lift: number;
  lo: number;
  hi: number;
  /** 't (clusters − 1 df)' etc. (clusteredMean `method`). */
  method: string;
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
  /** Notes on comparisons (e.g. baseline absent; multiplicity of the intervals). */
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

/** The suite's split rule for a cell (specs without the field used one split for every seed). */
export function splitSeedOf(c: Cell): SplitSeed {
  return (c.spec as { splitSeed?: unknown }).splitSeed === 'per-seed' ? 'per-seed' : 'fixed';
}

/**
 * Design of a group of cells. Fixed split: test examples crossed with seeds. Per-seed split:
 * like/ tasks generate their examples from the seed (ids are positions, not identities), so
 * examples are nested in seeds; dataset tasks keep their example ids, so seeds that share
 * ids share examples (GSM8K and MMLU test sets do not depend on the seed) — crossed on the
 * shared examples, nested only when no two seeds share one.
 */
function designOf(cells: readonly Cell[]): { splitSeed: SplitSeed; design: TwoLevelDesign } {
  if (!cells.some((c) => splitSeedOf(c) === 'per-seed')) return { splitSeed: 'fixed', design: 'crossed' };
  if (cells.some((c) => c.spec.task.startsWith('like/'))) return { splitSeed: 'per-seed', design: 'nested' };
  const bySeed = new Map<number, Set<string>>();
  for (const c of cells) {
    const set = bySeed.get(c.spec.seed) ?? new Set<string>();
    for (const x of c.test) set.add(x.exampleId);
    bySeed.set(c.spec.seed, set);
  }
  const sets = [...bySeed.values()];
  for (let i = 0; i < sets.length; i++)
    for (let j = i + 1; j < sets.length; j++) for (const id of sets[i]!) if (sets[j]!.has(id)) return { splitSeed: 'per-seed', design: 'crossed' };
  return { splitSeed: 'per-seed', design: 'nested' };
}

/** A cell's test example ids (first occurrence order) and 0/1 outcomes, computed once per cell. */
const testCache = new WeakMap<Cell, { ids: string[]; vec: Float64Array }>();
function testOf(c: Cell): { ids: string[]; vec: Float64Array } {
  let t = testCache.get(c);
  if (!t) {
    const seen = new Set<string>();
    const ids: string[] = [];
    const vals: number[] = [];
    for (const s of c.test) {
      if (seen.has(s.exampleId)) continue;
      seen.add(s.exampleId);
      ids.push(s.exampleId);
      vals.push(s.correct ? 1 : 0);
    }
    t = { ids, vec: Float64Array.from(vals) };
    testCache.set(c, t);
  }
  return t;
}

const sameOrder = (a: readonly string[], b: readonly string[]) => a === b || (a.length === b.length && a.every((x, i) => x === b[i]));

/** 0/1 vector of a cell's test outcomes in the order of `ids`. */
function outcomes(c: Cell, ids: readonly string[]): Float64Array {
  const t = testOf(c);
  if (sameOrder(t.ids, ids)) return t.vec;
  const byId = new Map<string, number>();
  t.ids.forEach((id, i) => byId.set(id, t.vec[i]!));
  const out = new Float64Array(ids.length);
  ids.forEach((id, i) => (out[i] = byId.get(id) ?? 0));
  return out;
}

/** Example ids present in every given cell (in the first cell's order). */
function sharedIds(cells: readonly Cell[]): string[] {
  if (cells.length === 0) return [];
  const first = testOf(cells[0]!).ids;
  if (cells.every((c) => sameOrder(testOf(c).ids, first))) return first;
  const sets = cells.slice(1).map((c) => new Set(testOf(c).ids));
  return first.filter((id) => sets.every((set) => set.has(id)));
}

/** Count-only 0/1 vector (correct first) for cells without per-example samples. */
function fromCounts(c: Cell): Float64Array {
  const out = new Float64Array(c.result.test.n);
  out.fill(1, 0, c.result.test.correct);
  return out;
}

/**
 * Accuracy of one optimizer × task × target over its seeds (reports/stats/accuracyTwoLevel.ts):
 * each distinct test example counted once, seeds as a second unit; the interval covers
 * test-set sampling and seed-to-seed variation (one seed: test examples only, and says so).
 */
export function accuracyRow(g: CellGroup, level = 0.95): AccuracyRow {
  const perSeed = g.cells.map((c) => ({ seed: c.spec.seed, n: c.result.test.n, accuracy: c.result.test.n ? c.result.test.correct / c.result.test.n : Number.NaN }));
  const observations = g.cells.reduce((a, c) => a + c.result.test.n, 0);
  const correct = g.cells.reduce((a, c) => a + c.result.test.correct, 0);
  const devs = g.cells.filter((c) => c.result.dev && c.result.dev.n > 0).map((c) => c.result.dev!.correct / c.result.dev!.n);
  const withN = g.cells.filter((c) => c.result.test.n > 0);
  let { splitSeed, design } = designOf(g.cells);
  const base = { optimizer: g.label, task: g.task, target: g.target, seeds: g.cells.map((c) => c.spec.seed), correct, observations, perSeed, level, splitSeed, ...(devs.length ? { devMean: mean(devs) } : {}) };
  if (withN.length === 0) return { ...base, n: 0, mean: Number.NaN, lo: Number.NaN, hi: Number.NaN, se: Number.NaN, df: Number.NaN, nEff: 0, interval: 'none (0 examples)', covers: 'none' };
  let rows: Float64Array[];
  let note: string | undefined;
  const haveSamples = withN.every((c) => c.test.length > 0);
  if (!haveSamples) {
    rows = withN.map(fromCounts);
    if (design === 'crossed' && withN.length > 1) note = 'no per-example samples: seeds analysed as separate test sets (n may count shared examples once per seed)';
    design = 'nested';
  } else if (design === 'crossed') {
    const ids = sharedIds(withN);
    if (ids.length === 0) {
      rows = withN.map((c) => outcomes(c, c.test.map((s) => s.exampleId)));
      design = 'nested';
      note = 'seeds share no test example ids: analysed as separate test sets';
    } else {
      rows = withN.map((c) => outcomes(c, ids));
      const dropped = withN.some((c) => c.test.length !== ids.length);
      if (dropped) note = `only the ${ids.length} test examples scored under every seed are used`;
    }
  } else {
    rows = withN.map((c) => outcomes(c, c.test.map((s) => s.exampleId)));
  }
  const r = accuracyTwoLevel(rows, { design, level });
  return {
    ...base,
    n: r.examples,
    mean: r.mean,
    lo: r.lo,
    hi: r.hi,
    se: r.se,
    df: r.df,
    nEff: r.nEff,
    interval: 'two-level Wilson (effective n, Satterthwaite/Banerjee df)',
    covers: r.covers,
    ...(note ? { note } : {}),
  };
}

/**
 * Paired comparison of two cell groups on the same task × target
 * (reports/stats/pairedTwoLevel.ts): seeds where both finished, test examples both
 * scored (under a fixed split: examples scored by every such seed, each counted once).
 * Returns undefined when nothing pairs. `pHolm` and `significant` are left to the caller
 * (set here to the unadjusted p and p ≤ alpha).
 */
export function compareGroups(opt: CellGroup, base: CellGroup, opts: { level?: number; alpha?: number } = {}): ComparisonRow | undefined {
  const alpha = opts.alpha ?? 0.05;
  const pairs: Array<[Cell, Cell]> = [];
  for (const oc of opt.cells) {
    const bc = base.cells.find((c) => c.spec.seed === oc.spec.seed);
    if (bc && oc.test.length && bc.test.length) pairs.push([oc, bc]);
  }
  if (pairs.length === 0) return undefined;
  const { splitSeed, design } = designOf(pairs.flat());
  const aRows: Float64Array[] = [];
  const bRows: Float64Array[] = [];
  const seeds: number[] = [];
  if (design === 'crossed') {
    const ids = sharedIds(pairs.flat());
    if (ids.length === 0) return undefined;
    for (const [oc, bc] of pairs) {
      aRows.push(outcomes(oc, ids));
      bRows.push(outcomes(bc, ids));
      seeds.push(oc.spec.seed);
    }
  } else {
    for (const [oc, bc] of pairs) {
      const ids = sharedIds([oc, bc]);
      if (ids.length === 0) continue;
      aRows.push(outcomes(oc, ids));
      bRows.push(outcomes(bc, ids));
      seeds.push(oc.spec.seed);
    }
    if (seeds.length === 0) return undefined;
  }
  const r = pairedTwoLevel(aRows, bRows, { design, ...(opts.level !== undefined ? { level: opts.level } : {}) });
  const acc = (rows: Float64Array[]) => mean(rows.map((row) => row.reduce((x, y) => x + y, 0) / row.length));
  return {
    optimizer: opt.label,
    baseline: base.label,
    task: opt.task,
    target: opt.target,
    seeds,
    n: r.examples,
    accOptimizer: acc(aRows),
    accBaseline: acc(bRows),
    diff: r.diff,
    lo: r.lo,
    hi: r.hi,
    level: r.level,
    se: r.se,
    df: r.df,
    b: r.b,
    c: r.c,
    p: r.pValue,
    test: r.test,
    pHolm: r.pValue,
    significant: r.pValue <= alpha,
    covers: r.covers,
    splitSeed,
  };
}

/**
 * `compareGroups` under its earlier name. The bootstrap size is ignored: the comparison
 * is analytic (two-level variance, exact McNemar or two-level t), so it needs no resampling.
 */
export function compare(opt: CellGroup, base: CellGroup, _bootstrapB?: number): ComparisonRow | undefined {
  return compareGroups(opt, base);
}

/** Blocks below which the omnibus p is the permutation p (Demšar 2006: the χ²/F approximations need N > 10). */
export const FRIEDMAN_EXACT_BELOW = 10;

function rankAnalysis(accuracy: readonly AccuracyRow[], alpha: number, B: number): RankAnalysis {
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
  const notes: string[] = [];
  if (blocks.length < FRIEDMAN_EXACT_BELOW) {
    out.permutation = friedmanPermutation(scores, { B, seed: 0 });
    const how = out.permutation.method === 'exact' ? `exact permutation p over all ${out.permutation.permutations} within-block rank permutations` : `Monte Carlo permutation p (${out.permutation.permutations} within-block permutations, seed 0)`;
    out.omnibus = { p: out.permutation.pValue, method: how, rejects: out.permutation.pValue <= alpha };
    notes.push(`With N = ${blocks.length} < ${FRIEDMAN_EXACT_BELOW} blocks the χ² and F approximations are unreliable; the omnibus p is the ${how}.`);
  } else {
    out.omnibus = { p: out.friedman.imanDavenport.pValue, method: 'Iman–Davenport F', rejects: out.friedman.imanDavenport.pValue <= alpha };
  }
  if (out.omnibus.rejects) {
    out.nemenyi = nemenyi(out.friedman.meanRanks, blocks.length, alpha);
    if (out.nemenyi.qSource === 'studentized-range')
      notes.push(`Nemenyi q_α from the Studentized range quantile (α = ${alpha}, k = ${optimizers.length}; Demšar's table covers α = 0.05/0.10, k ≤ 10).`);
  } else {
    notes.push(`The omnibus test does not reject at α = ${alpha} (p = ${out.omnibus.p.toPrecision(3)}), so no post-hoc (Nemenyi) test and no critical-difference diagram: the ranks are not shown to differ.`);
  }
  if (notes.length) out.note = notes.join(' ');
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

/**
 * The label a cell's reflections are grouped under: the entry's label, plus the
 * sim knob setting when the run sweeps one (`abo [recognise=0]`), since the
 * knobs change how the optimizer reflects. Worlds are pooled (they change the
 * target's rules, not the optimizer).
 */
export function reflectionLabel(c: Pick<Cell, 'label' | 'spec'>): string {
  const setting = /\[([^\]]*)\]$/.exec(c.spec.task)?.[1];
  return setting ? `${c.label} [${setting}]` : c.label;
}

export function reflectionRows(cells: readonly Cell[], level = 0.95): { rows: ReflectionRow[]; unscored: Analysis['reflectionUnscored'] } {
  const groups = new Map<string, { optimizer: string; optimizerModel: string; cells: Cell[] }>();
  const unscored = new Map<string, { optimizer: string; optimizerModel: string; reflections: number }>();
  for (const c of cells) {
    const refl = c.trajectory.reflections ?? [];
    if (refl.length === 0) continue;
    const optimizerModel = c.spec.optimizerModel ?? '(none)';
    const label = reflectionLabel(c);
    const key = JSON.stringify([label, optimizerModel]);
    if (!isSimTarget(c.spec.target)) {
      // Cause parsing is defined for sim targets only; real targets need an LLM judge.
      const u = unscored.get(key) ?? { optimizer: label, optimizerModel, reflections: 0 };
      u.reflections += refl.length;
      unscored.set(key, u);
      continue;
    }
    if (!groups.has(key)) groups.set(key, { optimizer: label, optimizerModel, cells: [] });
    groups.get(key)!.cells.push(c);
  }
  const rows = [...groups.values()].map((g) =>
    reflectionRow(
      g,
      g.cells.map((c) => scoreReflections(c.trajectory.reflections, parseCauses, causePriorOf(c.spec.optimizerModel)).scores),
      level,
    ),
  );
  rows.sort((a, b) => a.optimizer.localeCompare(b.optimizer) || a.optimizerModel.localeCompare(b.optimizerModel));
  return { rows, unscored: [...unscored.values()] };
}

/**
 * The prior of the chance baseline: the sim optimizer model's prior over
 * generic causes (OPTIMIZER_PARAMS in sim/params.ts), and for any other
 * optimizer model the sim's default prior PRIOR_CAUSES as a reference.
 */
export function causePriorOf(optimizerModel: string | undefined): CausePrior {
  return (optimizerModel !== undefined ? OPTIMIZER_PARAMS[optimizerModel]?.prior : undefined) ?? PRIOR_CAUSES;
}

function liftOf(byRun: readonly ReflectionScore[][], rate: (s: ReflectionScore) => number, chance: (s: ReflectionScore) => number, level: number): ReflectionLift {
  const clusters = byRun.filter((r) => r.length > 0).map((r) => r.map((s) => rate(s) - chance(s)));
  if (clusters.length === 0) return { lift: Number.NaN, lo: Number.NaN, hi: Number.NaN, method: 'none (0 reflections)' };
  const m = clusteredMean(clusters, { level });
  return { lift: m.mean, lo: m.lo, hi: m.hi, method: m.method };
}

/**
 * One reflection-table row from a group's reflection scores, one list per run (cell).
 * The hit-rate interval is clustered by run (reports/stats/clusteredProportion.ts):
 * reflections of one run share its dev set and its history, so the run is the unit.
 */
function reflectionRow(
  g: { optimizer: string; optimizerModel: string; cells: readonly Cell[] },
  byRun: ReflectionScore[][],
  level: number,
): ReflectionRow {
  const scores = byRun.flat();
  const n = scores.length;
  const hits = scores.filter((s) => s.hit).length;
  const runs = byRun.filter((r) => r.length > 0);
  const w = clusteredProportion(
    runs.map((r) => r.filter((s) => s.hit).length),
    runs.map((r) => r.length),
    { level },
  );
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
    hitNEff: w.nEff,
    precision: mean(scores.map((s) => s.precision)),
    recall: mean(scores.map((s) => s.recall)),
    ...(fix.length ? { fixRate: mean(fix) } : {}),
    nFix: fix.length,
    hitChance: mean(scores.map((s) => s.chanceHit)),
    precisionChance: mean(scores.map((s) => s.chancePrecision)),
    recallChance: mean(scores.map((s) => s.chanceRecall)),
    lift: {
      hit: liftOf(byRun, (s) => (s.hit ? 1 : 0), (s) => s.chanceHit, level),
      precision: liftOf(byRun, (s) => s.precision, (s) => s.chancePrecision, level),
      recall: liftOf(byRun, (s) => s.recall, (s) => s.chanceRecall, level),
    },
    runs: runs.length,
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
  const groups = new Map<string, { optimizer: string; optimizerModel: string; cells: Cell[]; scores: ReflectionScore[][] }>();
  const truth = new Map<string, [string, string]>();
  const reading = new Map<string, [string[], string[]]>();
  for (const c of cells) {
    const j = judged.cells.get(c.id);
    if (!j) continue;
    if (c.spec.optimizerModel !== undefined && isSimModel(c.spec.optimizerModel))
      for (const r of j.records) if (!reading.has(r.text)) reading.set(r.text, [causeKinds(parseCauses(r.text)), causeKinds(j.parser(r.text))]);
    const optimizerModel = c.spec.optimizerModel ?? '(none)';
    const key = JSON.stringify([reflectionLabel(c), optimizerModel]);
    if (!groups.has(key)) groups.set(key, { optimizer: reflectionLabel(c), optimizerModel, cells: [], scores: [] });
    const g = groups.get(key)!;
    g.cells.push(c);
    g.scores.push(scoreReflections(judgeLabelled(j.records), j.parser, causePriorOf(c.spec.optimizerModel)).scores);
    for (const f of j.records.flatMap((r) => r.shown) as JudgedShownFailure[]) {
      if (f.causeSource !== 'sim' || !f.trueCause) continue;
      truth.set(JSON.stringify([f.input, f.output, f.gold, f.trueCause]), [f.trueCause.trim().toLowerCase(), f.judgedCause ? f.judgedCause.trim().toLowerCase() : '(none)']);
    }
  }
  const rows = [...groups.values()].map((g) => reflectionRow(g, g.scores, level));
  rows.sort((a, b) => a.optimizer.localeCompare(b.optimizer) || a.optimizerModel.localeCompare(b.optimizerModel));
  const labels = [...truth.values()];
  const pairs: Array<[string, string]> = [];
  for (const [sim, judge] of reading.values()) for (const k of CAUSE_KINDS) pairs.push([sim.includes(k) ? 'named' : 'not named', judge.includes(k) ? 'named' : 'not named']);
  return {
    model: judged.model,
    rows,
    agreement: judgeAgreement(labels, level),
    reading: { ...judgeAgreement(pairs, level), texts: reading.size },
    unparsed: judged.unparsed,
    calls: judged.calls,
  };
}

const causeKinds = (causes: readonly string[]) => [...new Set(causes.map((c) => c.split(':')[0]!.trim().toUpperCase()))];

/** Raw agreement (Wilson) and Cohen's κ (reports/stats/cohensKappa.ts) of (truth, judge) label pairs. */
function judgeAgreement(pairs: ReadonlyArray<readonly [string, string]>, level: number): JudgeAgreement {
  const n = pairs.length;
  const agree = pairs.filter(([a, b]) => a === b).length;
  const w = wilsonInterval(agree, n, level);
  const k = n ? cohensKappa(pairs.map((p) => p[0]), pairs.map((p) => p[1]), { level }) : undefined;
  const ok = k && Number.isFinite(k.kappa);
  return { n, agree, rate: n ? agree / n : Number.NaN, lo: w.lo, hi: w.hi, kappa: ok ? k.kappa : Number.NaN, kappaLo: ok ? k.lo : Number.NaN, kappaHi: ok ? k.hi : Number.NaN };
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

/**
 * Intervals are per comparison; the Holm adjustment applies to the p-values only.
 * (Simultaneous intervals consistent with Holm's step-down procedure exist —
 * Strassburger & Bretz 2008 — but are uninformative for the non-rejected hypotheses.)
 */
export const HOLM_INTERVAL_NOTE =
  'Intervals are per-comparison (not simultaneous); the Holm adjustment applies to the p-values, so an interval can exclude 0 while its Holm-adjusted p exceeds α.';

/** Sets pHolm (Holm over the given rows) and significant = pHolm ≤ alpha. */
export function withHolm(rows: readonly ComparisonRow[], alpha: number): ComparisonRow[] {
  const adj = holm(rows.map((r) => r.p));
  return rows.map((r, i) => ({ ...r, pHolm: adj[i]!, significant: adj[i]! <= alpha }));
}

export function analyze(run: RunDir, opts: AnalysisOptions = {}): Analysis {
  const baseline = opts.baseline ?? 'empty';
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`analyze: alpha must be in (0, 1), got ${alpha}`);
  const groups = groupCells(run.cells);
  const accuracy = groups.map((g) => accuracyRow(g));

  const comparisonNotes: string[] = [];
  const raw: ComparisonRow[] = [];
  const baseGroups = groups.filter((g) => g.label === baseline);
  if (baseGroups.length === 0) comparisonNotes.push(`Baseline "${baseline}" has no finished cells; no paired comparisons.`);
  for (const g of groups) {
    if (g.label === baseline) continue;
    const base = baseGroups.find((b) => b.task === g.task && b.target === g.target);
    if (!base) {
      if (baseGroups.length) comparisonNotes.push(`${g.label} on ${g.task} / ${g.target}: no finished baseline cell.`);
      continue;
    }
    const r = compareGroups(g, base, { alpha });
    if (r) raw.push(r);
    else comparisonNotes.push(`${g.label} on ${g.task} / ${g.target}: no test examples paired with the baseline (same seed and example id).`);
  }
  const comparisons = withHolm(raw, alpha);
  if (comparisons.length > 1) comparisonNotes.push(HOLM_INTERVAL_NOTE);

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
    ranks: rankAnalysis(accuracy, alpha, opts.bootstrapB ?? 10_000),
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
