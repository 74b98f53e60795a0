/**
 * Cost vs accuracy: per optimizer × task × target, the mean over seeds of the
 * search spend (model calls = target + optimizer calls, tokens, and USD where
 * prices are known) beside the mean test accuracy, and the Pareto front
 * (no other optimizer is at least as cheap and at least as accurate, and
 * strictly better in one). Spend is the budget meter's (search only); USD is
 * the run's metered cost (search and final scoring) and is known only when the
 * models had prices in the configuration (sim and local models are free).
 */
import type { TopLevelSpec } from 'vega-lite';
import type { Analysis } from '../analysis.js';
import type { CellGroup } from '../load.js';
import type { Table } from '../tables.js';
import { blockKey, blocksOf, colourScale, mean } from './common.js';

export interface CostRow {
  optimizer: string;
  task: string;
  target: string;
  seeds: number;
  calls: number;
  tokens: number;
  usd?: number;
  acc: number;
  lo: number;
  hi: number;
  paretoCalls: boolean;
  paretoTokens: boolean;
  paretoUsd?: boolean;
}

const usdOf = (c: CellGroup['cells'][number]): number | undefined => {
  const u = (c.result as { usage?: { total?: { costUsd?: unknown } } }).usage?.total?.costUsd;
  return typeof u === 'number' && Number.isFinite(u) ? u : undefined;
};

/** Indices of the Pareto-optimal points (minimize cost, maximize acc). */
export function paretoFront(points: ReadonlyArray<{ cost: number; acc: number }>): Set<number> {
  const out = new Set<number>();
  points.forEach((p, i) => {
    const dominated = points.some((q, j) => j !== i && q.cost <= p.cost && q.acc >= p.acc && (q.cost < p.cost || q.acc > p.acc));
    if (!dominated && Number.isFinite(p.cost) && Number.isFinite(p.acc)) out.add(i);
  });
  return out;
}

export function costRows(a: Analysis, groups: readonly CellGroup[]): { rows: CostRow[]; usdKnown: boolean } {
  const rows: CostRow[] = [];
  let usdKnown = false;
  for (const g of groups) {
    const acc = a.accuracy.find((r) => r.optimizer === g.label && r.task === g.task && r.target === g.target);
    if (!acc || !Number.isFinite(acc.mean)) continue;
    const usds = g.cells.map(usdOf);
    const usd = usds.every((u) => u !== undefined) ? mean(usds as number[]) : undefined;
    if (usd !== undefined && usd > 0) usdKnown = true;
    rows.push({
      optimizer: g.label,
      task: g.task,
      target: g.target,
      seeds: g.cells.length,
      calls: mean(g.cells.map((c) => c.result.spent.targetCalls + c.result.spent.optimizerCalls)),
      tokens: mean(g.cells.map((c) => c.result.spent.tokens)),
      ...(usd !== undefined ? { usd } : {}),
      acc: acc.mean,
      lo: acc.lo,
      hi: acc.hi,
      paretoCalls: false,
      paretoTokens: false,
    });
  }
  for (const b of blocksOf(rows)) {
    const inBlock = rows.filter((r) => blockKey(r) === blockKey(b));
    const mark = (cost: (r: CostRow) => number, set: (r: CostRow, v: boolean) => void) => {
      const front = paretoFront(inBlock.map((r) => ({ cost: cost(r), acc: r.acc })));
      inBlock.forEach((r, i) => set(r, front.has(i)));
    };
    mark((r) => r.calls, (r, v) => (r.paretoCalls = v));
    mark((r) => r.tokens, (r, v) => (r.paretoTokens = v));
    if (usdKnown && inBlock.every((r) => r.usd !== undefined)) mark((r) => r.usd!, (r, v) => (r.paretoUsd = v));
  }
  return { rows, usdKnown };
}

export function costTable(rows: readonly CostRow[], usdKnown: boolean): Table {
  const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });
  return {
    id: 'cost-accuracy',
    title: 'Cost vs accuracy (Pareto front)',
    note: `Mean over seeds of the search spend (calls = target + optimizer model calls, tokens; both from the budget meter, final scoring excluded) and the mean test accuracy with its 95% interval (accuracy table). front = on the Pareto front of its task × target for that cost (no other optimizer is at least as cheap and as accurate). ${usdKnown ? 'USD = metered cost of the whole cell (search and final scoring) at the configured prices.' : 'USD: no model in this run has a price (sim or local models), so USD is not reported.'}`,
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seeds', 'seeds', 'int'), c('calls', 'calls', 'num'), c('tokens', 'tokens', 'num'), ...(usdKnown ? [c('usd', 'USD', 'num')] : []), c('acc', 'acc %', 'pct'), c('lo', 'lo %', 'pct'), c('hi', 'hi %', 'pct'), c('paretoCalls', 'front (calls)'), c('paretoTokens', 'front (tokens)'), ...(usdKnown ? [c('paretoUsd', 'front (USD)')] : [])],
    rows: rows.map((r) => ({ task: r.task, target: r.target, optimizer: r.optimizer, seeds: r.seeds, calls: r.calls, tokens: r.tokens, ...(usdKnown ? { usd: r.usd ?? null, paretoUsd: r.paretoUsd ?? null } : {}), acc: r.acc, lo: r.lo, hi: r.hi, paretoCalls: r.paretoCalls, paretoTokens: r.paretoTokens })),
  };
}

const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', background: 'white', config: { font: 'sans-serif', legend: { symbolOpacity: 1 } } } as const;

/** One block's cost-vs-accuracy panels (calls, tokens, USD when known), Pareto front as a step line. */
export function costSpec(rows: readonly CostRow[], usdKnown: boolean, title: string, allLabels: readonly string[]): TopLevelSpec {
  type Metric = [string, (r: CostRow) => number | undefined, (r: CostRow) => boolean | undefined];
  const metrics: Metric[] = [
    ['model calls', (r) => r.calls, (r) => r.paretoCalls],
    ['tokens', (r) => r.tokens, (r) => r.paretoTokens],
  ];
  if (usdKnown) metrics.push(['USD', (r) => r.usd, (r) => r.paretoUsd]);
  const values = metrics.flatMap(([metric, cost, front]) =>
    rows.filter((r) => cost(r) !== undefined).map((r) => ({ metric, optimizer: r.optimizer, cost: cost(r)!, acc: r.acc, lo: r.lo, hi: r.hi, front: front(r) === true })),
  );
  const colour = colourScale(allLabels);
  return {
    ...base,
    title,
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: metrics.map((m) => m[0]) } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 220,
      height: 200,
      layer: [
        {
          transform: [{ filter: 'datum.front' }],
          mark: { type: 'line', interpolate: 'step-after', color: '#999', strokeDash: [4, 3] },
          encoding: { x: { field: 'cost', type: 'quantitative', title: 'mean search spend', scale: { zero: false } }, y: { field: 'acc', type: 'quantitative' }, order: { field: 'cost' } },
        },
        { mark: { type: 'rule' }, encoding: { x: { field: 'cost', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color: { field: 'optimizer', type: 'nominal', scale: colour } } },
        {
          mark: { type: 'point', filled: true, size: 70, opacity: 1 },
          encoding: {
            x: { field: 'cost', type: 'quantitative' },
            y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
            color: { field: 'optimizer', type: 'nominal', scale: colour, title: 'optimizer' },
            shape: { field: 'front', type: 'nominal', title: 'Pareto front', scale: { domain: [true, false], range: ['diamond', 'circle'] } },
          },
        },
      ],
    },
  } as TopLevelSpec;
}
