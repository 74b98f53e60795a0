/**
 * Runs over several sim worlds (suite `worlds:`) and sweeps of a sim knob
 * (suite `sim:`), docs/reports.md "Across worlds" and "Gain vs recognition".
 *
 * Across worlds: within each world (and task × target × knob setting) the
 * optimizers are ranked by mean test accuracy over seeds (1 = best, ties
 * averaged); each optimizer's accuracy, rank and gap to the world's ceiling
 * (result.json `ceiling`: the best prompt of sim/ceiling.ts's documented
 * family on the same test examples) are then averaged over worlds. The world
 * is the unit: interval = mean ± t₀.₉₇₅,ₙ₋₁ · sd/√n over the n worlds
 * (Student 1908), covering world-to-world variation of the rules; seed and
 * test-example sampling sit inside each world's value.
 *
 * Gain vs recognition: the paired comparison with the baseline (analysis
 * `comparisons`, two-level interval) of every reflecting optimizer, at each
 * value of the sim optimizer's recognition rate.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Analysis } from '../analysis.js';
import type { Cell, RunDir } from '../load.js';
import type { Plot } from '../plots.js';
import { averageRanks, studentTQuantile } from '../stats/index.js';
import type { Table } from '../tables.js';
import { colourScale, mean, sd } from './common.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** mean ± t·sd/√n over worlds; no interval with fewer than 2 worlds. */
export function worldInterval(xs: readonly number[]): { mean: number; lo: number | null; hi: number | null; n: number } {
  const m = mean(xs);
  if (xs.length < 2) return { mean: m, lo: null, hi: null, n: xs.length };
  const h = studentTQuantile(0.975, xs.length - 1) * (sd(xs) / Math.sqrt(xs.length));
  return { mean: m, lo: m - h, hi: m + h, n: xs.length };
}

/** A block name's parts: task id, world, knob setting (`like/navigate @w3 [recognise=0]`). */
export function parseBlock(task: string): { task: string; world?: number; setting: string } {
  const m = /^(.*?)(?: @w(\d+))?(?: \[([^\]]*)\])?$/.exec(task)!;
  return { task: m[1]!, ...(m[2] !== undefined ? { world: Number(m[2]) } : {}), setting: m[3] ?? '' };
}

export interface WorldFamily {
  /** Task id (with the knob setting, when the run sweeps one). */
  task: string;
  target: string;
  worlds: number[];
  optimizers: string[];
  /** Mean test accuracy over seeds, [optimizer][world index]. */
  acc: number[][];
  /** Rank within the world (1 = best), [optimizer][world index]. */
  rank: number[][];
  /** The world's ceiling accuracy (NaN when no cell recorded one). */
  ceiling: number[];
  ceilingParts: Array<string | undefined>;
  ceilingN: number[];
  /** Optimizers left out: not finished in every world of the family. */
  leftOut: string[];
}

