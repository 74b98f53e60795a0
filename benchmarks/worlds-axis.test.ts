/**
 * The suite's `worlds:` axis and `sim:` knobs block (docs/benchmarks.md,
 * docs/sim.md "Knobs"): validation with one-line errors, expansion into cells,
 * cell ids, and that both reach the sim models of each cell.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { defaultConfig } from '../llm/index.js';
import { readResults, runSuite } from './runner.js';
import { expandCells, parseSuiteYaml, simOptimizerOverrides, simVariants } from './suite.js';

const root = path.resolve(import.meta.dirname, '..');

const BASE = `name: t
seeds: [0]
tasks: [like/navigate?size=40]
targets: [sim-8b]
optimizers:
  - name: empty
  - name: abo
    initial: "Let's think step by step."
    options: {}
budget: { mode: equal, targetCalls: 200, optimizerCalls: 30 }
testLimit: 20
checkpoints: 0
`;

function errorOf(text: string, config = false): string {
  try {
    parseSuiteYaml(text, 'suites/x.yaml', config ? { config: defaultConfig() } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('worlds: axis', () => {
  it('defaults to [0] and leaves world-0 cells (specs and ids) as they were', () => {
    const plain = expandCells(parseSuiteYaml(BASE));
    expect(parseSuiteYaml(BASE).worlds).toEqual([0]);
    expect(plain.every((c) => c.world === undefined)).toBe(true);
    const several = expandCells(parseSuiteYaml(BASE + 'worlds: [0, 3, 7]\n'));
    expect(several).toHaveLength(3 * plain.length);
    // optimizer × task × target × sim variant × world × seed
    expect(several.map((c) => `${c.optimizer}|${c.world ?? 0}`)).toEqual(['empty|0', 'empty|3', 'empty|7', 'abo|0', 'abo|3', 'abo|7']);
    expect(several[0]!.id).toBe(plain[0]!.id);
    expect(several[1]!.id).toMatch(/^empty__like-navigate-size-40__sim-8b__w3__s0__[0-9a-f]{8}$/);
    expect(new Set(several.map((c) => c.id)).size).toBe(several.length);
  });

  it('bad values are one line naming file:line and field; worlds other than 0 need sim targets', () => {
    expect(errorOf(BASE + 'worlds: [0, -1]\n')).toMatch(/^suites\/x\.yaml:\d+: worlds\.1: /);
    expect(errorOf(BASE + 'worlds: [1.5]\n')).toMatch(/^suites\/x\.yaml:\d+: worlds\.0: /);
    expect(errorOf(BASE + 'worlds: []\n')).toMatch(/^suites\/x\.yaml:\d+: worlds: /);
    expect(errorOf(BASE + 'worlds: [2, 2]\n')).toBe('suites/x.yaml:13: worlds.1: duplicate 2');
    expect(errorOf(BASE.replace('[sim-8b]', '[sim-8b, openai:gpt-4o-mini]') + 'worlds: [0, 1]\n', true)).toBe(
      'suites/x.yaml:4: targets.1: "openai:gpt-4o-mini" is not an in-process sim model, and worlds other than 0 act only on the sim (use sim-1b, sim-8b or sim-70b, or drop worlds)',
    );
    // world 0 alone is fine with any target
    expect(() => parseSuiteYaml(BASE.replace('[sim-8b]', '[openai:gpt-4o-mini]') + 'worlds: [0]\n', 'x', { config: defaultConfig() })).not.toThrow();
  });
});

describe('sim: knobs block', () => {
  it('lists of rates are axes; scalars, prior and effects reach every cell', () => {
    const s = parseSuiteYaml(BASE + 'worlds: [1, 2]\nsim: { recognise: [0, 0.5, 1], harm: 0, prior: { FORMAT: 1 }, effects: { cot: { mean: -1, sd: 0 } } }\n');
    const cells = expandCells(s);
    expect(cells).toHaveLength(2 * 3 * 2);
    expect(cells.slice(0, 6).map((c) => `${c.sim?.recognise}|${c.world}`)).toEqual(['0|1', '0|2', '0.5|1', '0.5|2', '1|1', '1|2']);
    expect(cells[0]!.sim).toEqual({ recognise: 0, harm: 0, prior: { FORMAT: 1 }, effects: { cot: { mean: -1, sd: 0 } } });
    expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
    expect(simOptimizerOverrides(cells[0]!.sim)).toEqual({ recognise: 0, harm: 0, prior: [{ cause: 'FORMAT', weight: 1 }] });
    expect(simVariants(undefined)).toEqual([undefined]);
    expect(simVariants({ recognise: [0, 1], explore: [0.1, 0.2] }).map((v) => [v!.recognise, v!.explore])).toEqual([[0, 0.1], [0, 0.2], [1, 0.1], [1, 0.2]]);
  });

  it('bad knobs are one line naming file:line and field', () => {
    expect(errorOf(BASE + 'sim: { recognise: 1.5 }\n')).toMatch(/^suites\/x\.yaml:13: sim\.recognise: /);
    expect(errorOf(BASE + 'sim:\n  recognise: [0, 2]\n')).toMatch(/^suites\/x\.yaml:14: sim\.recognise(\.1)?: /);
    expect(errorOf(BASE + 'sim: { recognize: 0.5 }\n')).toBe('suites/x.yaml:13: sim.recognize: unknown field');
    expect(errorOf(BASE + 'sim: { recognise: [0.5, 0.5] }\n')).toBe('suites/x.yaml:13: sim.recognise.1: duplicate 0.5');
    expect(errorOf(BASE + 'sim: { prior: { TYPO: 1 } }\n')).toMatch(/^suites\/x\.yaml:13: sim\.prior/);
    expect(errorOf(BASE + 'sim: { prior: { FORMAT: 0 } }\n')).toMatch(/^suites\/x\.yaml:13: sim\.prior: at least one cause needs a weight above 0$/);
    expect(errorOf(BASE + 'sim: { effects: { cot: { mean: 1, sd: -1 } } }\nworlds: [1]\n')).toMatch(/^suites\/x\.yaml:13: sim\.effects\.cot\.sd: /);
    expect(errorOf(BASE + 'sim: { effects: { cot: { mean: 1, sd: 0 } } }\n')).toBe(
      "suites/x.yaml:13: sim.effects: world 0 always has the table's effects; effect distributions need worlds N > 0 (worlds lists 0)",
    );
    expect(errorOf(BASE + 'optimizerModel: openai:gpt-4o\nsim: { recognise: 0 }\n', true)).toMatch(
      /^suites\/x\.yaml:13: optimizerModel: "openai:gpt-4o" is not an in-process sim optimizer model/,
    );
  });

  it('a bad sim block through the CLI is one line and exit 2', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-simknobs-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, BASE + 'sim: { recognise: -0.1 }\n');
    const r = spawnSync(process.execPath, [path.join(root, 'bin/popbench.mjs'), 'cells', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^popbench: error: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:13: sim\\.recognise: `));
  });
});

describe('worlds and knobs reach the sim models of each cell', () => {
  it('the world changes what a prompt scores and the grid records it; recognition changes what reflections name', async () => {
    const out = mkdtempSync(path.join(tmpdir(), 'pb-worlds-run-'));
    const suite = parseSuiteYaml(BASE.replace('seeds: [0]', 'seeds: [0]\nworlds: [0, 5]') + 'sim: { recognise: [0, 1] }\n');
    const summary = await runSuite(suite, { out, flags: { cache: false } });
    expect(summary.failed).toEqual([]);
    const results = readResults(out);
    expect(results).toHaveLength(8);
    const grid = JSON.parse(readFileSync(path.join(out, 'grid.json'), 'utf8')) as { cells: Array<{ world?: number; sim?: unknown }> };
    expect(grid.cells.filter((c) => c.world === 5)).toHaveLength(4);
    expect(grid.cells.every((c) => c.sim !== undefined)).toBe(true);
    const of = (opt: string, world: number, rec: number) => results.find((r) => r.spec.optimizer === opt && (r.spec.world ?? 0) === world && r.spec.sim?.recognise === rec)!;
    // the empty prompt does not call the optimizer: recognition cannot matter, the world does
    expect(of('empty', 0, 0).test).toEqual(of('empty', 0, 1).test);
    const ceil0 = of('empty', 0, 0).ceiling!;
    const ceil5 = of('empty', 5, 0).ceiling!;
    expect(ceil0.n).toBe(20);
    expect([ceil0.instruction, ceil0.accuracy]).not.toEqual([ceil5.instruction, ceil5.accuracy]);
    // ABO's reflections (it shows the target's traces) name other causes when the optimizer recognises nothing
    const named = (r: (typeof results)[number]) => JSON.stringify(r.trajectory.reflections.map((x) => (x as { text: string }).text));
    expect(named(of('abo', 0, 0))).not.toBe(named(of('abo', 0, 1)));
  }, 60_000);
});
