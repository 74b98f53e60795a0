// `npm run check:latex`: installs Debian's texlive-latex-recommended (pdflatex,
// longtable, booktabs), lmodern and poppler-utils (pdftotext) with apt-get when
// missing (needs root), then runs the LaTeX compile test (reports/latex.test.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
if (!has('pdflatex') || !has('pdftotext')) {
  console.log('check-latex: installing texlive-latex-recommended, lmodern and poppler-utils (apt-get)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'texlive-latex-recommended', 'lmodern', 'poppler-utils'], { stdio: 'inherit', env });
}
const r = spawnSync(path.join(root, 'node_modules', '.bin', 'vitest'), ['run', 'reports/latex.test.ts'], { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