/** Families of a run with several worlds: (task, target, knob setting) with ≥ 2 worlds. */
export function worldFamilies(run: RunDir): WorldFamily[] {
  const worldOf = (c: Cell) => c.spec.world ?? 0;
  if (new Set(run.cells.map(worldOf)).size < 2) return [];
  const fam = new Map<string, Cell[]>();
  for (const c of run.cells) {
    const b = parseBlock(c.spec.task);
    const key = JSON.stringify([b.task + (b.setting ? ` [${b.setting}]` : ''), c.spec.target]);
    (fam.get(key) ?? fam.set(key, []).get(key)!).push(c);
  }
  const out: WorldFamily[] = [];
  for (const [key, cells] of fam) {
    const [task, target] = JSON.parse(key) as [string, string];
    const worlds = [...new Set(cells.map(worldOf))].sort((a, b) => a - b);
    if (worlds.length < 2) continue;
    const labels = [...new Set(cells.map((c) => c.label))].sort();
    const accOf = (l: string, w: number) => {
      const xs = cells.filter((c) => c.label === l && worldOf(c) === w).map((c) => c.result.test.accuracy);
      return xs.length ? mean(xs) : Number.NaN;
    };
    const optimizers = labels.filter((l) => worlds.every((w) => Number.isFinite(accOf(l, w))));
    const leftOut = labels.filter((l) => !optimizers.includes(l));
    const acc = optimizers.map((l) => worlds.map((w) => accOf(l, w)));
    const rank = optimizers.map(() => new Array<number>(worlds.length).fill(Number.NaN));
    worlds.forEach((_, j) => {
      const r = averageRanks(acc.map((row) => -row[j]!));
      r.forEach((x, i) => (rank[i]![j] = x));
    });
    const ceiling: number[] = [];
    const ceilingParts: Array<string | undefined> = [];
    const ceilingN: number[] = [];
    for (const w of worlds) {
      const cs = cells.filter((c) => worldOf(c) === w && c.result.ceiling).map((c) => c.result.ceiling!);
      ceiling.push(cs.length ? mean(cs.map((x) => x.accuracy)) : Number.NaN);
      ceilingN.push(cs.length ? cs[0]!.n : 0);
      const parts = [...new Set(cs.map((x) => (x.parts.length ? x.parts.join('+') : '(none)')))];
      ceilingParts.push(parts.length ? parts.join(' | ') : undefined);
    }
    out.push({ task, target, worlds, optimizers, acc, rank, ceiling, ceilingParts, ceilingN, leftOut });
  }
  return out.sort((a, b) => a.task.localeCompare(b.task) || a.target.localeCompare(b.target));
}

export interface WorldRow {
  task: string;
  target: string;
  optimizer: string;
  worlds: number;
  acc: number;
  accLo: number | null;
  accHi: number | null;
  rank: number;
  rankLo: number | null;
  rankHi: number | null;
  wins: number;
  gap: number | null;
  gapLo: number | null;
  gapHi: number | null;
  /** Each world's gap (for the plot). */
  gaps: number[];
  atCeiling: number;
}

const ALL = 'all tasks';

/**
 * One row per family × optimizer, plus, when several families share their
 * optimizers and worlds, rows over all of them (per world the optimizer's
 * rank and gap averaged over the families, then over worlds).
 */
