import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { analyze } from './analysis.js';
import { writeFixtureRun } from './fixture.js';
import { loadRunDir } from './load.js';
import { buildPlots, cdSpec, renderPng, renderSvg } from './plots.js';
import { friedman, nemenyi } from './stats/index.js';

const a = analyze(loadRunDir(writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-plots-')))), { bootstrapB: 200, gridPoints: 4 });
const plots = buildPlots(a);
const byId = (id: string) => plots.find((p) => p.id === id)!;
/** Count SVG elements of a vega mark role, e.g. 'mark-rect', 'mark-line', 'mark-symbol'. */
function marks(svg: string, role: string): number {
  const group = svg.split(`class="mark-${role} `).slice(1);
  // Each mark group holds its items as <path>/<text> children up to the group's close.
  return group.reduce((n, g) => n + (g.split('</g>')[0]!.match(/<(path|text|line)\b/g) ?? []).length, 0);
}

describe('plots', () => {
  it('one accuracy and one anytime plot per task × target and a reflection plot; no CD diagram when the omnibus test does not reject', () => {
    // Fixture: 2 blocks, 3 optimizers, exact Friedman permutation p = 3/6 (reports/analysis.test.ts).
    expect(a.ranks.omnibus!.rejects).toBe(false);
    expect(plots.map((p) => p.id).sort()).toEqual([
      'accuracy-like-gsm-sim-8b',
      'accuracy-like-navigate-sim-8b',
      'anytime-like-gsm-sim-8b',
      'anytime-like-navigate-sim-8b',
      'reflection-hit-rate',
    ]);
  });

  it('every spec compiles with vega-lite', () => {
    for (const p of plots) expect(() => compile(p.spec)).not.toThrow();
  });

  it('accuracy chart: one bar and one error rule per optimizer', async () => {
    const svg = await renderSvg(byId('accuracy-like-navigate-sim-8b').spec);
    expect(marks(svg, 'rect')).toBe(3);
    expect(marks(svg, 'rule')).toBeGreaterThanOrEqual(3);
    expect(svg).toMatch(/^<svg/);
  });

  it('anytime chart: one line per optimizer', async () => {
    const svg = await renderSvg(byId('anytime-like-navigate-sim-8b').spec);
    expect(marks(svg, 'line')).toBe(3);
    expect(marks(svg, 'area')).toBe(3);
  });

  it('CD diagram (after a rejecting omnibus test): a point and a label per optimizer', async () => {
    const f = friedman([[0.9, 0.5, 0.7], [0.8, 0.4, 0.6]]);
    const ranks = { blocks: [], optimizers: ['opro', 'empty', 'protegi'], excluded: [], scores: [], friedman: f, nemenyi: nemenyi(f.meanRanks, 2, 0.05) };
    const svg = await renderSvg(cdSpec(ranks)!);
    expect(marks(svg, 'symbol')).toBe(3);
    for (const o of ['empty (3.00)', 'opro (1.00)', 'protegi (2.00)']) expect(svg).toContain(o);
    expect(svg).toContain('CD = 2.34');
    expect(cdSpec({ ...ranks, nemenyi: undefined })).toBeUndefined();
  });

  it('reflection chart renders to PNG', async () => {
    const svg = await renderSvg(byId('reflection-hit-rate').spec);
    expect(marks(svg, 'rect')).toBe(1);
    const png = renderPng(svg, 1);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  });
});
