// `npm run check:suites [-- <name>...]`: every shipped suite (or the named ones) in a
// reduced form (benchmarks/reduce.ts: 2 seeds, equal budget of 40 target calls,
// 24 test examples) run on sim, reported as CSV, and every interval in the CSVs
// checked for zero width (reports/scanIntervals.ts). Prints one line per suite and
// exits 1 when any interval has zero width or a cell fails. Needs the datasets
// beside the repository (../shared/datasets) for the BBH, MMLU and GSM8K suites.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { reduceSuite } from '../benchmarks/reduce.js';
import { runSuite } from '../benchmarks/runner.js';
import { buildReport } from '../reports/index.js';
import { scanIntervals } from '../reports/scanIntervals.js';

const root = path.resolve(import.meta.dirname, '..');
const dir = path.join(root, 'benchmarks', 'suites');
const dataDir = path.resolve(root, '..', 'shared', 'datasets');
const wanted = process.argv.slice(2);
let bad = 0;
for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) {
  const name = file.replace(/\.yaml$/, '');
  if (wanted.length && !wanted.includes(name)) continue;
  const t0 = performance.now();
  const out = mkdtempSync(path.join(tmpdir(), `pb-check-${name}-`));
  try {
    const suite = reduceSuite(path.join(dir, file), { dataDir });
    const ran = await runSuite(suite, { out, flags: { cache: false }, concurrency: 2 });
    await buildReport(out, { out: path.join(out, 'report'), formats: ['csv'], png: false });
    const found = scanIntervals(path.join(out, 'report', 'csv'));
    const zero = found.filter((x) => !(x.hi > x.lo));
    const s = ((performance.now() - t0) / 1000).toFixed(1);
    console.log(`${name}: ${ran.ran.length} cells, ${ran.failed.length} failed, ${found.length} intervals, ${zero.length} of zero width (${s} s)`);
    for (const z of zero) console.log(`  ${z.file}:${z.row} ${z.columns} [${z.lo}, ${z.hi}]`);
    for (const f of ran.failed) console.log(`  failed: ${JSON.stringify(f)}`);
    if (zero.length || ran.failed.length) bad++;
  } catch (err) {
    console.log(`${name}: error: ${(err as Error).message}`);
    bad++;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
process.exit(bad ? 1 : 0);