export function worldRows(families: readonly WorldFamily[]): WorldRow[] {
  const rows: WorldRow[] = [];
  for (const f of families) {
    const best = f.worlds.map((_, j) => Math.max(...f.acc.map((r) => r[j]!)));
    f.optimizers.forEach((o, i) => {
      const a = worldInterval(f.acc[i]!);
      const r = worldInterval(f.rank[i]!);
      const gaps = f.worlds.map((_, j) => f.ceiling[j]! - f.acc[i]![j]!).filter(Number.isFinite);
      const g = gaps.length === f.worlds.length ? worldInterval(gaps) : undefined;
      rows.push({
        task: f.task,
        target: f.target,
        optimizer: o,
        worlds: f.worlds.length,
        acc: a.mean,
        accLo: a.lo,
        accHi: a.hi,
        rank: r.mean,
        rankLo: r.lo,
        rankHi: r.hi,
        wins: f.worlds.filter((_, j) => f.acc[i]![j] === best[j]).length,
        gap: g ? g.mean : null,
        gapLo: g ? g.lo : null,
        gapHi: g ? g.hi : null,
        gaps: g ? gaps : [],
        atCeiling: g ? gaps.filter((x) => x <= 0).length : 0,
      });
    });
  }
  // pooled over tasks only when the families differ by task alone (never across knob settings)
  const settings = new Set(families.map((f) => parseBlock(f.task).setting));
  if (families.length > 1 && settings.size === 1 && new Set(families.map((f) => f.task)).size > 1) {
    const worlds = families[0]!.worlds;
    const shared = families[0]!.optimizers.filter((o) => families.every((f) => f.optimizers.includes(o)));
    if (shared.length >= 2 && families.every((f) => JSON.stringify(f.worlds) === JSON.stringify(worlds))) {
      const targets = [...new Set(families.map((f) => f.target))];
      // per world: each shared optimizer's rank among the shared ones, accuracy and gap, averaged over the families
      const per = (pick: (f: WorldFamily, i: number, j: number, rank: number) => number) =>
        shared.map((o) =>
          worlds.map((_, j) =>
            mean(
              families.map((f) => {
                const ranks = averageRanks(shared.map((s) => -f.acc[f.optimizers.indexOf(s)]![j]!));
                return pick(f, f.optimizers.indexOf(o), j, ranks[shared.indexOf(o)]!);
              }),
            ),
          ),
        );
      const accs = per((f, i, j) => f.acc[i]![j]!);
      const ranks = per((_f, _i, _j, r) => r);
      const gapsAll = per((f, i, j) => f.ceiling[j]! - f.acc[i]![j]!);
      const bestRank = worlds.map((_, j) => Math.min(...ranks.map((r) => r[j]!)));
      shared.forEach((o, k) => {
        const a = worldInterval(accs[k]!);
        const r = worldInterval(ranks[k]!);
        const gaps = gapsAll[k]!;
        const g = gaps.every(Number.isFinite) ? worldInterval(gaps) : undefined;
        rows.push({
          task: ALL,
          target: targets.join(', '),
          optimizer: o,
          worlds: worlds.length,
          acc: a.mean,
          accLo: a.lo,
          accHi: a.hi,
          rank: r.mean,
          rankLo: r.lo,
          rankHi: r.hi,
          wins: ranks[k]!.filter((x, j) => x === bestRank[j]).length,
          gap: g ? g.mean : null,
          gapLo: g ? g.lo : null,
          gapHi: g ? g.hi : null,
          gaps: g ? gaps : [],
          atCeiling: g ? gaps.filter((x) => x <= 0).length : 0,
        });
      });
    }
  }
  return rows.sort((a, b) => Number(a.task === ALL) - Number(b.task === ALL) || a.task.localeCompare(b.task) || a.target.localeCompare(b.target) || a.rank - b.rank);
}

