/**
 * `popbench report`: run directory → report.md / report.tex / report.html,
 * one CSV per table, plots as SVG + PNG and the vega-lite specs behind them.
 * Reads only the run directory.
 */
import { judgePlacebo, placeboAnalysis, placeboTables, type JudgedPlacebo } from './placebo.js';
import { transferAnalysis, transferPlots, transferTable } from './transfer.js';
import { pairwiseAnalysis, pairwiseTable } from './pairwise.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UserError } from '../core/errors.js';
import type { LLM } from '../core/types.js';
import { analyze, type Analysis, type AnalysisOptions } from './analysis.js';
import { judgeRun } from './judge.js';
import { loadRunDir, type RunDir } from './load.js';
import { buildSections } from './sections/index.js';
import { buildPlots, renderPng, renderSvg } from './plots.js';
import { buildTables } from './tables.js';
import { toCsv, toHtml, toLatex, toMarkdown, type RenderedPlot, type ReportDoc } from './writers.js';

export const FORMATS = ['md', 'html', 'tex', 'csv'] as const;
export type Format = (typeof FORMATS)[number];

export interface ReportOptions extends AnalysisOptions {
  /** Output directory (default <run-dir>/report). */
  out?: string;
  formats?: readonly Format[];
  /** Also write PNGs of the plots (default true; needed by report.tex). */
  png?: boolean;
  /** An LLM judge for the judged reflection table (the only model a report calls); concepts per task id for its prompts. */
  judge?: { llm: LLM; conceptsOf?: (taskId: string) => readonly string[] };
}

export function parseFormats(value: string): Format[] {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const f of list) if (!FORMATS.includes(f as Format)) throw new UserError(`--format: expected a comma list of ${FORMATS.join(', ')}, got "${f}"`);
  if (list.length === 0) throw new UserError(`--format: expected a comma list of ${FORMATS.join(', ')}`);
  return [...new Set(list)] as Format[];
}

/** The report document; with the loaded run, also the sections of reports/sections (leaderboard, gap, cost, …). */
export async function renderDoc(
  analysis: Analysis,
  title = 'popbench report',
  run?: RunDir,
  opts: { bootstrapB?: number; judgedPlacebo?: ReadonlyMap<string, JudgedPlacebo> } = {},
): Promise<{ doc: ReportDoc; specs: Array<{ id: string; spec: unknown }> }> {
  let tables = buildTables(analysis);
  let plotDefs = buildPlots(analysis);
  if (run) {
    const s = buildSections(run, analysis, tables, opts);
    tables = s.tables;
    // Checkpoint curves (one scale: test accuracy) replace the dev-score curves, whose scales differ by optimizer.
    if (s.replacesAnytime) plotDefs = plotDefs.filter((p) => !p.id.startsWith('anytime-'));
    plotDefs.push(...s.plots);
    const placebo = placeboAnalysis(run, 2000, opts.judgedPlacebo);
    if (placebo.rows.length || placebo.notes.length) tables.push(...placeboTables(placebo));
    const pairwise = pairwiseAnalysis(run);
    if (pairwise.rows.length || pairwise.notes.length) tables.push(pairwiseTable(pairwise, analysis.sim));
    const transfer = transferAnalysis(run);
    if (transfer.rows.length || transfer.notes.length) {
      tables.push(transferTable(transfer));
      plotDefs.push(...transferPlots(transfer));
    }
  }
  const plots: RenderedPlot[] = [];
  for (const p of plotDefs) plots.push({ id: p.id, title: p.title, caption: p.caption, svg: await renderSvg(p.spec) });
  return { doc: { title, analysis, tables, plots }, specs: plotDefs.map((p) => ({ id: p.id, spec: p.spec })) };
}

export async function buildReport(runDir: string, opts: ReportOptions = {}): Promise<{ out: string; files: string[]; analysis: Analysis }> {
  const run = loadRunDir(runDir);
  const judged = opts.judge ? await judgeRun(run.cells, opts.judge.llm, opts.judge.conceptsOf) : undefined;
  const judgedPlacebo = opts.judge ? await judgePlacebo(run, opts.judge.llm, opts.judge.conceptsOf) : undefined;
  const analysis = analyze(run, { ...opts, ...(judged ? { judged } : {}) });
  const out = opts.out ?? path.join(runDir, 'report');
  const formats = opts.formats ?? FORMATS;
  const { doc, specs } = await renderDoc(analysis, `popbench report: ${path.basename(path.resolve(runDir))}`, run, {
    ...(opts.bootstrapB !== undefined ? { bootstrapB: opts.bootstrapB } : {}),
    ...(judgedPlacebo ? { judgedPlacebo } : {}),
  });
  const files: string[] = [];
  const write = (rel: string, data: string | Buffer) => {
    const file = path.join(out, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, data);
    files.push(file);
  };
  const needPlots = formats.some((f) => f === 'md' || f === 'tex' || f === 'html');
  if (needPlots) {
    for (const p of doc.plots) {
      write(`plots/${p.id}.svg`, p.svg);
      if (opts.png ?? true) write(`plots/${p.id}.png`, renderPng(p.svg));
    }
    for (const s of specs) write(`plots/${s.id}.vl.json`, JSON.stringify(s.spec, null, 2) + '\n');
  }
  if (formats.includes('md')) write('report.md', toMarkdown(doc));
  if (formats.includes('tex')) write('report.tex', toLatex(doc));
  if (formats.includes('html')) write('report.html', toHtml(doc));
  if (formats.includes('csv')) for (const t of doc.tables) write(`csv/${t.id}.csv`, toCsv(t));
  return { out, files, analysis };
}
