import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { SIM_DISCLAIMER } from './analysis.js';
import { writeFixtureRun } from './fixture.js';
import { buildReport } from './index.js';
import type { Table } from './tables.js';
import { latexTable, markdownTable, texEscape, toCsv } from './writers.js';

const table: Table = {
  id: 't',
  title: 'A & B_1 at 50%',
  note: 'n = 3',
  columns: [
    { key: 'name', header: 'opt_name', kind: 'text' },
    { key: 'acc', header: 'acc %', kind: 'pct' },
  ],
  rows: [
    { name: 'few_shot & co', acc: 0.5 },
    { name: 'a|b, "c"', acc: 0.125 },
  ],
};

describe('writers', () => {
  it('LaTeX escapes _ & % and friends, booktabs rules', () => {
    expect(texEscape('ΔWR, κ, τ ω, x₀…xₙ')).toBe('$\\Delta$WR, $\\kappa$, $\\tau$ $\\omega$, x$_0$\\ldots{}x$_n$');
    expect(texEscape('a_b & 50% $x #1 {y} ~ ^ \\')).toBe('a\\_b \\& 50\\% \\$x \\#1 \\{y\\} \\textasciitilde{} \\textasciicircum{} \\textbackslash{}');
    const tex = latexTable(table);
    expect(tex).toContain('few\\_shot \\& co & 50.0 \\\\');
    expect(tex).toContain('\\caption{A \\& B\\_1 at 50\\%}');
    expect(tex).toMatch(/\\toprule[\s\S]*\\midrule[\s\S]*\\bottomrule/);
    const body = tex.split('\\midrule')[1]!.split('\\bottomrule')[0]!;
    expect(body).not.toMatch(/[^\\]_|[^\\]%|[^\\]& co/);
  });

  it('Markdown table escapes pipes and formats percentages', () => {
    const md = markdownTable(table).split('\n');
    expect(md).toHaveLength(4);
    expect(md[1]).toBe('| --- | ---: |');
    expect(md[3]).toBe('| a\\|b, "c" | 12.5 |');
  });

  it('CSV quotes fields and parses back to the same values', () => {
    const rows = parse(toCsv(table), { columns: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => [r.name, Number(r.acc)])).toEqual([
      ['few_shot & co', 0.5],
      ['a|b, "c"', 0.125],
    ]);
  });
});

describe('report files', async () => {
  const dir = writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-writers-')));
  const out = path.join(dir, 'rep');
  const { analysis } = await buildReport(dir, { out, bootstrapB: 500, png: false });
  const md = readFileSync(path.join(out, 'report.md'), 'utf8');
  const html = readFileSync(path.join(out, 'report.html'), 'utf8');
  const tex = readFileSync(path.join(out, 'report.tex'), 'utf8');

  it('markdown accuracy table has one row per optimizer × task × target', () => {
    const section = md.split('## Test accuracy')[1]!.split('\n## ')[0]!;
    const rows = section.split('\n').filter((l) => l.startsWith('| like/'));
    expect(rows).toHaveLength(6);
    expect(rows).toContain('| like/navigate | sim-8b | opro | 0 1 | 10 | 85.0 | 51.0 | 96.9 | test examples + seeds | 100.0 |');
    expect(md).toContain('| opro__like-gsm__sim-8b__s2 | opro | like/gsm | sim-8b | 2 | failed | provider returned 500 three times |');
  });

  it('sim disclaimer in every format', () => {
    expect(md).toContain(SIM_DISCLAIMER);
    expect(html).toContain(SIM_DISCLAIMER);
    expect(tex).toContain('Sim results are not research claims');
    expect(readFileSync(path.join(out, 'csv', 'accuracy.csv'), 'utf8')).toBeTruthy();
  });

  it('CSV tables parse back to the analysed numbers', () => {
    const acc = parse(readFileSync(path.join(out, 'csv', 'accuracy.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    for (const r of analysis.accuracy) {
      const row = acc.find((x) => x.optimizer === r.optimizer && x.task === r.task)!;
      expect(Number(row.mean)).toBe(r.mean);
      expect(Number(row.lo)).toBe(r.lo);
      expect(Number(row.n)).toBe(r.n);
    }
    const cmp = parse(readFileSync(path.join(out, 'csv', 'comparisons.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(cmp.map((r) => [r.optimizer, r.task, Number(r.b), Number(r.c), Number(r.pHolm)])).toEqual(
      analysis.comparisons.map((c) => [c.optimizer, c.task, c.b, c.c, c.pHolm]),
    );
    const missing = parse(readFileSync(path.join(out, 'csv', 'missing.csv'), 'utf8'), { columns: true }) as Array<Record<string, string>>;
    expect(missing).toHaveLength(2);
  });

  it('HTML is self-contained: inline SVG plots, no URLs, no secrets', () => {
    const svgs = html.match(/<svg[\s>]/g) ?? [];
    expect(svgs.length).toBe(7); // 2 accuracy + 2 anytime + reflection + 2 cost-vs-accuracy (no CD diagram: the Friedman permutation test does not reject)
    expect(html).not.toMatch(/http/i);
    expect(html).not.toMatch(/<(script|link|img)\b/i);
    expect(html).not.toMatch(/sk-[A-Za-z0-9]{8,}/);
    expect(html).toContain('<table id="table-comparisons">');
  });
});