export function worldTables(families: readonly WorldFamily[], rows: readonly WorldRow[]): Table[] {
  if (!families.length) return [];
  const nW = [...new Set(families.map((f) => f.worlds.length))].join('/');
  const left = families.filter((f) => f.leftOut.length).map((f) => `${f.task} / ${f.target}: ${f.leftOut.join(', ')}`);
  const ranks: Table = {
    id: 'worlds-ranks',
    title: 'Across worlds: rankings and gap to the ceiling',
    note:
      `The world is the unit (n = ${nW} sim worlds). Within each world the optimizers are ranked by mean test accuracy over seeds (1 = best, ties averaged); acc, rank and gap are then means over the worlds. Interval (95%): mean ± t₀.₉₇₅,ₙ₋₁ · sd/√n over the n worlds (Student t): it covers world-to-world variation of the sim's rules; the sampling of seeds and test examples is inside each world's value. ` +
      `wins = worlds where the optimizer has the highest accuracy (ties count for each). gap = the world's ceiling accuracy − the optimizer's accuracy, in points: the ceiling is the best prompt of the sim's documented family (sim/ceiling.ts: 32 combinations of a CoT cue, the format instruction, concept hints, the knowledge cue and a numbered layout) chosen on the same test examples, so it is slightly optimistic by selection; an optimizer can pass it through wordings outside the family (at/above ceiling = worlds with gap ≤ 0). ` +
      `"${ALL}" rows: per world the rank among the optimizers every task has, and the gap, averaged over the tasks, then over worlds.` +
      (left.length ? ` Left out (not finished in every world): ${left.join('; ')}.` : ''),
    columns: [
      { key: 'task', header: 'task', kind: 'text' },
      { key: 'target', header: 'target', kind: 'text' },
      { key: 'optimizer', header: 'optimizer', kind: 'text' },
      { key: 'worlds', header: 'worlds', kind: 'int' },
      { key: 'rank', header: 'mean rank', kind: 'num' },
      { key: 'rankLo', header: 'rank lo', kind: 'num' },
      { key: 'rankHi', header: 'rank hi', kind: 'num' },
      { key: 'wins', header: 'wins', kind: 'int' },
      { key: 'acc', header: 'acc %', kind: 'pct' },
      { key: 'accLo', header: 'lo %', kind: 'pct' },
      { key: 'accHi', header: 'hi %', kind: 'pct' },
      { key: 'gap', header: 'gap to ceiling %', kind: 'pct' },
      { key: 'gapLo', header: 'gap lo %', kind: 'pct' },
      { key: 'gapHi', header: 'gap hi %', kind: 'pct' },
      { key: 'atCeiling', header: 'at/above ceiling', kind: 'int' },
    ],
    rows: rows.map(({ gaps: _g, ...r }) => ({ ...r })),
  };
  const ceilRows = families.flatMap((f) =>
    f.worlds.map((w, j) => {
      const best = Math.max(...f.acc.map((r) => r[j]!));
      return { task: f.task, target: f.target, world: w, prompt: f.ceilingParts[j] ?? null, n: f.ceilingN[j] ?? null, ceiling: Number.isFinite(f.ceiling[j]!) ? f.ceiling[j]! : null, best: Number.isFinite(best) ? best : null, bestBy: f.optimizers.filter((_, i) => f.acc[i]![j] === best).join(', ') };
    }),
  );
  const distinct = families
    .filter((f) => f.ceilingParts.some((p) => p !== undefined))
    .map((f) => `${f.task} / ${f.target}: ${new Set(f.ceilingParts.filter((p) => p !== undefined)).size} distinct of ${f.worlds.length} worlds`);
  const ceil: Table = {
    id: 'worlds-ceiling',
    title: 'Across worlds: the ceiling prompt of each world',
    note: `Per world and task: the parts of the ceiling prompt (the best of the documented family, sim/ceiling.ts; "(none)" = the bare "Answer the question."), its accuracy on the n test examples it was chosen on, and the best optimizer's mean test accuracy over seeds there. Distinct ceiling prompts: ${distinct.length ? distinct.join('; ') : 'no cell recorded a ceiling (non-sim targets or an older run)'}.`,
    columns: [
      { key: 'task', header: 'task', kind: 'text' },
      { key: 'target', header: 'target', kind: 'text' },
      { key: 'world', header: 'world', kind: 'int' },
      { key: 'prompt', header: 'ceiling prompt parts', kind: 'text' },
      { key: 'n', header: 'n test', kind: 'int' },
      { key: 'ceiling', header: 'ceiling %', kind: 'pct' },
      { key: 'best', header: 'best optimizer %', kind: 'pct' },
      { key: 'bestBy', header: 'best optimizer', kind: 'text' },
    ],
    rows: ceilRows,
  };
  return [ranks, ceil];
}

