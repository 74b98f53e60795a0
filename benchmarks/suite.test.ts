import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../core/errors.js';
import { defaultConfig } from '../llm/index.js';
import { optimizerNames } from '../optimizers/index.js';
import { cellId, expandCells, loadSuite, parseShard, parseSuiteYaml, shardCells, simVariants } from './suite.js';

const root = path.resolve(import.meta.dirname, '..');
const suitesDir = path.join(root, 'benchmarks/suites');

const BASE = `name: t
seeds: [0, 1]
tasks: [like/navigate, like/gsm?size=10]
targets: [sim-1b, sim-8b]
optimizers:
  - name: opro
    options: { candidatesPerStep: 2 }
  - name: zero-shot-cot
budget: { mode: equal, targetCalls: 50 }
`;

function errorOf(text: string, source = 'suites/x.yaml', config = false): string {
  try {
    parseSuiteYaml(text, source, config ? { config: defaultConfig() } : {});
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  throw new Error('expected a UserError');
}

describe('suite schema', () => {
  it('paper values must name a task and entries of the suite (file:line, field)', () => {
    const paper = (optimizer: string) => `${BASE}paper:\n  - { task: like/navigate, optimizer: ${optimizer}, baseline: zero-shot-cot, value: 60, baselineValue: 50, table: Table 1, source: a paper, verified: true }\n`;
    expect(() => parseSuiteYaml(paper('opro'))).not.toThrow();
    expect(parseSuiteYaml(paper('opro')).paper?.[0]?.value).toBe(60);
    expect(errorOf(paper('gpo'))).toBe('suites/x.yaml:11: paper.0.optimizer: "gpo" is not the label of an entry in optimizers');
    expect(errorOf(paper('opro').replace('value: 60', 'value: 160'))).toMatch(/^suites\/x.yaml:11: paper.0.value: /);
  });

  it('names file:line and the field of an unknown optimizer option', () => {
    const text = `name: t
seeds: [0]
tasks: [like/navigate]
targets: [sim-8b]
optimizers:
  - name: opro
  - name: protegi
    options:
      stepz: 3
budget: { mode: equal, targetCalls: 50 }
`;
    expect(errorOf(text)).toBe('suites/x.yaml:9: optimizers.1.options.stepz: unknown option');
  });

  it('two spellings of one like/ task are one task: same cell ids, and listing both is a duplicate', () => {
    const a = expandCells(parseSuiteYaml(BASE.replace('like/gsm?size=10', 'like/gsm?difficulty=0.5&size=10')));
    const b = expandCells(parseSuiteYaml(BASE.replace('like/gsm?size=10', 'like/gsm?size=010&difficulty=.5')));
    expect(b.map((c) => c.id)).toEqual(a.map((c) => c.id));
    expect(b.map((c) => c.task)).toContain('like/gsm?difficulty=0.5&size=10');
    expect(errorOf(BASE.replace('like/navigate, like/gsm?size=10', 'like/gsm?size=10, like/gsm?size=010'))).toMatch(/tasks\.1: duplicate "like\/gsm\?size=10"/);
  });

  it('splitsOf: a baseline entry scores on another optimizer\'s paper-preset splits; one without such splits is refused', () => {
    const withSplits = BASE.replace('tasks: [like/navigate, like/gsm?size=10]', 'tasks: [gsm8k]').replace('  - name: zero-shot-cot\n', '  - name: zero-shot-cot\n    splitsOf: opro\n');
    const cells = expandCells(parseSuiteYaml(withSplits));
    expect(cells.filter((c) => c.optimizer === 'zero-shot-cot').every((c) => c.splitsOf === 'opro')).toBe(true);
    expect(cells.filter((c) => c.optimizer === 'opro').every((c) => c.splitsOf === undefined)).toBe(true);
    expect(errorOf(withSplits.replace('splitsOf: opro', 'splitsOf: empty'))).toMatch(/optimizers\.1\.splitsOf: preset paper: optimizer empty has no paper setting for task gsm8k/);
  });

  it('names file:line and field for schema, option, task, model, budget and duplicate errors', () => {
    expect(errorOf(BASE.replace('seeds: [0, 1]', 'seeds: [0, 1]\ncolour: red'))).toBe('suites/x.yaml:3: colour: unknown field');
    expect(errorOf(BASE.replace('seeds: [0, 1]\n', ''))).toMatch(/^suites\/x\.yaml(:\d+)?: seeds: /);
    expect(errorOf(BASE.replace('seeds: [0, 1]', 'seeds: [0, -1]'))).toMatch(/^suites\/x\.yaml:2: seeds\.1: /);
    expect(errorOf(BASE.replace('mode: equal', 'mode: fair'))).toMatch(/^suites\/x\.yaml:9: budget\.mode: /);
    expect(errorOf(BASE.replace('candidatesPerStep: 2', 'candidatesPerStep: -2'))).toMatch(/^suites\/x\.yaml:7: optimizers\.0\.options\.candidatesPerStep: /);
    expect(errorOf(BASE.replace('name: zero-shot-cot', 'name: oprah'))).toMatch(/^suites\/x\.yaml:8: optimizers\.1\.name: unknown optimizer "oprah"/);
    expect(errorOf(BASE.replace('like/gsm?size=10', 'like/gsmm'))).toMatch(/^suites\/x\.yaml:3: tasks\.1: unknown task "like\/gsmm"/);
    expect(errorOf(BASE.replace('like/gsm?size=10', 'like/gsm?size=-1'))).toMatch(/^suites\/x\.yaml:3: tasks\.1: .*size must be a positive integer/);
    expect(errorOf(BASE.replace('targetCalls: 50', 'tokens: 0'))).toMatch(/^suites\/x\.yaml:9: budget\.tokens: /);
    expect(errorOf(BASE.replace('{ mode: equal, targetCalls: 50 }', '{ mode: equal }'))).toBe(
      'suites/x.yaml:9: budget: equal mode needs targetCalls or tokens (or use mode: paper)',
    );
    expect(errorOf(BASE.replace('  - name: zero-shot-cot', '  - name: opro\n    options: { candidatesPerStep: 3 }'))).toMatch(
      /^suites\/x\.yaml:8: optimizers\.1: label "opro" is also used by optimizers\.0/,
    );
    expect(errorOf(BASE.replace('[sim-1b, sim-8b]', '[sim-1b, sim-1b]'))).toMatch(/^suites\/x\.yaml:4: targets\.1: duplicate "sim-1b"/);
    expect(errorOf(BASE.replace('sim-8b]', 'sim-9b]'), 'x.yaml', true)).toMatch(/^x\.yaml:4: targets\.1: unknown model "sim-9b"/);
    expect(errorOf('name: t\nseeds: [0\n')).toMatch(/^suites\/x\.yaml:\d+: invalid YAML/);
    // Without a config, model names are not checked at load time (they may be config entries).
    expect(() => parseSuiteYaml(BASE.replace('sim-8b]', 'sim-9b]'))).not.toThrow();
  });

  it('loads every shipped suite; each starts with a comment and is runnable on sim', () => {
    const files = readdirSync(suitesDir).filter((f) => f.endsWith('.yaml'));
    expect(files).toEqual(expect.arrayContaining(['smoke.yaml', 'equal-budget.yaml', 'opro-bbh.yaml', 'ablation-opro.yaml', 'ablation-protegi.yaml', 'reflection.yaml']));
    for (const f of files) {
      const suite = loadSuite(path.join(suitesDir, f), { config: defaultConfig() });
      expect(suite.name).toBe(f.replace(/\.yaml$/, ''));
      const cells = expandCells(suite);
      expect(cells.length).toBe(suite.optimizers.length * suite.tasks.length * suite.targets.length * suite.seeds.length * suite.worlds.length * simVariants(suite.sim).length);
      expect(new Set(cells.map((c) => c.id)).size).toBe(cells.length);
      for (const c of cells) {
        expect(c.target.startsWith('sim-')).toBe(true);
        expect(c.optimizerModel.startsWith('sim-opt-')).toBe(true);
      }
    }
    const smoke = expandCells(loadSuite(path.join(suitesDir, 'smoke.yaml')));
    expect(new Set(smoke.map((c) => c.optimizer)).size).toBe(2);
    expect(smoke).toHaveLength(4);
  });

  it('the equal-budget suite covers every optimizer registered when it was written, under one equal budget', () => {
    const suite = loadSuite(path.join(suitesDir, 'equal-budget.yaml'));
    const names = suite.optimizers.map((o) => o.name);
    for (const n of ['empty', 'zero-shot-cot', 'ape-cot', 'few-shot', 'opro', 'ape', 'protegi', 'evoprompt', 'bpo']) expect(names).toContain(n);
    expect(names.every((n) => optimizerNames().includes(n))).toBe(true);
    expect(suite.budget.mode).toBe('equal');
    expect(suite.targets).toEqual(['sim-1b', 'sim-8b', 'sim-70b']);
  });
});

describe('cell grid', () => {
  const suite = parseSuiteYaml(BASE);

  it('expands optimizer × task × target × seed in that order, with resolved options and limits', () => {
    const cells = expandCells(suite);
    expect(cells).toHaveLength(2 * 2 * 2 * 2);
    expect(cells.map((c) => `${c.optimizer}|${c.task}|${c.target}|${c.seed}`).slice(0, 9)).toEqual([
      'opro|like/navigate|sim-1b|0',
      'opro|like/navigate|sim-1b|1',
      'opro|like/navigate|sim-8b|0',
      'opro|like/navigate|sim-8b|1',
      'opro|like/gsm?size=10|sim-1b|0',
      'opro|like/gsm?size=10|sim-1b|1',
      'opro|like/gsm?size=10|sim-8b|0',
      'opro|like/gsm?size=10|sim-8b|1',
      'zero-shot-cot|like/navigate|sim-1b|0',
    ]);
    const c = cells[0]!;
    expect(c.options.candidatesPerStep).toBe(2);
    expect(c.options.steps).toBe(Infinity); // equal mode lifts the paper's schedule
    expect(c.limits).toEqual({ targetCalls: 50, optimizerCalls: 50 });
    expect(c.optimizerModel).toBe('sim-opt-large');
    expect(c.id).toMatch(/^opro__like-navigate__sim-1b__s0__[0-9a-f]{8}$/);
    expect(cells[4]!.id).toMatch(/^opro__like-gsm-size-10__sim-1b__s0__[0-9a-f]{8}$/);
  });

  it('splitSeed: fixed (default) keeps specs and ids unchanged; per-seed marks every cell and changes its id', () => {
    const fixed = expandCells(parseSuiteYaml(BASE + 'splitSeed: fixed\n'));
    expect(fixed.map((c) => c.id)).toEqual(expandCells(suite).map((c) => c.id));
    expect(fixed.every((c) => c.splitSeed === undefined)).toBe(true);
    const perSeed = expandCells(parseSuiteYaml(BASE + 'splitSeed: per-seed\n'));
    expect(perSeed.every((c) => c.splitSeed === 'per-seed')).toBe(true);
    expect(perSeed[0]!.id).not.toBe(fixed[0]!.id);
    expect(errorOf(BASE + 'splitSeed: random\n')).toMatch(/^suites\/x\.yaml:\d+: splitSeed: /);
  });

  it('ids are stable, independent of the suite name and grid position, and change with what the cell computes', () => {
    const a = expandCells(suite);
    expect(expandCells(parseSuiteYaml(BASE)).map((c) => c.id)).toEqual(a.map((c) => c.id));
    const renamed = expandCells(parseSuiteYaml(BASE.replace('name: t', 'name: other').replace('[sim-1b, sim-8b]', '[sim-8b]')));
    const same = renamed.find((c) => c.optimizer === 'opro' && c.task === 'like/navigate' && c.seed === 1)!;
    expect(same.id).toBe(a.find((c) => c.optimizer === 'opro' && c.task === 'like/navigate' && c.target === 'sim-8b' && c.seed === 1)!.id);
    const changed = expandCells(parseSuiteYaml(BASE.replace('candidatesPerStep: 2', 'candidatesPerStep: 3')));
    expect(changed[0]!.id).not.toBe(a[0]!.id);
    expect(changed[0]!.id.slice(0, -8)).toBe(a[0]!.id.slice(0, -8));
    const budget = expandCells(parseSuiteYaml(BASE.replace('targetCalls: 50', 'targetCalls: 60')));
    expect(budget[0]!.id).not.toBe(a[0]!.id);
    const { id: _id, suite: _suite, ...rest } = a[0]!;
    expect(cellId(rest)).toBe(a[0]!.id);
  });

  it('shards partition the grid: union is every cell, shards are pairwise disjoint', () => {
    const cells = expandCells(loadSuite(path.join(suitesDir, 'equal-budget.yaml')));
    for (const n of [1, 2, 3, 7, cells.length, cells.length + 5]) {
      const shards = Array.from({ length: n }, (_, i) => shardCells(cells, { index: i + 1, count: n }).map((c) => c.id));
      const flat = shards.flat();
      expect(flat).toHaveLength(cells.length);
      expect(new Set(flat).size).toBe(cells.length);
      expect([...flat].sort()).toEqual(cells.map((c) => c.id).sort());
      // Balanced: sizes differ by at most one.
      const sizes = shards.map((s) => s.length);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    }
    expect(shardCells(cells, { index: 2, count: 3 })[0]).toBe(cells[1]);
  });

  it('parses --shard i/n and rejects anything else', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    for (const bad of ['0/3', '4/3', '1/0', '1', 'a/b', '-1/2']) expect(() => parseShard(bad)).toThrow(/--shard: expected i\/n/);
  });
});

describe('popbench cells', () => {
  it('lists the cell ids of a shard; a bad suite is one line and exit 2', () => {
    const bin = path.join(root, 'bin/popbench.mjs');
    const r = spawnSync(process.execPath, [bin, 'cells', path.join(suitesDir, 'smoke.yaml'), '--shard', '1/2'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const ids = r.stdout.trim().split('\n');
    const all = expandCells(loadSuite(path.join(suitesDir, 'smoke.yaml')));
    expect(ids).toEqual([all[0]!.id, all[2]!.id]);

    const dir = mkdtempSync(path.join(tmpdir(), 'pb-suite-'));
    const bad = path.join(dir, 'bad.yaml');
    writeFileSync(bad, BASE.replace('candidatesPerStep: 2', 'stepz: 2'));
    const e = spawnSync(process.execPath, [bin, 'cells', bad], { encoding: 'utf8' });
    expect(e.status).toBe(2);
    expect(e.stderr.trim().split('\n')).toEqual([`popbench: error: ${bad}:7: optimizers.0.options.stepz: unknown option`]);
  });
});
