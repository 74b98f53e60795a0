/**
 * Bad-input fuzzing (seeded): generated broken suite files, config files,
 * data files and command-line flags. Every case must end with exit code 2
 * and exactly one `popbench: error:` line naming the file (and line, where
 * the format has lines) or the flag, and must leave an existing run
 * directory exactly as it was. The CLI runs in this process (no start-up
 * cost), so the few hundred cases take seconds.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runSuite } from '../benchmarks/runner.js';
import { parseSuiteYaml } from '../benchmarks/suite.js';
import { Rng } from '../core/rng.js';
import { snapshotDir } from '../test/fixtures.js';
import { popbenchInProcess, type CliRun } from './testing.js';

const repo = path.resolve(import.meta.dirname, '..');
const shared = path.resolve(repo, '..', 'shared', 'datasets');
const haveData = existsSync(path.join(shared, 'gsm8k')) && existsSync(path.join(shared, 'bbh')) && existsSync(path.join(shared, 'mmlu'));
// Its data-file cases are mutations of small copies of the real files.
if (!haveData) console.warn(`[cli] real datasets not found at ${shared}; skipping the bad-input fuzz test`);
const smokeText = readFileSync(path.join(repo, 'benchmarks/suites/smoke.yaml'), 'utf8');
const tmp = (p: string) => mkdtempSync(path.join(tmpdir(), `pb-fuzz-${p}-`));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');


interface Case {
  name: string;
  args: string[];
  /** What the one error line must contain (file path, file:line or flag). */
  names: RegExp;
}

/** Replace the first occurrence of `from` in the smoke suite; the result must differ. */
const edit = (from: string | RegExp, to: string): string => {
  const t = smokeText.replace(from, to);
  if (t === smokeText) throw new Error(`fuzz generator: ${String(from)} not found in smoke.yaml`);
  return t;
};

