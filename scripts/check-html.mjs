// Headless-browser check of the HTML report (not part of `npm test`):
//   npm run check:html [-- <run-dir>]
// Without a run dir it builds the report of the hand-made fixture run
// (reports/fixture.ts, with a second target so every kind of plot is drawn)
// and checks that each kind is there: accuracy, anytime on test checkpoints,
// CD diagram, reflection, cost vs accuracy, scaling. Installs Debian's chromium (apt) and playwright-core
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

const argDir = process.argv[2];
const runDir = argDir ? path.resolve(argDir) : writeFixtureRun(mkdtempSync(path.join(tmpdir(), 'pb-check-html-run-')), { extraTarget: 'sim-1b' });
const EXPECTED_PLOTS = ['accuracy-', 'anytime-test-', 'cd-diagram', 'reflection-hit-rate', 'cost-', 'scaling'];
const out = path.join(mkdtempSync(path.join(tmpdir(), 'pb-check-html-')), 'report');
const { files } = await buildReport(runDir, { out, formats: ['html'], png: false });
const html = files.find((f) => f.endsWith('report.html'));
console.log(`check-html: report ${html}`);

ensureChromium();
const pw = await loadPlaywright();
const chromium = pw.chromium ?? pw.default?.chromium;
const userDataDir = mkdtempSync(path.join(tmpdir(), 'pb-chromium-profile-'));
const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// A fresh profile directory per check (playwright passes it as --user-data-dir).
const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, args: flags, headless: true, viewport: { width: 1280, height: 900 } });
const problems = [];
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
  const info = await page.evaluate(() => {
    const svgs = [...document.querySelectorAll('figure svg')];
    return {
      ids: [...document.querySelectorAll('figure')].map((f) => f.id.replace(/^plot-/, '')),
      svgs: svgs.length,
      visible: svgs.filter((s) => s.getBoundingClientRect().width > 50 && s.getBoundingClientRect().height > 50).length,
      tables: document.querySelectorAll('table').length,
      disclaimer: !!document.querySelector('.disclaimer'),
    };
  });
  console.log(`check-html: ${info.svgs} inline SVG plots (${info.visible} visible), ${info.tables} tables, disclaimer: ${info.disclaimer}`);
  if (info.svgs === 0 || info.visible !== info.svgs) problems.push('some SVG plots are missing or not visible');
  if (info.tables === 0) problems.push('no tables');
  console.log(`check-html: plots ${info.ids.join(', ')}`);
  if (!argDir) for (const prefix of EXPECTED_PLOTS) if (!info.ids.some((id) => id.startsWith(prefix))) problems.push(`no ${prefix}* plot in the report`);
  const shot = path.join(path.dirname(html), 'report.png');
  await page.screenshot({ path: shot, fullPage: true });
  console.log(`check-html: screenshot ${shot}`);
  // One close-up per kind of plot, as the browser draws it.
  for (const prefix of EXPECTED_PLOTS) {
    const id = info.ids.find((x) => x.startsWith(prefix));
    if (!id) continue;
    const file = path.join(path.dirname(html), `report-plot-${id}.png`);
    await page.locator(`figure[id="plot-${id}"]`).screenshot({ path: file });
    console.log(`check-html: screenshot ${file}`);
  }
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
}
if (problems.length) {
  for (const p of problems) console.error(`check-html: ${p}`);
  process.exit(1);
}
console.log('check-html: ok');
