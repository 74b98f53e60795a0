/**
 * Scaling: test accuracy against target size (parameters, read from the model
 * name: "sim-8b" → 8 B) per optimizer, one panel per task. Drawn only when the
 * run has at least two target sizes.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { AccuracyRow } from '../analysis.js';
import { colourScale, targetSize } from './common.js';

export function scalingData(rows: readonly AccuracyRow[]) {
  return rows
    .filter((r) => Number.isFinite(r.mean) && targetSize(r.target) !== undefined)
    .map((r) => ({ task: r.task, target: r.target, size: targetSize(r.target)!, optimizer: r.optimizer, mean: r.mean, lo: r.lo, hi: r.hi, interval: r.interval, seeds: r.seeds.length, n: r.n }));
}

/** undefined unless ≥ 2 distinct sizes. */
export function scalingSpec(rows: readonly AccuracyRow[], allLabels: readonly string[]): TopLevelSpec | undefined {
  const values = scalingData(rows);
  const sizes = new Set(values.map((v) => v.size));
  if (sizes.size < 2) return undefined;
  const colour = colourScale(allLabels);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    background: 'white',
    config: { font: 'sans-serif', legend: { symbolOpacity: 1 } },
    title: 'Test accuracy vs target size',
    data: { values },
    facet: { field: 'task', type: 'nominal', title: null },
    columns: 3,
    spec: {
      width: 220,
      height: 200,
      encoding: {
        x: { field: 'size', type: 'quantitative', title: 'target size (B parameters, log)', scale: { type: 'log', domain: [Math.min(...sizes) / 1.5, Math.max(...sizes) * 1.5] }, axis: { values: [...sizes].sort((a, b) => a - b) } },
        color: { field: 'optimizer', type: 'nominal', scale: colour, title: 'optimizer' },
      },
      layer: [
        { mark: { type: 'rule' }, encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
        { mark: { type: 'line', point: { filled: true, size: 40 } }, encoding: { y: { field: 'mean', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } } } },
      ],
    },
  } as TopLevelSpec;
}
