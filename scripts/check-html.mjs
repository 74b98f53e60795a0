// Headless-browser check of the HTML report (not part of `npm test`):
//   npm run check:html [-- <run-dir>]
// Without a run dir it builds the report of the hand-made fixture run
// (reports/fixture.ts, with a second target so every kind of plot is drawn:
// accuracy, anytime on test checkpoints, CD, reflection, cost vs accuracy,
// scaling; a close-up screenshot of each), of a small sim run (transfer, placebo,
// leaks) and of a small run over three sim worlds sweeping recognition. Installs Debian's chromium (apt) and playwright-core
// (npm --no-save) when missing; blocks every network request; fails on
// console errors, missing inline SVG plots or any request leaving the page.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const CHROMIUM = '/usr/bin/chromium';
const root = path.resolve(import.meta.dirname, '..');

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  console.log('check-html: installing chromium (apt-get)…');
  execFileSync('apt-get', ['update'], { stdio: 'inherit' });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function loadPlaywright() {
  try {
    return await import('playwright-core');
  } catch {
    console.log('check-html: installing playwright-core (npm install --no-save)…');
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', 'playwright-core'], { cwd: root, stdio: 'inherit' });
    return await import('playwright-core');
  }
}

const { writeFixtureRun } = await import('../reports/fixture.ts');
const { buildReport } = await import('../reports/index.ts');
const { runSuite } = await import('../benchmarks/runner.ts');
const { parseSuiteYaml } = await import('../benchmarks/suite.ts');

// A small sim run with the sections only real runs have: cross-model transfer,
// reflection placebo probes and the prompt-leak check.
async function writeSectionsRun(dir) {
  const suite = parseSuiteYaml(`
name: check-html-sections
seeds: [0, 1]
tasks: ['like/navigate?size=30']
targets: [sim-1b, sim-8b]
optimizers:
  - name: protegi
    options: { beamWidth: 2, minibatchSize: 16, gradients: 2, mcSamples: 1, maxExpansion: 4, samplesPerEval: 8, promptsPerRound: 4 }
  - name: zero-shot-cot
  - name: empty
budget: { mode: equal, targetCalls: 120, optimizerCalls: 24 }
testLimit: 15
transfer: true
placebo: true
`);
  await runSuite(suite, { out: dir, flags: { cache: false } });
  return dir;
}

// A small sim run over three worlds that sweeps the recognition rate: the across-worlds
// tables and gap plot, and the gain-vs-recognition table and plot.
async function writeWorldsRun(dir) {
  const suite = parseSuiteYaml(`
name: check-html-worlds
seeds: [0]
worlds: [0, 1, 2]
sim: { recognise: [0, 1] }
tasks: ['like/navigate?size=30']
targets: [sim-8b]
optimizers:
  - name: empty
  - name: abo
    initial: "Let's think step by step."
budget: { mode: equal, targetCalls: 200, optimizerCalls: 30 }
testLimit: 15
checkpoints: 0
`);
  await runSuite(suite, { out: dir, flags: { cache: false } });
  return dir;
}

const argDir = process.argv[2];
const runs = argDir
  ? [{ dir: path.resolve(argDir), sections: [] }]
  : [
      // The fixture with a second target, so every kind of plot is drawn — except the CD diagram,
      // which is drawn only when the Friedman test rejects (it does not on the fixture; reports/plots.test.ts renders it).
      {
        dir: writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-check-html-run-')), { extraTarget: 'sim-1b' }),
        sections: ['leaderboard', 'best-vs-rest', 'dev-test-gap', 'rank-tests', 'cost-accuracy'],
        figures: ['plot-accuracy-', 'plot-anytime-test-', 'plot-reflection-hit-rate', 'plot-cost-', 'plot-scaling'],
      },
      { dir: await writeSectionsRun(mkdtempSync(path.join(tmpdir(), 'pb-check-html-sections-'))), sections: ['transfer', 'placebo', 'placebo-verdict', 'leaks'], figures: ['transfer-'] },
      { dir: await writeWorldsRun(mkdtempSync(path.join(tmpdir(), 'pb-check-html-worlds-'))), sections: ['worlds-ranks', 'worlds-ceiling', 'recognition-gain'], figures: ['plot-worlds-gap', 'plot-recognition-gain'] },
    ];

ensureChromium();
const pw = await loadPlaywright();
const chromium = pw.chromium ?? pw.default?.chromium;
const problems = [];
for (const run of runs) {
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'pb-check-html-')), 'report');
  const { files } = await buildReport(run.dir, { out, formats: ['html'], png: false });
  const html = files.find((f) => f.endsWith('report.html'));
  console.log(`check-html: report ${html}`);
  await checkPage(html, run.sections, run.figures ?? []);
}

async function checkPage(html, sections, figures) {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'pb-chromium-profile-'));
  const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
  // A fresh profile directory per check (playwright passes it as --user-data-dir).
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: flags, headless: true, viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const pageUrl = pathToFileURL(html).href;
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url === pageUrl) return route.continue();
      problems.push(`request left the page: ${url}`);
      return route.abort();
    });
    await page.goto(pageUrl, { waitUntil: 'load' });
    const info = await page.evaluate(
      ([sections, figures]) => {
        const svgs = [...document.querySelectorAll('figure svg')];
        return {
          svgs: svgs.length,
          visible: svgs.filter((s) => s.getBoundingClientRect().width > 50 && s.getBoundingClientRect().height > 50).length,
          tables: document.querySelectorAll('table').length,
          disclaimer: !!document.querySelector('.disclaimer'),
          missingSections: sections.filter((id) => !document.querySelector(`section[id="${id}"]`)),
          missingFigures: figures.filter((stem) => ![...document.querySelectorAll('figure')].some((f) => (f.id || f.innerHTML).includes(stem))),
        };
      },
      [sections, figures],
    );
    console.log(`check-html: ${info.svgs} inline SVG plots (${info.visible} visible), ${info.tables} tables, disclaimer: ${info.disclaimer}`);
    if (info.svgs === 0 || info.visible !== info.svgs) problems.push('some SVG plots are missing or not visible');
    if (info.tables === 0) problems.push('no tables');
    for (const id of info.missingSections) problems.push(`${html}: no section "${id}"`);
    for (const stem of info.missingFigures) problems.push(`${html}: no plot "${stem}…"`);
    const shot = path.join(path.dirname(html), 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    console.log(`check-html: screenshot ${shot}`);
    // One close-up of the first plot of each expected kind, as the browser draws it, for a person to look at.
    for (const stem of figures) {
      const id = await page.evaluate((st) => [...document.querySelectorAll('figure')].find((f) => f.id.includes(st))?.id, stem);
      if (!id) continue;
      const file = path.join(path.dirname(html), `report-${id}.png`);
      await page.locator(`figure[id="${id}"]`).screenshot({ path: file });
      console.log(`check-html: screenshot ${file}`);
    }
  } finally {
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
  }
}
if (problems.length) {
  for (const p of problems) console.error(`check-html: ${p}`);
  process.exit(1);
}
console.log('check-html: ok');
