/**
 * A suite run does not depend on how many cells run at once: at
 * `--concurrency 1` and `--concurrency 4`, against the same loopback server
 * answering after random delays, the run directories are identical (every
 * file, byte for byte; result.json apart from its `meta`) and the server sees
 * the same number of requests, none of them twice — also with a token budget
 * that runs out while a step's candidates are scored at once.
 */
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTask } from '../tasks/registry.js';
import { startJitterServer, type JitterServer } from '../test/jitter-server.js';
import { runSuite } from './runner.js';
import { parseSuiteYaml } from './suite.js';

const TASK = 'like/navigate?size=30';
const suiteYaml = `
name: concurrency
seeds: [0, 1]
tasks: ['${TASK}']
targets: [remote-8b]
optimizerModel: remote-opt
optimizers:
  - name: opro
    options: { candidatesPerStep: 4, numExemplars: 2 }
  - name: evoprompt
    options: { populationSize: 4, generations: 2, init: seeds }
  - name: ape
    options: { numSubsamples: 2, proposalsPerSubsample: 3, banditRounds: 2, samplesPerRound: 4 }
  - name: protegi
    options: { beamWidth: 2, minibatchSize: 8, gradients: 2, mcSamples: 1, maxExpansion: 3, samplesPerEval: 4, promptsPerRound: 3 }
  - name: zero-shot-cot
budget: { mode: equal, targetCalls: 80, optimizerCalls: 20, tokens: 9000 }
testLimit: 12
checkpoints: 4
`;

let server: JitterServer;
let dir: string;
beforeAll(async () => {
  server = await startJitterServer([loadTask(TASK)], 4);
  dir = mkdtempSync(path.join(tmpdir(), 'pb-conc-'));
  writeFileSync(
    path.join(dir, 'popbench.config.yaml'),
    [
      'models:',
      `  - { name: remote-8b, provider: openai, model: sim-8b, baseURL: "${server.url}", keyless: true, concurrency: 8 }`,
      `  - { name: remote-opt, provider: openai, model: sim-opt-large, baseURL: "${server.url}", keyless: true, concurrency: 8 }`,
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await server.close();
});

/** Every file under `root` (relative paths, sorted). */
function files(root: string, rel = ''): string[] {
  return readdirSync(path.join(root, rel))
    .sort()
    .flatMap((name) => {
      const p = path.join(rel, name);
      return statSync(path.join(root, p)).isDirectory() ? files(root, p) : [p];
    });
}

async function run(name: string, concurrency: number) {
  server.reset();
  const out = path.join(dir, name);
  const summary = await runSuite(parseSuiteYaml(suiteYaml), {
    out,
    concurrency,
    flags: { config: path.join(dir, 'popbench.config.yaml'), cache: path.join(dir, `${name}.sqlite`) },
  });
  const bodies = [...server.bodies().values()];
  return { out, summary, requests: server.requests(), repeated: bodies.filter((n) => n > 1).length };
}

describe('suite at --concurrency 1 and 4', () => {
  it('gives identical run directories and sends the same requests, none twice', async () => {
    const one = await run('c1', 1);
    const four = await run('c4', 4);
    expect(one.summary.failed).toEqual([]);
    expect(one.summary.ran).toHaveLength(10);
    expect(four.summary.ran.slice().sort()).toEqual(one.summary.ran.slice().sort());

    const list = files(one.out);
    expect(files(four.out)).toEqual(list);
    let results = 0;
    for (const f of list) {
      const a = readFileSync(path.join(one.out, f), 'utf8');
      const b = readFileSync(path.join(four.out, f), 'utf8');
      if (path.basename(f) === 'result.json') {
        results++;
        const { meta: ma, ...ra } = JSON.parse(a);
        const { meta: mb, ...rb } = JSON.parse(b);
        expect(rb, f).toEqual(ra);
        expect(Object.keys(mb).sort()).toEqual(Object.keys(ma).sort());
      } else expect(b, f).toBe(a);
    }
    expect(results).toBe(10);

    // The token budget ran out inside a step of OPRO and a generation of EvoPrompt, whose candidates are
    // scored at once: a candidate was proposed and never scored, and the cell stopped by the budget.
    for (const opt of ['opro', 'evoprompt']) {
      const cut = one.summary.ran
        .filter((id) => id.startsWith(`${opt}__`))
        .map((id) => JSON.parse(readFileSync(path.join(one.out, 'cells', id, 'result.json'), 'utf8')))
        .filter((r) => r.stoppedBy === 'budget' && r.trajectory.candidates.some((c: { score?: number; step: number }) => c.score === undefined && c.step > 0));
      expect(cut.length, opt).toBeGreaterThan(0);
    }

    // Cells share identical calls (same starting prompt, same test examples): sent once either way.
    expect(one.repeated).toBe(0);
    expect(four.repeated).toBe(0);
    expect(four.requests).toBe(one.requests);
    const cached = (out: string) =>
      one.summary.ran.reduce((s, id) => s + JSON.parse(readFileSync(path.join(out, 'cells', id, 'result.json'), 'utf8')).meta.usage.total.cachedCalls, 0);
    expect(cached(one.out)).toBeGreaterThan(0);
    expect(cached(four.out)).toBe(cached(one.out));
  });
});
