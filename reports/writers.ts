/**
 * Report writers: Markdown, LaTeX (booktabs), CSV (one tidy file per table)
 * and self-contained HTML (inline CSS and SVG). All take the same tables
 * (reports/tables.ts) so the formats never disagree.
 */
import { SIM_DISCLAIMER, type Analysis } from './analysis.js';
import { formatValue, type Table } from './tables.js';

export interface RenderedPlot {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

export interface ReportDoc {
  title: string;
  analysis: Analysis;
  tables: Table[];
  plots: RenderedPlot[];
}

function header(doc: ReportDoc): string[] {
  const a = doc.analysis;
  return [
    `Run directory: ${a.runDir}. Finished cells: ${a.cellsDone}; missing or failed: ${a.missing.length}.`,
    `Baseline for paired tests: ${a.baseline}; family-wise α = ${a.alpha} (Holm).`,
  ];
}

// ---------------------------------------------------------------- Markdown

const mdCell = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: Table): string {
  const head = `| ${t.columns.map((c) => mdCell(c.header)).join(' | ')} |`;
  const sep = `| ${t.columns.map((c) => (c.kind === 'text' ? '---' : '---:')).join(' | ')} |`;
  const rows = t.rows.map((r) => `| ${t.columns.map((c) => mdCell(formatValue(r[c.key] ?? null, c.kind))).join(' | ')} |`);
  return [head, sep, ...rows].join('\n');
}

export function toMarkdown(doc: ReportDoc, plotDir = 'plots'): string {
  const out: string[] = [`# ${doc.title}`, ''];
  if (doc.analysis.sim) out.push(`> **${SIM_DISCLAIMER}**`, '');
  out.push(...header(doc).map((l) => `${l}  `), '');
  for (const t of doc.tables) {
    if (t.csvOnly) continue;
    out.push(`## ${t.title}`, '', t.note, '');
    out.push(t.rows.length ? markdownTable(t) : '_No rows._', '');
  }
  if (doc.plots.length) {
    out.push('## Plots', '');
    for (const p of doc.plots) out.push(`### ${p.title}`, '', `![${p.title}](${plotDir}/${p.id}.svg)`, '', p.caption, '');
  }
  return out.join('\n');
}

// ---------------------------------------------------------------- LaTeX

const TEX_MAP: Record<string, string> = {
  '\\': '\\textbackslash{}',
  '&': '\\&',
  '%': '\\%',
  $: '\\$',
  '#': '\\#',
  _: '\\_',
  '{': '\\{',
  '}': '\\}',
  '~': '\\textasciitilde{}',
  '^': '\\textasciicircum{}',
  '–': '--',
  '—': '---',
  '×': '$\\times$',
  '≤': '$\\leq$',
  '≥': '$\\geq$',
  '−': '$-$',
  'χ': '$\\chi$',
  '²': '$^2$',
  'α': '$\\alpha$',
  '∞': '$\\infty$',
  '∩': '$\\cap$',
  '…': '\\ldots{}',
  '√': '$\\surd$',
  '≈': '$\\approx$',
  '·': '$\\cdot$',
  '→': '$\\rightarrow$',
  '₁': '$_1$',
  '₂': '$_2$',
  '₋': '$_-$',
  'δ': '$\\delta$',
  'β': '$\\beta$',
  '½': '$\\frac{1}{2}$',
  '≪': '$\\ll$',
  '§': '\\S{}',
  'Δ': '$\\Delta$',
  'κ': '$\\kappa$',
  'τ': '$\\tau$',
  'ω': '$\\omega$',
  'σ': '$\\sigma$',
  'μ': '$\\mu$',
  '±': '$\\pm$',
  '₀': '$_0$',
  '₅': '$_5$',
  '₇': '$_7$',
  '₈': '$_8$',
  '₉': '$_9$',
  'ₙ': '$_n$',
};

const TEX_RE = new RegExp(`[${Object.keys(TEX_MAP).map((k) => k.replace(/[\\\]^-]/g, '\\$&')).join('')}]|[^\\x00-\\u017f]`, 'gu');

/** Escapes text for LaTeX (special characters and the few Unicode symbols the report uses). */
export function texEscape(s: string): string {
  // Characters outside the map and outside Latin-1/Latin Extended-A (which T1 + utf8 typeset) become "?" rather than break the build.
  return s.replace(TEX_RE, (ch) => TEX_MAP[ch] ?? '?');
}

/**
 * One table as a `longtable` (breaks across pages, so no row is ever cut off;
 * header repeated on each page), booktabs rules, caption and label, the note
 * below it.
 */
export function latexTable(t: Table): string {
  const align = t.columns.map((c) => (c.kind === 'text' ? 'l' : 'r')).join('');
  const head = t.columns.map((c) => `\\textbf{${texEscape(c.header)}}`).join(' & ') + ' \\\\';
  const lines = [
    '{\\scriptsize\\setlength{\\tabcolsep}{3pt}',
    `\\begin{longtable}{${align}}`,
    `\\caption{${texEscape(t.title)}}\\label{tab:${t.id}}\\\\`,
    '\\toprule',
    head,
    '\\midrule',
    '\\endfirsthead',
    `\\multicolumn{${t.columns.length}}{l}{\\emph{${texEscape(t.title)} (continued)}}\\\\`,
    '\\toprule',
    head,
    '\\midrule',
    '\\endhead',
    '\\bottomrule',
    '\\endlastfoot',
    ...t.rows.map((r) => t.columns.map((c) => texEscape(formatValue(r[c.key] ?? null, c.kind))).join(' & ') + ' \\\\'),
    '\\end{longtable}}',
    '',
    `{\\footnotesize ${texEscape(t.note)}\\par}`,
    '\\bigskip',
  ];
  return lines.join('\n');
}

