import type { Command } from 'commander';
import { buildReport, FORMATS, parseFormats } from '../reports/index.js';
import { parseFloatFlag } from './session.js';

export interface ReportFlags {
  out?: string;
  format: string;
  baseline: string;
  alpha: string;
  png: boolean;
}

/** `popbench report <run-dir>`: tables, tests and plots from a run directory (reads only that directory). */
export async function runReport(runDir: string, flags: ReportFlags, print: (line: string) => void = console.log): Promise<string[]> {
  const alpha = parseFloatFlag('--alpha', flags.alpha, { min: 1e-6, max: 0.5 });
  const formats = parseFormats(flags.format);
  const { out, files, analysis } = await buildReport(runDir, { out: flags.out, formats, baseline: flags.baseline, alpha, png: flags.png });
  print(`report: ${analysis.cellsDone} finished cells, ${analysis.missing.length} missing or failed → ${out}`);
  if (analysis.sim) print('note: sim results are not research claims');
  for (const f of files.filter((f) => !/\.(png|svg|vl\.json)$/.test(f))) print(`  ${f}`);
  return files;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('write report.md / report.html / report.tex / CSV tables and plots from a run directory')
    .argument('<run-dir>', 'run directory written by `popbench run`')
    .option('--out <dir>', 'output directory (default: <run-dir>/report)')
    .option('--format <list>', `comma list of ${FORMATS.join(', ')}`, FORMATS.join(','))
    .option('--baseline <optimizer>', 'optimizer label the paired tests compare against', 'empty')
    .option('--alpha <a>', 'family-wise significance level (Holm; Nemenyi uses 0.05 or 0.10)', '0.05')
    .option('--no-png', 'skip PNG rendering of the plots')
    .action(async (runDir: string, opts: ReportFlags) => {
      await runReport(runDir, opts);
    });
}