/** Broken suites: [label, text, whether the error can name a line]. */
const SUITE_MUTATIONS: Array<[string, string, boolean]> = [
  ['negative seed', edit('seeds: [0, 1]', 'seeds: [-1]'), true],
  ['seeds not a list', edit('seeds: [0, 1]', 'seeds: "x"'), true],
  ['no seeds', edit('seeds: [0, 1]', 'seeds: []'), true],
  ['duplicate seed', edit('seeds: [0, 1]', 'seeds: [0, 0]'), true],
  ['fractional seed', edit('seeds: [0, 1]', 'seeds: [1.5]'), true],
  ['bad name', edit('name: smoke', 'name: "bad name!"'), true],
  ['empty name', edit('name: smoke', 'name: ""'), true],
  ['unknown like task', edit('  - like/navigate?size=20', '  - like/nope'), true],
  ['zero size', edit('  - like/navigate?size=20', '  - like/navigate?size=0'), true],
  ['repeated parameter', edit('  - like/navigate?size=20', '  - like/navigate?size=20&size=30'), true],
  ['unknown parameter', edit('  - like/navigate?size=20', '  - like/navigate?colour=red'), true],
  ['misspelt bbh task', edit('  - like/navigate?size=20', '  - bbh/navigat'), true],
  ['parameters on a dataset task', edit('  - like/navigate?size=20', '  - gsm8k?size=3'), true],
  ['unknown target', edit('targets: [sim-8b]', 'targets: [sim-9b]'), true],
  ['no targets', edit('targets: [sim-8b]', 'targets: []'), true],
  ['duplicate target', edit('targets: [sim-8b]', 'targets: [sim-8b, sim-8b]'), true],
  ['unknown optimizer model', edit('optimizerModel: sim-opt-large', 'optimizerModel: sim-opt-huge'), true],
  ['unknown optimizer', edit('  - name: opro', '  - name: oprah'), true],
  ['empty optimizer name', edit('  - name: opro', "  - name: ''"), true],
  ['negative option', edit('candidatesPerStep: 4', 'candidatesPerStep: -4'), true],
  ['option of the wrong type', edit('candidatesPerStep: 4', 'candidatesPerStep: abc'), true],
  ['unknown option', edit('candidatesPerStep: 4', 'stepz: 4'), true],
  ['unknown budget mode', edit('mode: equal', 'mode: fast'), true],
  ['zero budget', edit('targetCalls: 120', 'targetCalls: 0'), true],
  ['negative budget', edit('targetCalls: 120', 'targetCalls: -5'), true],
  ['fractional budget', edit('targetCalls: 120', 'targetCalls: 1.5'), true],
  ['budget not a number', edit('targetCalls: 120', 'targetCalls: lots'), true],
  ['equal budget without a limit', edit(/  targetCalls: 120\n  optimizerCalls: 40\n/, ''), true],
  ['zero testLimit', edit('testLimit: 20', 'testLimit: 0'), true],
  ['unknown top-level field', smokeText + 'colour: red\n', true],
  ['unknown budget field', edit('  mode: equal', '  mode: equal\n  foo: 1'), true],
  ['unknown entry field', edit('  - name: opro', '  - name: opro\n    colour: red'), true],
  ['bad label', edit('  - name: opro', '  - name: opro\n    label: "a b"'), true],
  ['duplicate label', edit('  - name: protegi', '  - name: opro\n    options: { candidatesPerStep: 4, numExemplars: 2 }\n  - name: protegi'), true],
  ['unclosed flow list', edit('seeds: [0, 1]', 'seeds: [0, 1'), true],
  ['stray mapping', edit('targets: [sim-8b]', 'targets: [sim-8b]\n: : :'), true],
  ['tab indentation', edit('  - name: opro', '\t- name: opro'), true],
  ['alias bomb', 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n' + smokeText, false],
  ['empty file', '', false],
  ['a list, not a mapping', '- 1\n- 2\n', false],
  ['a string, not a mapping', 'just words\n', false],
];

describe.skipIf(!haveData)('bad-input fuzzing: exit 2, one line naming the file/line/flag, run directory untouched', () => {
  let runDir: string;
  let before: Record<string, string>;
  let dataDir: string;
  const cases: Case[] = [];
  const rng = new Rng(2026).derive('fuzz');

  beforeAll(async () => {
    runDir = path.join(tmp('run'), 'out');
    const suite = parseSuiteYaml(smokeText);
    await runSuite(suite, { out: runDir, flags: { cache: false } });
    before = snapshotDir(runDir);

    // A small data directory with one task of each dataset family.
    dataDir = tmp('data');
    mkdirSync(path.join(dataDir, 'gsm8k'));
    for (const f of ['train.jsonl', 'test.jsonl'])
      writeFileSync(path.join(dataDir, 'gsm8k', f), readFileSync(path.join(shared, 'gsm8k', f), 'utf8').split('\n').slice(0, 40).join('\n') + '\n');
    for (const d of ['tasks', 'cot-prompts']) mkdirSync(path.join(dataDir, 'bbh', d), { recursive: true });
    copyFileSync(path.join(shared, 'bbh/tasks/navigate.json'), path.join(dataDir, 'bbh/tasks/navigate.json'));
    copyFileSync(path.join(shared, 'bbh/cot-prompts/navigate.txt'), path.join(dataDir, 'bbh/cot-prompts/navigate.txt'));
    for (const s of ['dev', 'val', 'test']) {
      mkdirSync(path.join(dataDir, 'mmlu', s), { recursive: true });
      copyFileSync(path.join(shared, 'mmlu', s, `anatomy_${s}.csv`), path.join(dataDir, 'mmlu', s, `anatomy_${s}.csv`));
    }

    // Suites: every mutation, twice, each time under 0-5 extra comment lines (the line named must move with it),
    // through `run` into the existing run directory or through `cells`.
    const work = tmp('suites');
    SUITE_MUTATIONS.forEach(([label, text, hasLine], i) => {
      for (let v = 0; v < 2; v++) {
        const pad = rng.int(0, 5);
        const file = path.join(work, `s${i}-${v}.yaml`);
        writeFileSync(file, '# fuzz\n'.repeat(pad) + text);
        const lines = text.split('\n').length + pad;
        const cmd = rng.pick([['run', file, '--out', runDir, '--no-cache', '--no-progress'], ['cells', file]]);
        cases.push({
          name: `suite ${label} (+${pad} lines, ${cmd[0]})`,
          args: cmd,
          names: hasLine ? new RegExp(`${esc(file)}:(${Array.from({ length: lines }, (_, k) => k + 1).join('|')})\\b`) : new RegExp(esc(file)),
        });
      }
    });

    // Config files: broken fields and YAML, used by `run` into the existing run directory.
    const configs: Array<[string, string]> = [
      ['unknown field', 'colour: red\n'],
      ['zero attempts', 'maxAttempts: 0\n'],
      ['negative timeout', 'timeoutMs: -1\n'],
      ['timeout not a number', 'timeoutMs: soon\n'],
      ['bad cache mode', 'cache:\n  mode: sometimes\n'],
      ['unknown cache field', 'cache:\n  colour: red\n'],
      ['unknown provider', 'models:\n  - name: m\n    provider: acme\n'],
      ['model without name', 'models:\n  - provider: openai\n'],
      ['bad baseURL', 'models:\n  - name: m\n    provider: openai\n    baseURL: not a url\n'],
      ['bad key variable', 'models:\n  - name: m\n    provider: openai\n    apiKeyEnv: "1-KEY"\n'],
      ['duplicate model', 'models:\n  - name: m\n    provider: sim\n  - name: m\n    provider: sim\n'],
      ['hf with baseURL', 'models:\n  - name: m\n    provider: hf\n    baseURL: http://127.0.0.1:1/v1\n'],
      ['negative price', 'prices:\n  "openai:x": { input: -1, output: 1 }\n'],
      ['models not a list', 'models: 3\n'],
      ['broken YAML', 'models: [\n'],
      ['tab indentation', 'cache:\n\tmode: off\n'],
    ];
    configs.forEach(([label, text], i) => {
      const pad = rng.int(0, 3);
      const file = path.join(work, `c${i}.yaml`);
      writeFileSync(file, '# config\n'.repeat(pad) + text);
      cases.push({ name: `config ${label}`, args: ['run', path.join(repo, 'benchmarks/suites/smoke.yaml'), '--config', file, '--out', runDir, '--no-cache'], names: new RegExp(esc(file)) });
      cases.push({ name: `config ${label} (eval)`, args: ['eval', '--task', 'like/gsm', '--config', file, '--no-cache'], names: new RegExp(esc(file)) });
    });

    // Data files: a broken copy of the small data directory per case.
    const gsmLine = readFileSync(path.join(dataDir, 'gsm8k/train.jsonl'), 'utf8').split('\n')[0]!;
    const dataCases: Array<[string, string, string, (t: string) => string, boolean]> = [
      ['gsm8k empty file', 'gsm8k', 'gsm8k/train.jsonl', () => '', false],
      ['gsm8k torn line', 'gsm8k', 'gsm8k/train.jsonl', (t) => t.replace(gsmLine, gsmLine.slice(0, 30)), true],
      ['gsm8k not an object', 'gsm8k', 'gsm8k/test.jsonl', (t) => '[1, 2]\n' + t, true],
      ['gsm8k missing answer', 'gsm8k', 'gsm8k/test.jsonl', (t) => '{"question": "q"}\n' + t, true],
      ['gsm8k no final answer', 'gsm8k', 'gsm8k/train.jsonl', (t) => '{"question": "q", "answer": "42"}\n' + t, true],
      ['gsm8k empty final answer', 'gsm8k', 'gsm8k/train.jsonl', (t) => '{"question": "q", "answer": "so #### "}\n' + t, true],
      ['bbh malformed JSON', 'bbh/navigate', 'bbh/tasks/navigate.json', (t) => t.slice(0, 100), false],
      ['bbh no examples array', 'bbh/navigate', 'bbh/tasks/navigate.json', () => '{"examples": 3}', false],
      ['bbh empty examples', 'bbh/navigate', 'bbh/tasks/navigate.json', () => '{"examples": []}', false],
      ['bbh example without target', 'bbh/navigate', 'bbh/tasks/navigate.json', () => '{"examples": [{"input": "q"}]}', false],
      ['bbh prompt without separator', 'bbh/navigate', 'bbh/cot-prompts/navigate.txt', (t) => t.replace('-----', '====='), true],
      ['mmlu empty file', 'mmlu/anatomy', 'mmlu/test/anatomy_test.csv', () => '', false],
      ['mmlu short row', 'mmlu/anatomy', 'mmlu/test/anatomy_test.csv', (t) => 'q,a,b\n' + t, true],
      ['mmlu bad answer letter', 'mmlu/anatomy', 'mmlu/dev/anatomy_dev.csv', (t) => 'q,a,b,c,d,E\n' + t, true],
      ['mmlu unclosed quote', 'mmlu/anatomy', 'mmlu/val/anatomy_val.csv', (t) => t + '"q,a,b,c,d,A\n"', false],
    ];
    dataCases.forEach(([label, task, rel, mutate, hasLine], i) => {
      for (let v = 0; v < 2; v++) {
        const dir = tmp(`data${i}`);
        for (const fam of ['gsm8k', 'bbh', 'mmlu']) copyDir(path.join(dataDir, fam), path.join(dir, fam));
        const file = path.join(dir, rel);
        writeFileSync(file, mutate(readFileSync(file, 'utf8')));
        const args = v === 0 ? ['eval', '--task', task, '--data-dir', dir, '--no-cache', '--limit', '1'] : ['data', 'show', task, '--data-dir', dir];
        cases.push({ name: `data ${label} (${args[0]})`, args, names: new RegExp(esc(file) + (hasLine ? ':\\d+' : '')) });
      }
    });

    // Flags: one bad flag on an otherwise good command line.
    const suiteFile = path.join(repo, 'benchmarks/suites/smoke.yaml');
    const run = (...f: string[]) => ['run', suiteFile, '--out', runDir, '--no-cache', ...f];
    const ev = (...f: string[]) => ['eval', '--task', 'like/gsm?size=20', '--no-cache', ...f];
    const opt = (...f: string[]) => ['optimize', '--optimizer', 'opro', '--task', 'like/gsm?size=20', '--budget', '10', '--no-cache', ...f];
    const flagCases: Array<[string[], string]> = [
      [run('--shard', '0/2'), '--shard'], [run('--shard', '3/2'), '--shard'], [run('--shard', 'x'), '--shard'], [run('--shard', '1/0'), '--shard'],
      [run('--concurrency', '0'), '--concurrency'], [run('--concurrency', 'abc'), '--concurrency'], [run('--concurrency', '1.5'), '--concurrency'],
      [run('--concurency', '2'), '--concurency'], [run('--data-dir', '/nonexistent/pb-data'), '--data-dir|/nonexistent/pb-data'],
      [run('--config', '/nonexistent/pb.yaml'), '/nonexistent/pb.yaml'], [run('--outt', 'x'), '--outt'],
      [['cells', suiteFile, '--shard', '2/1'], '--shard'], [['cells', suiteFile, '--shrd', '1/2'], '--shrd'],
      [ev('--limit', '0'), '--limit'], [ev('--limit', 'x'), '--limit'], [ev('--temperature', '9'), '--temperature'], [ev('--temperature', 'hot'), '--temperature'],
      [ev('--position', 'middle'), '--position'], [ev('--split', 'validation'), '--split'], [ev('--ids', 'nope-1'), '--ids'], [ev('--ids', ','), '--ids'],
      [ev('--demos', '100000'), '--demos'], [ev('--demos', '-1'), '--demos'], [ev('--max-tokens', '0'), '--max-tokens'], [ev('--seed', '-3'), '--seed'],
      [ev('--seed', 'x'), '--seed'], [ev('--tsk', 'like/gsm'), '--tsk'], [ev('--prompt', 'a', '--prompt-file', '/nonexistent/p.txt'), '--prompt'],
      [ev('--prompt-file', '/nonexistent/p.txt'), '--prompt-file'], [['eval', '--task', 'like/gsm?size=30&size=40', '--no-cache'], 'like/gsm\\?size=30&size=40'],
      [['eval', '--task', 'like/gms', '--no-cache'], 'like/gms'], [['eval', '--no-cache'], '--task'],
      [opt('--budget', '0'), '--budget'], [opt('--mode', 'fast'), '--mode'], [opt('--set', 'steps=abc'), 'steps'], [opt('--set', 'novalue'), '--set'],
      [opt('--set', 'stepz=3'), 'stepz'], [opt('--tokens', '-1'), '--tokens'], [opt('--train-size', '0'), '--train-size'], [opt('--optimizer-budget', 'x'), '--optimizer-budget'],
      [['optimize', '--optimizer', 'oprah', '--task', 'like/gsm', '--budget', '5', '--no-cache'], 'oprah'],
      [['report', runDir, '--alpha', '2'], '--alpha'], [['report', runDir, '--format', 'pdf'], '--format'], [['report', runDir, '--baseline', 'emtpy'], '--baseline'],
      [['report', runDir, '--out', path.join(runDir, 'suite.json')], '--out'], [['report', '/nonexistent/pb-run'], '/nonexistent/pb-run'],
      [['merge', runDir, '--out'], '--out'], [['merge', '/nonexistent/pb-run', '--out', tmp('m')], '/nonexistent/pb-run'],
      [['data', 'show', 'bbh/navigat'], 'bbh/navigat'], [['serve-sim', '--tasks', 'like/gsm', '--port', '70000'], '--port'],
      [['repor', runDir], 'repor'],
    ];
    for (const [args, flag] of flagCases) cases.push({ name: `flags ${args.join(' ')}`, args, names: new RegExp(flag.replace(/[/]/g, '\\/')) });
  }, 120_000);

  it('generates at least 150 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(150);
  });

  it('every case: exit 2, one line naming the file/line/flag, no stack trace, run directory unchanged', async () => {
    const failures: string[] = [];
    for (const c of cases) {
      let r: CliRun;
      try {
        r = await popbenchInProcess(c.args);
      } catch (err) {
        failures.push(`${c.name}: threw ${(err as Error).message}`);
        continue;
      }
      const lines = r.stderr.trim().split('\n');
      const ok = r.code === 2 && lines.length === 1 && /^popbench: error: /.test(lines[0]!) && c.names.test(lines[0]!) && !/\n\s+at /.test(r.stderr);
      if (!ok) failures.push(`${c.name}: exit ${r.code}, stderr ${JSON.stringify(r.stderr.slice(0, 300))}`);
      if (c.args.includes(runDir)) {
        const now = snapshotDir(runDir);
        if (JSON.stringify(now) !== JSON.stringify(before)) failures.push(`${c.name}: changed the run directory`);
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});

function copyDir(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const e of readdirSync(from, { withFileTypes: true })) {
    if (e.isDirectory()) copyDir(path.join(from, e.name), path.join(to, e.name));
    else copyFileSync(path.join(from, e.name), path.join(to, e.name));
  }
}
