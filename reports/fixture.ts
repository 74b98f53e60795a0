/**
 * A small hand-made run directory with known numbers, for the report tests
 * and `npm run check:html`. 3 optimizers (empty = baseline, opro, protegi)
 * × 2 tasks × 2 seeds on sim-8b, 10 test examples per cell, plus one failed
 * and one unfinished cell. Expected values are worked out in reports/analysis.test.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const FIXTURE_TASKS = ['like/navigate', 'like/gsm'] as const;
export const FIXTURE_TARGET = 'sim-8b';
export const FIXTURE_OPT_MODEL = 'sim-opt-small';

/** Correct test examples e0..e9 per optimizer, task, seed (indices). */
export const FIXTURE_CORRECT: Record<string, Record<string, [number[], number[]]>> = {
  empty: { 'like/navigate': [[0, 1, 2, 3], [0, 1, 2, 3, 4]], 'like/gsm': [[0, 1], [0, 1]] },
  opro: { 'like/navigate': [[0, 1, 2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5, 6, 7, 8]], 'like/gsm': [[0, 1, 2], [0, 1, 2]] },
  protegi: { 'like/navigate': [[2, 3, 4, 5, 6, 7], [0, 1, 2, 3, 4, 5]], 'like/gsm': [[0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 4, 5]] },
};

const spent = (targetCalls: number, optimizerCalls = 0) => ({ targetCalls, optimizerCalls, tokens: targetCalls * 100 + optimizerCalls * 400 });

/** Anytime candidates for opro per seed: (score, target calls at score). */
export const FIXTURE_OPRO_CANDIDATES: [Array<[number, number]>, Array<[number, number]>] = [
  [
    [0.3, 10],
    [0.5, 20],
    [0.4, 30],
  ],
  [
    [0.2, 10],
    [0.6, 30],
  ],
];

function reflections() {
  const shown = (id: string, trueCause: string) => ({ exampleId: id, input: `q ${id}`, output: 'o', gold: 'g', trueCause });
  return [
    {
      step: 1,
      parentId: 'c0',
      shown: [shown('e8', 'FORMAT'), shown('e9', 'DISTRACTION')],
      metaPrompt: 'm',
      text: 'The final answer was not written in the required format.',
      editIds: ['c1'],
      fixed: { c1: ['e8'] },
      broke: { c1: [] },
    },
    { step: 2, parentId: 'c1', shown: [shown('e9', 'REASONING_SLIP')], metaPrompt: 'm', text: 'The model did not follow the instruction.', editIds: ['c2'] },
  ];
}

/**
 * Writes the fixture run into `dir`. With `extraTarget`, every finished cell is
 * repeated on that target too with one correct test example fewer (so the
 * report has two target sizes and draws its scaling plot).
 */
