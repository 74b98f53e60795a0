/**
 * Golden replies of the sim targets: a fixed set of requests (model, world,
 * task, split seed, prompt, example, temperature, sample index, n, maxTokens,
 * stop) whose replies (text, finish reason, usage, and the annotation fields
 * the evaluator reads: trueCause, correct) are hashed and compared with the
 * hashes recorded below. Any change to what a sim target says changes a hash:
 * a speed-up must leave them as they are; a deliberate change of the sim's
 * rules records new ones (print them with GOLDEN_PRINT=1).
 *
 * The same requests answered in another order, by a world that has already
 * answered them (warm caches) and by a fresh one, must give the same replies:
 * no reply may depend on what was asked before.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import type { LLMRequest, Position, Prompt, Task } from '../core/types.js';
import { LIKE_TASKS } from '../tasks/like/index.js';
import { REPO_ROOT, loadTask } from '../tasks/registry.js';
import { SimWorld, simComplete } from './index.js';
import type { SimAnnotation } from './target.js';
import { kitTasks } from './testkit.js';

const DATA = path.resolve(REPO_ROOT, '../shared/datasets');
const haveData = existsSync(DATA);
if (!haveData) console.warn(`[sim] real datasets not found at ${DATA}; skipping the golden replies on gsm8k, bbh and mmlu`);

const MODELS = ['sim-1b', 'sim-8b', 'sim-70b'] as const;
const WORLDS = [0, 3] as const;

interface Golden {
  model: string;
  world: number;
  label: string;
  req: LLMRequest;
}

/** The prompts tried on every task: every documented feature, alone and together. */
function prompts(task: Task): Prompt[] {
  const c = task.concepts;
  const fi = task.formatInstruction ?? '';
  const train = task.splits.train;
  const demo = (i: number, right: boolean, cot: boolean) => {
    const ex = train[i % train.length]!;
    const value = right ? ex.target : `${ex.target} not`;
    return { input: ex.input, output: cot ? `Let's think step by step. We work it out carefully and check each part of the question again. So the answer is ${value}.` : `So the answer is ${value}.` };
  };
  const positions: Position[] = ['Q_begin', 'Q_end', 'before_Q', 'A_begin'];
  const out: Prompt[] = [
    { instruction: '' },
    { instruction: "Let's think step by step." },
    { instruction: `Let's think step by step. Remember to apply ${c.join(', ')}. ${fi}` },
    { instruction: `1. Read the question.\n2. Apply ${c[0] ?? 'the rules'}.\n3. Check the result.\n${fi}`, position: 'before_Q' },
    { instruction: 'Answer with True or False. Give the option letter.' },
    { instruction: 'The weather in Paris is lovely in springtime and the cafes serve fresh croissants daily. Solve the problem.' },
    { instruction: 'Recall the relevant facts first. End with "#### N".', position: 'Q_end' },
    { instruction: 'Solve it.', demos: [demo(0, true, true), demo(1, false, false), demo(2, true, false)], position: 'Q_end' },
    { instruction: `Show your work. ${'Think about every detail of the problem before you answer it. '.repeat(9)}Put the final answer in \\boxed{}.`, position: 'A_begin' },
    { instruction: `Explain your reasoning and name ${c.slice(0, 2).join(' and ')} where they apply. Answer: with "Answer: X".`, layout: 'plain', position: 'Q_end' },
    { instruction: 'Reason carefully.', demos: [demo(3, true, true)], layout: 'ape' },
  ];
  return out.map((p, i) => (p.position || p.layout ? p : { ...p, position: positions[i % positions.length]! }));
}

function requestsFor(task: Task, tag: string): Golden[] {
  const out: Golden[] = [];
  const rng = new Rng(sha256(tag).length + tag.length);
  const { train, dev, test } = task.splits;
  const examples = [...test.slice(0, 4), dev[0] ?? test[4]!, train[5 % train.length] ?? test[5]!];
  prompts(task).forEach((prompt, pi) => {
    examples.forEach((ex, ei) => {
      const k = pi * examples.length + ei;
      const model = MODELS[k % MODELS.length]!;
      const world = WORLDS[Math.floor(k / 3) % WORLDS.length]!;
      const messages = task.render(prompt, ex);
      const base: LLMRequest = { messages, maxTokens: 512, ...(task.stop?.length ? { stop: [...task.stop] } : {}) };
      const variants: LLMRequest[] = [base];
      // sampling: temperature, sample index, n, truncation, stop sequences
      if (k % 2 === 0) variants.push({ ...base, temperature: 0.7, sampleIndex: Math.floor(rng.next() * 4) });
      if (k % 5 === 0) variants.push({ ...base, temperature: 1, n: 2, sampleIndex: 1 });
      if (k % 7 === 0) variants.push({ ...base, maxTokens: 6 });
      if (k % 11 === 0) variants.push({ ...base, stop: ['\n'] });
      for (const [vi, req] of variants.entries()) out.push({ model, world, label: `${tag} p${pi} ${ex.id} v${vi}`, req });
    });
  });
  return out;
}

/** What the set covers: true causes (by kind), correct answers, ignored instructions, truncations. */
const seen = new Set<string>();

/** One reply as the evaluator sees it: text, finish reason, usage, trueCause and correct. */
function replyDigest(model: string, world: SimWorld, req: LLMRequest): string {
  const res = simComplete(model, world, req);
  for (const c of res.choices) {
    const sim = c.annotations?.['sim'] as SimAnnotation | undefined;
    seen.add(sim?.correct ? 'correct' : (sim?.trueCause ?? 'unrecognised').split(':')[0]!);
    if (sim?.instructionIgnored) seen.add('ignored');
    if (c.finishReason === 'length') seen.add('length');
  }
  return sha256({
    choices: res.choices.map((c) => {
      const sim = c.annotations?.['sim'] as SimAnnotation | undefined;
      return { text: c.text, finishReason: c.finishReason ?? null, trueCause: sim?.trueCause ?? null, correct: sim?.correct ?? null };
    }),
    usage: res.usage,
  });
}

