import type { Command } from 'commander';
import { existsSync, statSync } from 'node:fs';
import { UserError } from '../core/errors.js';
import { buildReport, FORMATS, parseFormats } from '../reports/index.js';
import { baseTaskId, loadRunDir } from '../reports/load.js';
import { parseFloatFlag, Session } from './session.js';
import { didYouMean } from './suggest.js';
import { checkOutDir } from './outpath.js';
import path from 'node:path';

export interface ReportFlags {
  out?: string;
  format: string;
  /** Default "empty"; a label given explicitly must exist in the run. */
  baseline?: string;
  alpha: string;
  png: boolean;
  judgeModel?: string;
}

/** `popbench report <run-dir>`: tables, tests and plots from a run directory (reads only that directory). */
export async function runReport(runDir: string, flags: ReportFlags, print: (line: string) => void = console.log): Promise<string[]> {
  const alpha = parseFloatFlag('--alpha', flags.alpha, { min: 1e-6, max: 0.5 });
  const formats = parseFormats(flags.format);
  if (!existsSync(runDir)) throw new UserError(`run directory not found: ${runDir}`);
  if (!statSync(runDir).isDirectory()) throw new UserError(`${runDir} is a file, not a run directory`);
  checkOutDir('--out', flags.out ?? path.join(runDir, 'report'));
  if (flags.baseline !== undefined) {
    const run = loadRunDir(runDir);
    const labels = [...new Set([...run.cells.map((c) => c.label), ...run.missing.flatMap((m) => (m.label ? [m.label] : []))])].sort();
    if (!labels.includes(flags.baseline)) {
      const near = didYouMean(flags.baseline, labels);
      throw new UserError(
        `--baseline: no optimizer label "${flags.baseline}" in ${runDir}${near ? `; did you mean "${near}"?` : ''} (labels: ${labels.join(', ') || 'none'})`,
      );
    }
  }
  // Only with --judge-model does a report call a model (the judge); the session resolves it like other commands do.
  const session = flags.judgeModel !== undefined ? new Session({}) : undefined;
  const conceptsOf = (taskId: string): readonly string[] => {
    try {
      return session!.task(baseTaskId(taskId)).concepts;
    } catch {
      return []; // e.g. a dataset task without its data here: the judge works without concept names
    }
  };
  let built: Awaited<ReturnType<typeof buildReport>>;
  try {
    const judge = session ? { llm: session.model(flags.judgeModel!), conceptsOf } : undefined;
    built = await buildReport(runDir, { out: flags.out, formats, baseline: flags.baseline ?? 'empty', alpha, png: flags.png, ...(judge ? { judge } : {}) });
  } finally {
    session?.close();
  }
  const { out, files, analysis } = built;
  print(`report: ${analysis.cellsDone} finished cells, ${analysis.missing.length} missing or failed → ${out}`);
  for (const m of analysis.missing) print(`  ${m.status} ${m.id}: ${m.reason}`);
  if (analysis.comparisons.length === 0 && analysis.cellsDone > 0) {
    const labels = [...new Set(analysis.accuracy.map((r) => r.optimizer))].sort();
    print(`note: baseline "${analysis.baseline}" has no finished cells here, so there are no paired comparisons; choose one with --baseline <label> (labels: ${labels.join(', ')})`);
  }
  if (analysis.judged) {
    const j = analysis.judged;
    const ag = j.agreement;
    print(`judged reflection quality (estimate) by ${j.model}: ${j.calls} judge calls, ${j.unparsed} unparseable replies`);
    if (ag.n)
      print(
        `judge vs sim true causes: ${ag.agree}/${ag.n} failures agree (${(100 * ag.rate).toFixed(1)}%, 95% Wilson ${(100 * ag.lo).toFixed(1)}–${(100 * ag.hi).toFixed(1)}%; Cohen's kappa ${Number.isFinite(ag.kappa) ? ag.kappa.toFixed(2) : '–'})`,
      );
    const rd = j.reading;
    if (rd.n) print(`judge vs sim cause parser on ${rd.texts} reflection texts: ${rd.agree}/${rd.n} text × cause-kind decisions agree (Cohen's kappa ${Number.isFinite(rd.kappa) ? rd.kappa.toFixed(2) : '–'})`);
  }
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
    .option('--baseline <optimizer>', 'optimizer label the paired tests compare against (default: empty)')
    .option('--alpha <a>', 'family-wise significance level (Holm; Nemenyi uses 0.05 or 0.10)', '0.05')
    .option('--no-png', 'skip PNG rendering of the plots')
    .option('--judge-model <name>', 'LLM judge for a judged reflection-quality table (also measured against sim true causes); the only model a report calls')
    .action(async (runDir: string, opts: ReportFlags) => {
      await runReport(runDir, opts);
    });
}
