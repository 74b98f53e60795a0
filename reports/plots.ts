/**
 * Plots as vega-lite specs, compiled by vega-lite and rendered by vega to SVG
 * (headless, no canvas) and by resvg to PNG. Data are inlined in the specs;
 * nothing is fetched.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { AccuracyRow, AnytimeSeries, RankAnalysis, ReflectionRow } from './analysis.js';

export interface Plot {
  /** File stem, e.g. "anytime-like-navigate-sim-8b". */
  id: string;
  title: string;
  /** What the plot shows (n, seeds, interval). */
  caption: string;
  spec: TopLevelSpec;
}

const slug = (...parts: string[]) =>
  parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', config: { font: 'sans-serif' } } as const;

export function anytimeSpec(series: readonly AnytimeSeries[], title: string): TopLevelSpec {
  const values = series.flatMap((s) => s.points.map((p) => ({ optimizer: s.optimizer, x: p.targetCalls, mean: p.mean, min: p.min, max: p.max })));
  return {
    ...base,
    title,
    width: 420,
    height: 260,
    data: { values },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'target calls spent', scale: { zero: true } },
      color: { field: 'optimizer', type: 'nominal', title: 'optimizer' },
    },
    layer: [
      { mark: { type: 'area', opacity: 0.15 }, encoding: { y: { field: 'min', type: 'quantitative' }, y2: { field: 'max' } } },
      { mark: { type: 'line', interpolate: 'step-after' }, encoding: { y: { field: 'mean', type: 'quantitative', title: 'best-so-far dev score', scale: { domain: [0, 1] } } } },
    ],
  } as TopLevelSpec;
}