function worldsFor(tasks: Task[]): Map<number, SimWorld> {
  const m = new Map<number, SimWorld>();
  for (const w of WORLDS) {
    const sw = new SimWorld({ world: w });
    for (const t of tasks) sw.register(t);
    m.set(w, sw);
  }
  return m;
}

function digests(goldens: Golden[], worlds: Map<number, SimWorld>, order: number[]): string[] {
  const out: string[] = new Array(goldens.length);
  for (const i of order) {
    const g = goldens[i]!;
    out[i] = replyDigest(g.model, worlds.get(g.world)!, g.req);
  }
  return out;
}

function check(name: string, tasks: Task[], expected: string) {
  const unrecognised: Golden = { model: 'sim-8b', world: 0, label: 'unrecognised', req: { messages: [{ role: 'user', content: 'What is the capital of France?' }] } };
  const goldens = [...tasks.flatMap((t, i) => requestsFor(t, `${t.id}#${i}`)), unrecognised];
  seen.clear();
  const inOrder = goldens.map((_, i) => i);
  const worlds = worldsFor(tasks);
  const first = digests(goldens, worlds, inOrder);
  const total = sha256(first);
  if (process.env['GOLDEN_PRINT']) console.log(`golden ${name}: ${goldens.length} requests, ${total}`);
  for (const kind of ['correct', 'FORMAT', 'DISTRACTION', 'MISSING_CONCEPT', 'KNOWLEDGE_GAP', 'REASONING_SLIP', 'INSTRUCTION_IGNORED', 'ignored', 'length', 'unrecognised'])
    expect(seen, `the golden set of ${name} covers ${kind}`).toContain(kind);
  expect(total, `golden replies of ${name} changed (${goldens.length} requests)`).toBe(expected);

  // Call order: shuffled in the warm worlds, reversed in fresh ones.
  const shuffled = new Rng(7).shuffle([...inOrder]);
  expect(digests(goldens, worlds, shuffled)).toEqual(first);
  expect(digests(goldens, worldsFor(tasks), [...inOrder].reverse())).toEqual(first);
}

describe('golden sim target replies', () => {
  it('hand-made tasks and every like/ task (two split seeds of like/gsm)', () => {
    const tasks: Task[] = [
      ...kitTasks(40),
      ...LIKE_TASKS.map((n) => loadTask(`like/${n}?size=60`)),
      loadTask('like/gsm?size=60', { seed: 1 }),
    ];
    check('kit + like', tasks, 'b3cd9417945333da09ebe13658f5cade1c3f19f1e61234d38904dd8da3f795b2');
  });

  it.skipIf(!haveData)('gsm8k, bbh and mmlu', () => {
    const tasks: Task[] = ['gsm8k', 'bbh/navigate', 'bbh/date_understanding', 'bbh/boolean_expressions', 'bbh/dyck_languages', 'bbh/word_sorting', 'bbh/formal_fallacies', 'mmlu/college_physics'].map((id) =>
      loadTask(id, { dataDir: DATA }),
    );
    check('gsm8k + bbh + mmlu', tasks, '95cb4662cae230a3a9f97998c0bc4d28098fe7256c0d70276b640f8bb150eaad');
  });
});

describe('noise keys written out', () => {
  it('hashNormalOfJson(open) is hashNormal of the key whose canonical JSON opens with `open`', async () => {
    const { hashNormal, hashNormalOfJson } = await import('./target.js');
    const rng = new Rng(3);
    for (let i = 0; i < 200; i++) {
      const key = [sha256(String(i)), ['follow', 'concept:unit "conversion"', 'reasoning', 'é/ü\n'][i % 4]!, 'sample', Math.floor(rng.next() * 9), [0.7, 1, 1e-7, 2][i % 4]!];
      const k = key.slice(0, i % 2 ? 2 : 5);
      expect(hashNormalOfJson(JSON.stringify(k).slice(0, -1))).toBe(hashNormal(k));
    }
  });
});

describe('memoized features', () => {
  it('equal the extractor run afresh, for every prompt of the golden set, and are kept apart per task object', async () => {
    const { extractFeatures, memoFeatures } = await import('./features.js');
    const tasks: Task[] = [...kitTasks(10), loadTask('like/date?size=20'), loadTask('like/mmlu?size=20')];
    const world = new SimWorld();
    for (const t of tasks) world.register(t);
    for (const t of tasks)
      for (const prompt of prompts(t))
        for (const ex of t.splits.test.slice(0, 3)) {
          const text = t.render(prompt, ex).map((m) => m.content).join('\n');
          const matches = world.findAll(text);
          const q = matches[matches.length - 1]!;
          expect(memoFeatures({ text, task: q.task, matches }).features).toEqual(extractFeatures({ text, task: q.task, matches }));
        }
    // the same id and text, another task object with other concepts: its own entry
    const a = kitTasks(10)[0]!;
    const b = { ...a, concepts: ['zeta functions'] };
    const text = `Remember to apply unit conversion and zeta functions.\nQ: ${a.splits.test[0]!.input}\nA:`;
    for (const t of [a, b]) {
      const w = new SimWorld();
      w.register(t);
      const matches = w.findAll(text);
      expect(memoFeatures({ text, task: t, matches }).features.conceptHints).toEqual(t === a ? ['unit conversion'] : ['zeta functions']);
    }
  });
});
