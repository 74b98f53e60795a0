import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRunEvents } from '../core/store.js';
import { runDemo } from './demo.js';
import { parseSets, readInitialFlag, resolveOptions, runOptimize } from './optimize.js';
import { expectOneLineError, popbench } from './testing.js';

const bbh = path.resolve(import.meta.dirname, '..', '..', 'shared', 'datasets', 'bbh');
const haveBbh = existsSync(bbh) || process.env.POPBENCH_DATA !== undefined;
if (!haveBbh) console.warn(`[cli] BBH data not found at ${bbh}; skipping the --initial test on bbh/navigate`);


describe('popbench optimize', () => {
  it('runs an optimizer under a budget and prints the best prompt, dev and test accuracy and the cost', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-opt-'));
    const out = path.join(dir, 'run.json');
    const events = path.join(dir, 'events.jsonl');
    const lines: string[] = [];
    const res = await runOptimize(
      {
        optimizer: 'opro', task: 'like/navigate', target: 'sim-8b', optimizerModel: 'sim-opt-large',
        budget: '300', mode: 'equal', set: ['candidatesPerStep=4'], devSize: '20', testLimit: '50',
        out, events, progress: false, cache: false, seed: '0',
      },
      (l) => lines.push(l),
    );
    const text = lines.join('\n');
    expect(res.stoppedBy).toBe('budget');
    expect(text).toMatch(/stopped by: budget; spent (\d+) target calls/);
    const spent = Number(/spent (\d+) target calls/.exec(text)![1]);
    expect(spent).toBeLessThanOrEqual(300);
    expect(text).toMatch(/best prompt: ".*"/);
    expect(text).toMatch(/dev accuracy [\d.]+% \(\d+\/20\)/);
    expect(text).toMatch(/test accuracy [\d.]+% \(\d+\/50\), 95% Wilson CI/);
    expect(text).toMatch(/Usage: \d+ calls .*\$0\.0000/);
    const saved = JSON.parse(readFileSync(out, 'utf8'));
    expect(saved.options.candidatesPerStep).toBe(4);
    expect(saved.options.steps).toBe('Infinity'); // equal mode lifts the paper's 200 steps
    expect(saved.result.trajectory.candidates.length).toBe(res.trajectory.candidates.length);
    expect(saved.spent.targetCalls).toBe(spent);
    const streamed = readRunEvents(events);
    expect(streamed.length).toBe(saved.events.length);
    expect(streamed.filter((e) => e.type === 'candidate')).toHaveLength(res.trajectory.candidates.length);
  });

  it.skipIf(!haveBbh)('--initial sets the starting prompt: ProTeGi quotes it in its first gradient meta-prompt; @file reads a file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pb-opt-'));
    const events = path.join(dir, 'e.jsonl');
    const text = 'Determine whether the instructions return to the start.';
    const lines: string[] = [];
    await runOptimize(
      { optimizer: 'protegi', task: 'bbh/navigate', target: 'sim-8b', optimizerModel: 'sim-opt-large', budget: '300', set: [], initial: text, testLimit: '5', events, progress: false, cache: false, seed: '0' },
      (l) => lines.push(l),
    );
    expect(lines.join('\n')).toContain(`starting prompt: ${JSON.stringify(text)} [Q_begin]`);
    const first = readRunEvents(events).find((e) => e.type === 'reflection')!;
    expect(first.metaPrompt).toContain(`My current prompt is:\n"${text}"`);
    const file = path.join(dir, 'ins.txt');
    writeFileSync(file, 'From a file.\n');
    expect(readInitialFlag('@' + file)).toBe('From a file.');
    expect(() => readInitialFlag('@' + path.join(dir, 'missing.txt'))).toThrow(/--initial: cannot read file/);
  });

  it('--embeddings names a model that has no /embeddings endpoint in one line', () => {
    expectOneLineError(
      popbench(['optimize', '--optimizer', 'gpo', '--task', 'like/navigate', '--budget', '50', '--embeddings', 'sim-8b']),
      /^popbench: error: embedding model "sim-8b": provider sim has no \/embeddings endpoint/,
    );
  });

  it('parses --set values as JSON when they are JSON', () => {
    expect(parseSets(['steps=3', 'showScores=false', 'position=Q_end', 'steps2=Infinity'])).toEqual({
      steps: 3, showScores: false, position: 'Q_end', steps2: Infinity,
    });
    expect(() => parseSets(['novalue'])).toThrow(/--set: expected key=value/);
  });

  it('names the unknown optimizer or the bad option in one line', () => {
    expect(() => resolveOptions('oprah', 'paper', {})).toThrow(/unknown optimizer "oprah"; known: .*opro/);
    expect(() => resolveOptions('opro', 'paper', { stepz: 3 })).toThrow(/--set stepz: .*\(optimizer opro\)/);
    expect(() => resolveOptions('opro', 'paper', { steps: -2 })).toThrow(/--set steps: /);
    expect(resolveOptions('opro', 'paper', {}).steps).toBe(200);
  });

  it('exits 2 with one line for a bad option on the command line', () => {
    expectOneLineError(
      popbench(['optimize', '--optimizer', 'opro', '--task', 'like/navigate', '--budget', '50', '--set', 'numExemplars=-1']),
      /^popbench: error: --set numExemplars: /,
    );
  });
});

describe('popbench demo', () => {
  it('runs baselines by size, every optimizer within one budget, and reflection quality', async () => {
    const lines: string[] = [];
    const report = (await runDemo({ task: 'like/navigate', budget: '200', optimizerBudget: '40', testLimit: '60', seed: '0' }, (l) => lines.push(l))) as {
      baselines: Record<string, Record<string, number>>;
      optimizers: Record<string, { spent: { targetCalls: number; optimizerCalls: number } }>;
      reflection: Record<string, { n: number }>;
    };
    expect(lines.join('\n')).toMatch(/not research results/);
    for (const row of Object.values(report.baselines)) expect(row['sim-70b']!).toBeGreaterThan(row['sim-1b']!);
    expect(Object.keys(report.optimizers)).toEqual(expect.arrayContaining(['opro', 'ape', 'protegi', 'evoprompt', 'bpo', 'empty']));
    for (const r of Object.values(report.optimizers)) {
      expect(r.spent.targetCalls).toBeLessThanOrEqual(200);
      expect(r.spent.optimizerCalls).toBeLessThanOrEqual(40);
    }
    expect(Object.keys(report.reflection)).toHaveLength(8);
    expect(lines.join('\n')).toMatch(/own@½, own best: the optimizer's own score .* not comparable across methods/s);
    expect(lines.join('\n')).toMatch(/names a true cause \(95% CI\)\s+chance\s+precision\s+chance/);
    for (const r of Object.values(report.reflection) as Array<{ n: number; chanceHit?: number }>) if (r.n) expect(r.chanceHit).toBeGreaterThan(0);
  });

  it('--world N runs the demo in another sim world (other baseline numbers)', async () => {
    const flags = { task: 'like/navigate', budget: '20', optimizerBudget: '4', testLimit: '60', seed: '0' };
    const w0 = (await runDemo({ ...flags, world: '0' }, () => {})) as { baselines: unknown };
    const lines: string[] = [];
    const w3 = (await runDemo({ ...flags, world: '3' }, (l) => lines.push(l))) as { baselines: unknown };
    expect(lines[0]).toMatch(/^popbench demo on the simulated world 3 /);
    expect(w3.baselines).not.toEqual(w0.baselines);
  });
});