export function accuracySpec(rows: readonly AccuracyRow[], title: string): TopLevelSpec {
  const values = rows.filter((r) => Number.isFinite(r.mean)).map((r) => ({ optimizer: r.optimizer, target: r.target, mean: r.mean, lo: r.lo, hi: r.hi, interval: r.interval, n: r.n, seeds: r.seeds.length }));
  return {
    ...base,
    title,
    width: { step: 34 },
    height: 220,
    data: { values },
    encoding: { x: { field: 'optimizer', type: 'nominal', title: null, axis: { labelAngle: -30 } } },
    layer: [
      {
        mark: { type: 'bar', color: '#4c78a8' },
        encoding: {
          y: { field: 'mean', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
          tooltip: [{ field: 'optimizer' }, { field: 'mean', format: '.3f' }, { field: 'n' }, { field: 'seeds' }, { field: 'interval' }],
        },
      },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  } as TopLevelSpec;
}

/**
 * Critical-difference diagram (Demšar 2006): optimizers on a mean-rank axis
 * (1 = best, on the left), the CD as a bar above the axis, and a thick line
 * under each maximal group whose mean ranks lie within CD of each other.
 */
export function cdSpec(ranks: RankAnalysis): TopLevelSpec | undefined {
  const f = ranks.friedman;
  // Drawn only after the omnibus test rejects (ranks.nemenyi is set only then): a CD
  // diagram of ranks not shown to differ would invite reading differences into noise.
  if (!f || !ranks.nemenyi) return undefined;
  const k = f.k;
  const cd = ranks.nemenyi?.cd;
  const order = ranks.optimizers.map((o, j) => ({ optimizer: o, rank: f.meanRanks[j]! })).sort((a, b) => a.rank - b.rank);
  const points = order.map((p, i) => ({ ...p, y: -(i + 1), label: `${p.optimizer} (${p.rank.toFixed(2)})` }));
  const cliques: Array<{ x: number; x2: number; y: number }> = [];
  if (cd !== undefined) {
    let lastEnd = -1;
    for (let i = 0; i < order.length; i++) {
      let j = i;
      while (j + 1 < order.length && order[j + 1]!.rank - order[i]!.rank <= cd) j++;
      if (j > i && j > lastEnd) {
        cliques.push({ x: order[i]!.rank, x2: order[j]!.rank, y: 0.35 + 0.25 * cliques.length });
        lastEnd = j;
      }
    }
  }
  const top = 0.35 + 0.25 * cliques.length + 0.4;
  const xScale = { domain: [1, Math.max(k, 1 + (cd ?? 0))], zero: false, nice: false };
  const layers: unknown[] = [
    // Rank axis: a horizontal rule at y = 0.
    { data: { values: [{ x: 1, x2: k, y: 0 }] }, mark: { type: 'rule', color: 'black' }, encoding: { x: { field: 'x', type: 'quantitative', scale: xScale, title: 'mean rank (1 = best)' }, x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative', axis: null, scale: { domain: [-(k + 0.5), top + 0.3] } } } },
    // Leader lines from each optimizer's rank to its label row.
    { data: { values: points.map((p) => ({ x: p.rank, y: 0, y2: p.y })) }, mark: { type: 'rule', color: '#888' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, y2: { field: 'y2' } } },
    { data: { values: points }, mark: { type: 'point', filled: true, color: '#e45756', size: 60 }, encoding: { x: { field: 'rank', type: 'quantitative' }, y: { value: 0, field: 'zero' } } },
    { data: { values: points }, mark: { type: 'text', align: 'left', dx: 4, fontSize: 11 }, encoding: { x: { field: 'rank', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } } },
  ];
  // The point layer sits on the axis: y must be on the same scale, so use a datum.
  (layers[2] as { encoding: Record<string, unknown> }).encoding.y = { datum: 0, type: 'quantitative' };
  if (cd !== undefined) {
    layers.push(
      { data: { values: [{ x: 1, x2: 1 + cd, y: top, t: `CD = ${cd.toFixed(2)}` }] }, mark: { type: 'rule', strokeWidth: 2, color: 'black' }, encoding: { x: { field: 'x', type: 'quantitative' }, x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative' } } },
      { data: { values: [{ x: 1, y: top, t: `CD = ${cd.toFixed(2)}` }] }, mark: { type: 'text', dy: -8, align: 'left', fontSize: 11 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, text: { field: 't' } } },
    );
    if (cliques.length)
      layers.push({ data: { values: cliques }, mark: { type: 'rule', strokeWidth: 4, color: '#333' }, encoding: { x: { field: 'x', type: 'quantitative' }, x2: { field: 'x2' }, y: { field: 'y', type: 'quantitative' } } });
  }
  return {
    ...base,
    title: 'Critical difference diagram (Nemenyi)',
    width: 460,
    height: 40 + 24 * (k + 2),
    resolve: { scale: { x: 'shared', y: 'shared' } },
    layer: layers,
  } as TopLevelSpec;
}

export function reflectionSpec(rows: readonly ReflectionRow[]): TopLevelSpec {
  const values = rows.filter((r) => r.n > 0).map((r) => ({ who: `${r.optimizer} / ${r.optimizerModel}`, hit: r.hitRate, lo: r.hitLo, hi: r.hitHi, n: r.n }));
  return {
    ...base,
    title: 'Reflection hit rate',
    width: { step: 40 },
    height: 200,
    data: { values },
    encoding: { x: { field: 'who', type: 'nominal', title: 'optimizer / optimizer model', axis: { labelAngle: -30 } } },
    layer: [
      { mark: { type: 'bar', color: '#72b7b2' }, encoding: { y: { field: 'hit', type: 'quantitative', title: 'hit rate', scale: { domain: [0, 1] } } } },
      { mark: { type: 'rule', color: 'black' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
    ],
  } as TopLevelSpec;
}

/** Every plot of a report, in order. */
export function buildPlots(a: {
  accuracy: readonly AccuracyRow[];
  anytime: readonly AnytimeSeries[];
  ranks: RankAnalysis;
  reflection: readonly ReflectionRow[];
}): Plot[] {
  const plots: Plot[] = [];
  const blocks = [...new Map(a.accuracy.map((r) => [JSON.stringify([r.task, r.target]), { task: r.task, target: r.target }])).values()];
  for (const b of blocks) {
    const rows = a.accuracy.filter((r) => r.task === b.task && r.target === b.target);
    const seeds = Math.max(...rows.map((r) => r.seeds.length));
    plots.push({
      id: slug('accuracy', b.task, b.target),
      title: `Test accuracy: ${b.task} / ${b.target}`,
      caption: `Bars: mean test accuracy over seeds (up to ${seeds} seeds per optimizer); error bars: 95% ${[...new Set(rows.map((r) => r.interval))].join('; ')} interval over distinct test examples${seeds > 1 ? ' and seeds' : ''} (n and kind per bar in the accuracy table).`,
      spec: accuracySpec(rows, `${b.task} / ${b.target}`),
    });
  }
  for (const b of blocks) {
    const series = a.anytime.filter((s) => s.task === b.task && s.target === b.target && s.points.length > 0);
    if (series.length === 0) continue;
    plots.push({
      id: slug('anytime', b.task, b.target),
      title: `Anytime: ${b.task} / ${b.target}`,
      caption: 'Best-so-far dev score vs target calls spent; line = mean over seeds, band = min–max over seeds.',
      spec: anytimeSpec(series, `${b.task} / ${b.target}`),
    });
  }
  const cd = cdSpec(a.ranks);
  if (cd)
    plots.push({
      id: 'cd-diagram',
      title: 'Critical difference diagram',
      caption: `Mean ranks over ${a.ranks.blocks.length} task × target blocks (1 = best). ${a.ranks.nemenyi ? `Optimizers joined by a thick line do not differ significantly (Nemenyi, α = ${a.ranks.nemenyi.alpha}, CD = ${a.ranks.nemenyi.cd.toFixed(2)}).` : 'No critical difference (see the ranks table).'}`,
      spec: cd,
    });
  if (a.reflection.some((r) => r.n > 0))
    plots.push({
      id: 'reflection-hit-rate',
      title: 'Reflection hit rate',
      caption: 'Share of reflections naming ≥ 1 true cause of the shown failures (sim targets), with 95% intervals clustered by run (reflections of one run share its dev set and history; the effective n is in the reflection table).',
      spec: reflectionSpec(a.reflection),
    });
  return plots;
}

/** Compiles a vega-lite spec and renders it to an SVG string (no network, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vg = compile(spec).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none', loader: noLoader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** A vega loader that refuses every load: report plots inline their data. */
const noLoader = vega.loader();
noLoader.load = async (uri: string) => {
  throw new Error(`report plots must not load external resources (${uri})`);
};

/** SVG → PNG with resvg (system fonts). */
export function renderPng(svg: string, scale = 2): Buffer {
  const r = new Resvg(svg, { fitTo: { mode: 'zoom', value: scale }, font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } });
  return r.render().asPng();
}