export function writeFixtureRun(dir: string, opts: { extraTarget?: string } = {}): string {
  mkdirSync(path.join(dir, 'cells'), { recursive: true });
  writeFileSync(path.join(dir, 'suite.json'), JSON.stringify({ name: 'fixture', optimizers: Object.keys(FIXTURE_CORRECT), tasks: FIXTURE_TASKS, seeds: [0, 1] }));
  const limits = { targetCalls: 40, optimizerCalls: 10, tokens: 'Infinity' };
  const targets = [FIXTURE_TARGET, ...(opts.extraTarget ? [opts.extraTarget] : [])];
  for (const target of targets)
  for (const [optimizer, byTask] of Object.entries(FIXTURE_CORRECT)) {
    for (const task of FIXTURE_TASKS) {
      for (const seed of [0, 1]) {
        const id = `${optimizer}__${task.replace('/', '-')}__${target}__s${seed}`;
        const cdir = path.join(dir, 'cells', id);
        mkdirSync(cdir, { recursive: true });
        const spec = { id, suite: 'fixture', optimizer, options: {}, task, target, optimizerModel: FIXTURE_OPT_MODEL, seed, mode: 'equal', limits, testLimit: 10 };
        writeFileSync(path.join(cdir, 'spec.json'), JSON.stringify(spec));
        const correct = new Set(target === FIXTURE_TARGET ? byTask[task]![seed]! : byTask[task]![seed]!.slice(1));
        const samples = Array.from({ length: 10 }, (_, i) => ({ split: 'test', exampleId: `e${i}`, correct: correct.has(i), pred: correct.has(i) ? 'g' : 'x', gold: 'g', output: `answer ${i}` }));
        samples.push({ split: 'dev', exampleId: 'd0', correct: true, pred: 'g', gold: 'g', output: 'a' });
        writeFileSync(path.join(cdir, 'samples.jsonl'), samples.map((s) => JSON.stringify(s)).join('\n') + '\n');
        writeFileSync(path.join(cdir, 'events.jsonl'), JSON.stringify({ type: 'step', step: 0 }) + '\n');
        const cands =
          optimizer === 'opro'
            ? FIXTURE_OPRO_CANDIDATES[seed]!
            : optimizer === 'empty'
              ? ([[0.4, 10]] as Array<[number, number]>)
              : ([
                  [0.35, 5],
                  [0.45, 25],
                ] as Array<[number, number]>);
        const candidates = cands.map(([score, t], i) => ({ id: `c${i}`, prompt: { instruction: `p${i}` }, score, parents: [], step: i, origin: 'x', spentAtProposal: spent(t - 1, i), spentAtScore: spent(t, i) }));
        const n = correct.size;
        const result = {
          id,
          spec,
          stoppedBy: optimizer === 'empty' ? 'done' : seed === 0 ? 'budget' : 'done',
          spent: spent(cands[cands.length - 1]![1], optimizer === 'empty' ? 0 : 8),
          best: { instruction: `best of ${optimizer}` },
          bestScore: Math.max(...cands.map((c) => c[0])),
          dev: { n: 1, correct: 1, accuracy: 1 },
          test: { n: 10, correct: n, accuracy: n / 10 },
          trajectory: { candidates, reflections: optimizer === 'protegi' ? reflections() : [], steps: [] },
          // Anytime checkpoints at 25/50/75/100% of the 40 target calls: the incumbent's test counts.
          checkpoints: [10, 20, 30, 40].map((t, i) => {
            const inc = cands.filter(([, at]) => at <= t).sort((x, y) => y[0] - x[0])[0];
            const k = inc ? Math.max(0, n - (3 - i)) : 0;
            return { fraction: (i + 1) / 4, targetCalls: t, candidateId: inc ? `c${cands.indexOf(inc)}` : null, score: inc ? inc[0] : null, n: inc ? 10 : 0, correct: k };
          }),
          usage: {},
        };
        writeFileSync(path.join(cdir, 'result.json'), JSON.stringify(result));
      }
    }
  }
  // A failed cell (error.json) and an unfinished one (spec only).
  const failed = path.join(dir, 'cells', 'opro__like-gsm__sim-8b__s2');
  mkdirSync(failed, { recursive: true });
  writeFileSync(path.join(failed, 'spec.json'), JSON.stringify({ id: 'opro__like-gsm__sim-8b__s2', optimizer: 'opro', options: {}, task: 'like/gsm', target: FIXTURE_TARGET, optimizerModel: FIXTURE_OPT_MODEL, seed: 2, mode: 'equal', limits }));
  writeFileSync(path.join(failed, 'error.json'), JSON.stringify({ message: 'provider returned 500 three times\nstack...' }));
  const unfinished = path.join(dir, 'cells', 'protegi__like-gsm__sim-8b__s2');
  mkdirSync(unfinished, { recursive: true });
  writeFileSync(path.join(unfinished, 'spec.json'), JSON.stringify({ id: 'protegi__like-gsm__sim-8b__s2', optimizer: 'protegi', options: {}, task: 'like/gsm', target: FIXTURE_TARGET, optimizerModel: FIXTURE_OPT_MODEL, seed: 2, mode: 'equal', limits }));
  return dir;
}