export function toLatex(doc: ReportDoc): string {
  const out = [
    '\\documentclass{article}',
    '\\usepackage[T1]{fontenc}',
    '\\usepackage[utf8]{inputenc}',
    '\\usepackage{lmodern}',
    '\\usepackage{booktabs}',
    '\\usepackage{longtable}',
    '\\usepackage{graphicx}',
    '\\usepackage[a4paper,landscape,margin=1.5cm]{geometry}',
    '\\setlength{\\LTleft}{0pt}',
    '\\setlength{\\LTright}{0pt plus 1fill}',
    '\\begin{document}',
    `\\section*{${texEscape(doc.title)}}`,
  ];
  if (doc.analysis.sim) out.push(`\\noindent\\fbox{\\parbox{\\dimexpr\\linewidth-2\\fboxsep-2\\fboxrule}{\\textbf{${texEscape(SIM_DISCLAIMER)}}}}`, '');
  out.push(...header(doc).map((l) => `\\noindent ${texEscape(l)}\\\\`), '');
  for (const t of doc.tables) {
    if (t.csvOnly) continue;
    out.push(t.rows.length ? latexTable(t) : `\\paragraph{${texEscape(t.title)}} No rows. ${texEscape(t.note)}`, '');
  }
  for (const p of doc.plots) {
    out.push('\\begin{figure}[p]', '\\centering', `\\includegraphics[width=\\linewidth,height=0.8\\textheight,keepaspectratio]{plots/${p.id}.png}`, `\\caption{${texEscape(p.title)}. ${texEscape(p.caption)}}`, '\\end{figure}', '');
  }
  out.push('\\end{document}', '');
  return out.join('\n');
}

// ---------------------------------------------------------------- CSV

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : '') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One tidy CSV: header = column keys, values raw (proportions in [0, 1], p-values unrounded). */
export function toCsv(t: Table): string {
  const lines = [t.columns.map((c) => csvField(c.key)).join(',')];
  for (const r of t.rows) lines.push(t.columns.map((c) => csvField(r[c.key])).join(','));
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------- HTML

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Inline SVG for HTML5: drop namespace declarations (not needed inline) so the page holds no URL at all. */
export function inlineSvg(svg: string): string {
  return svg.replace(/\s+xmlns(:\w+)?="[^"]*"/g, '').replace(/xlink:href=/g, 'href=');
}

const CSS = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}h3{font-size:1.05rem}
.disclaimer{background:#fff4e5;border:1px solid #f0a040;padding:.6rem .9rem;border-radius:4px;font-weight:600}
.note{color:#555;font-size:.9rem;max-width:60rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;margin:.5rem 0}
th,td{padding:.25rem .55rem;border-bottom:1px solid #e5e5e5;white-space:nowrap}
th{border-bottom:2px solid #999;text-align:left}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
tr.sig td{background:#eef7ee}
figure{margin:1rem 0;display:inline-block;vertical-align:top}figcaption{color:#555;font-size:.85rem;max-width:40rem}
`;

export function htmlTable(t: Table): string {
  const head = t.columns.map((c) => `<th${c.kind === 'text' ? '' : ' class="num"'}>${esc(c.header)}</th>`).join('');
  const rows = t.rows
    .map((r) => {
      const cls = r['sig'] === true ? ' class="sig"' : '';
      return `<tr${cls}>${t.columns.map((c) => `<td${c.kind === 'text' ? '' : ' class="num"'}>${esc(formatValue(r[c.key] ?? null, c.kind))}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table id="table-${esc(t.id)}"><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>`;
}

export function toHtml(doc: ReportDoc): string {
  const parts = [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(doc.title)}</title>`,
    `<style>${CSS}</style></head><body>`,
    `<h1>${esc(doc.title)}</h1>`,
  ];
  if (doc.analysis.sim) parts.push(`<p class="disclaimer">${esc(SIM_DISCLAIMER)}</p>`);
  parts.push(...header(doc).map((l) => `<p>${esc(l)}</p>`));
  for (const t of doc.tables) {
    if (t.csvOnly) continue;
    parts.push(`<section id="${esc(t.id)}"><h2>${esc(t.title)}</h2><p class="note">${esc(t.note)}</p>`);
    parts.push(t.rows.length ? htmlTable(t) : '<p><em>No rows.</em></p>', '</section>');
  }
  if (doc.plots.length) {
    parts.push('<section id="plots"><h2>Plots</h2>');
    for (const p of doc.plots) parts.push(`<figure id="plot-${esc(p.id)}">${inlineSvg(p.svg)}<figcaption><strong>${esc(p.title)}.</strong> ${esc(p.caption)}</figcaption></figure>`);
    parts.push('</section>');
  }
  parts.push('</body></html>', '');
  return parts.join('\n');
}