/** Gap to the ceiling over worlds: one panel per task × target, per-world gaps as dots, mean and interval. */
export function worldGapPlot(rows: readonly WorldRow[], labels: readonly string[]): Plot | undefined {
  const withGap = rows.filter((r) => r.gap !== null);
  if (!withGap.length) return undefined;
  const panel = (r: WorldRow) => `${r.task} / ${r.target}`;
  const means = withGap.map((r) => ({ panel: panel(r), optimizer: r.optimizer, gap: r.gap, lo: r.gapLo ?? r.gap, hi: r.gapHi ?? r.gap, worlds: r.worlds }));
  const dots = withGap.flatMap((r) => r.gaps.map((g) => ({ panel: panel(r), optimizer: r.optimizer, world_gap: g })));
  const n = [...new Set(withGap.map((r) => r.worlds))].join('/');
  const ys = [...means.flatMap((m) => [m.lo!, m.hi!]), ...dots.map((d) => d.world_gap)].filter(Number.isFinite);
  const pad = 0.05;
  const domain = [Math.floor((Math.min(0, ...ys) - pad) * 10) / 10, Math.ceil((Math.max(0, ...ys) + pad) * 10) / 10];
  const spec = {
    $schema: SCHEMA,
    background: 'white',
    config: { font: 'sans-serif', legend: { symbolOpacity: 1 } },
    title: 'Gap to the ceiling over worlds',
    data: { values: [...means.map((m) => ({ ...m, kind: 'mean' })), ...dots.map((d) => ({ ...d, kind: 'world' }))] },
    facet: { field: 'panel', type: 'nominal', title: null },
    columns: 2,
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 260,
      height: 180,
      encoding: {
        x: { field: 'optimizer', type: 'nominal', title: null, sort: { field: 'gap', op: 'max', order: 'ascending' }, axis: { labelAngle: -30 } },
        color: { field: 'optimizer', type: 'nominal', scale: colourScale(labels), title: 'optimizer' },
      },
      layer: [
        { transform: [{ filter: "datum.kind === 'world'" }], mark: { type: 'point', opacity: 0.35, size: 18 }, encoding: { y: { field: 'world_gap', type: 'quantitative', title: 'ceiling − accuracy (proportion)', scale: { domain } } } },
        { transform: [{ filter: "datum.kind === 'mean'" }], mark: { type: 'rule', strokeWidth: 2 }, encoding: { y: { field: 'lo', type: 'quantitative', scale: { domain } }, y2: { field: 'hi' } } },
        { transform: [{ filter: "datum.kind === 'mean'" }], mark: { type: 'point', filled: true, size: 70, shape: 'diamond' }, encoding: { y: { field: 'gap', type: 'quantitative', scale: { domain } } } },
        { mark: { type: 'rule', strokeDash: [3, 3] }, encoding: { y: { datum: 0 }, color: { value: '#888' } } },
      ],
    },
  } as unknown as TopLevelSpec;
  return {
    id: 'worlds-gap',
    title: 'Gap to the ceiling over worlds',
    caption: `Per task × target and optimizer: dots = each world's gap (ceiling accuracy − mean test accuracy over seeds; below 0 = above the family ceiling), diamond = mean over the ${n} worlds, bar = 95% Student-t interval over worlds (the world is the unit; n = ${n}).`,
    spec,
  };
}

export interface RecognitionRow {
  task: string;
  target: string;
  optimizer: string;
  baseline: string;
  recognise: number;
  seeds: number;
  n: number;
  diff: number;
  lo: number;
  hi: number;
  covers: string;
}

/** Gain over the baseline of each reflecting optimizer at each recognition rate (from the paired comparisons). */
export function recognitionRows(run: RunDir, a: Analysis): RecognitionRow[] {
  const reflecting = new Set(run.cells.filter((c) => (c.trajectory.reflections ?? []).length > 0).map((c) => c.label));
  const rows: RecognitionRow[] = [];
  for (const r of a.comparisons) {
    if (!reflecting.has(r.optimizer)) continue;
    const b = parseBlock(r.task);
    const knobs = b.setting.split(', ').map((kv) => kv.split('='));
    const rec = knobs.find(([k]) => k === 'recognise');
    if (!rec || rec[1] === 'default') continue;
    const rest = knobs.filter(([k]) => k !== 'recognise').map((kv) => kv.join('='));
    const task = `${b.task}${b.world !== undefined ? ` @w${b.world}` : ''}${rest.length ? ` [${rest.join(', ')}]` : ''}`;
    rows.push({ task, target: r.target, optimizer: r.optimizer, baseline: r.baseline, recognise: Number(rec[1]), seeds: r.seeds.length, n: r.n, diff: r.diff, lo: r.lo, hi: r.hi, covers: r.covers });
  }
  return rows.sort((x, y) => x.task.localeCompare(y.task) || x.target.localeCompare(y.target) || x.optimizer.localeCompare(y.optimizer) || x.recognise - y.recognise);
}

