// Compiles the LaTeX report of a shipped suite (smoke) with pdflatex and checks
// that every row of every CSV shown in the document is in the PDF's text
// (pdftotext -layout; spaces ignored, as pdftotext drops narrow ones). Runs when pdflatex and pdftotext are installed; otherwise it is
// skipped with a notice (`npm run check:latex` installs Debian's
// texlive-latex-recommended and poppler-utils, then runs it).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { loadSuite } from '../benchmarks/suite.js';
import { runSuite } from '../benchmarks/runner.js';
import { buildReport, renderDoc } from './index.js';
import { analyze } from './analysis.js';
import { loadRunDir } from './load.js';
import { formatValue, type Cellvalue, type Table } from './tables.js';

const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const ready = has('pdflatex') && has('pdftotext');
if (!ready) console.warn('NOTICE reports/latex.test.ts: pdflatex or pdftotext not installed; the LaTeX compile test is skipped (npm run check:latex installs them).');

/** A CSV value back as the table holds it, formatted as the document shows it. */
function shown(raw: string, kind: Table['columns'][number]['kind']): string {
  let v: Cellvalue = raw;
  // An empty text cell ('' in the table, e.g. the leaderboard's mean-rank row) is shown empty; an empty number is null (–).
  if (raw === '') v = kind === 'text' ? '' : null;
  else if (raw === 'true' || raw === 'false') v = raw === 'true';
  else if (kind !== 'text') v = raw === 'Infinity' ? Infinity : raw === '-Infinity' ? -Infinity : Number(raw);
  return formatValue(v, kind);
}

const norm = (s: string) => s.replace(/[\u2013\u2014]/g, '–').replace(/\u2212/g, '-').replace(/\s+/g, '');

describe.skipIf(!ready)('LaTeX report compiles (pdflatex) without losing rows', () => {
  it('the smoke suite report: every CSV row of every shown table is in the PDF text', async () => {
    const run = mkdtempSync(path.join(tmpdir(), 'pb-latex-run-'));
    await runSuite(loadSuite(path.resolve(import.meta.dirname, '../benchmarks/suites/smoke.yaml')), { out: run, flags: { cache: false } });
    const out = path.join(run, 'report');
    await buildReport(run, { out, formats: ['tex', 'csv'], bootstrapB: 500 });
    const tex = readFileSync(path.join(out, 'report.tex'), 'utf8');
    expect(tex).toContain('\\usepackage{longtable}');
    expect(tex).toContain('\\usepackage{lmodern}');
    for (let pass = 0; pass < 2; pass++) {
      const r = spawnSync('pdflatex', ['-interaction=nonstopmode', '-halt-on-error', 'report.tex'], { cwd: out, encoding: 'utf8' });
      expect(r.status, r.stdout.split('\n').filter((l) => l.startsWith('!')).join('\n') || r.stdout.slice(-2000)).toBe(0);
    }
    execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', 'report.pdf', 'report.txt'], { cwd: out });
    const text = norm(readFileSync(path.join(out, 'report.txt'), 'utf8'));
    const analysis = analyze(loadRunDir(run), { bootstrapB: 500 });
    const { doc } = await renderDoc(analysis, 'x', loadRunDir(run), { bootstrapB: 500 });
    const shownTables = doc.tables.filter((t) => !t.csvOnly);
    expect(shownTables.length).toBeGreaterThan(8);
    let rows = 0;
    for (const t of shownTables) {
      const file = path.join(out, 'csv', `${t.id}.csv`);
      expect(existsSync(file), file).toBe(true);
      const records = parse(readFileSync(file, 'utf8'), { columns: true }) as Array<Record<string, string>>;
      expect(records.length, t.id).toBe(t.rows.length);
      for (const rec of records) {
        let at = 0;
        for (const c of t.columns) {
          const cell = norm(shown(rec[c.key] ?? '', c.kind)).trim();
          const i = text.indexOf(cell, at);
          expect(i, `${t.id}: "${cell}" of row ${JSON.stringify(rec)} not in the PDF text (after offset ${at})`).toBeGreaterThanOrEqual(0);
          at = i + cell.length;
        }
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(10);
  }, 120_000);
});