export function recognitionTable(rows: readonly RecognitionRow[]): Table | undefined {
  if (!rows.length) return undefined;
  return {
    id: 'recognition-gain',
    title: 'Gain vs the sim optimizer\'s recognition rate',
    note: `Per reflecting optimizer (cells with reflections) and value of the sim knob recognise (P(name the true cause) = recognise × clarity of the tell, docs/sim.md): the paired difference in test accuracy with the baseline (${[...new Set(rows.map((r) => r.baseline))].join(', ')}) on the same seeds and examples, with the comparison table's two-level 95% interval (its n = distinct paired test examples; "covers" as there). A check of the instrumentation: at recognise 0 every cause a reflection names is a prior draw, so a method's gain there should not exceed that of a variant that shows no model outputs (showOutputs: false), whose reflections are prior draws at every rate; the gain should grow with the rate only for methods that show the target's outputs.`,
    columns: [
      { key: 'task', header: 'task', kind: 'text' },
      { key: 'target', header: 'target', kind: 'text' },
      { key: 'optimizer', header: 'optimizer', kind: 'text' },
      { key: 'recognise', header: 'recognise', kind: 'num' },
      { key: 'seeds', header: 'seeds', kind: 'int' },
      { key: 'n', header: 'n examples', kind: 'int' },
      { key: 'diff', header: 'gain %', kind: 'pct' },
      { key: 'lo', header: 'lo %', kind: 'pct' },
      { key: 'hi', header: 'hi %', kind: 'pct' },
      { key: 'covers', header: 'covers', kind: 'text' },
    ],
    rows: rows.map((r) => ({ task: r.task, target: r.target, optimizer: r.optimizer, recognise: r.recognise, seeds: r.seeds, n: r.n, diff: r.diff, lo: r.lo, hi: r.hi, covers: r.covers })),
  };
}

export function recognitionPlot(rows: readonly RecognitionRow[], labels: readonly string[]): Plot | undefined {
  if (new Set(rows.map((r) => r.recognise)).size < 2) return undefined;
  const values = rows.map((r) => ({ panel: `${r.task} / ${r.target}`, optimizer: r.optimizer, recognise: r.recognise, gain: r.diff, lo: r.lo, hi: r.hi }));
  const baseline = [...new Set(rows.map((r) => r.baseline))].join(', ');
  const spec = {
    $schema: SCHEMA,
    background: 'white',
    config: { font: 'sans-serif', legend: { symbolOpacity: 1 } },
    title: `Gain over ${baseline} vs recognition rate`,
    data: { values },
    facet: { field: 'panel', type: 'nominal', title: null },
    columns: 2,
    spec: {
      width: 260,
      height: 200,
      encoding: {
        x: { field: 'recognise', type: 'quantitative', title: 'recognise (sim optimizer)', scale: { domain: [0, 1] } },
        color: { field: 'optimizer', type: 'nominal', scale: colourScale(labels), title: 'optimizer' },
      },
      layer: [
        { mark: { type: 'rule', strokeDash: [3, 3] }, encoding: { y: { datum: 0 }, color: { value: '#888' } } },
        { mark: { type: 'rule' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: { filled: true, size: 40 } }, encoding: { y: { field: 'gain', type: 'quantitative', title: `test accuracy − ${baseline} (paired)` } } },
      ],
    },
  } as unknown as TopLevelSpec;
  return {
    id: 'recognition-gain',
    title: 'Gain vs recognition rate',
    caption: `Per reflecting optimizer: the paired difference in test accuracy with ${baseline} (same seeds and examples) at each value of the sim optimizer's recognition rate; bars = the comparison table's two-level 95% intervals (kind and n there). At 0 the reflections name prior draws only.`,
    spec,
  };
}
