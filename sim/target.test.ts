import { describe, expect, it } from 'vitest';
import type { Task } from '../core/types.js';
import { TELLS } from './causes.js';
import { createSimLLM, SimWorld, simComplete } from './index.js';
import { successProbability, type SimAnnotation } from './target.js';
import { kitTasks } from './testkit.js';
import { FORMAT_PHRASES } from './phrases.js';

const tasks = kitTasks(120);
const world = new SimWorld();
for (const t of tasks) world.register(t);

function run(model: string, task: Task, instruction: string, opts: { temperature?: number; sampleIndex?: number } = {}) {
  return task.splits.test.map((ex) => {
    const r = simComplete(model, world, { messages: task.render({ instruction }, ex), ...opts });
    const c = r.choices[0]!;
    const pred = task.extract(c.text, ex);
    return { ex, text: c.text, pred, correct: task.score(pred, ex), sim: c.annotations!['sim'] as SimAnnotation };
  });
}
const acc = (rows: { correct: boolean }[]) => rows.filter((r) => r.correct).length / rows.length;
const goodPrompt = (t: Task) => `Let's think step by step. Remember to apply ${t.concepts.join(', ')}. ${t.formatInstruction}`;

describe('sim world index', () => {
  it('finds the query as the registered input occurring last, earlier ones being demos', () => {
    const [a, b] = [tasks[0]!.splits.train[0]!, tasks[0]!.splits.test[5]!];
    const hit = world.find(`Q: ${a.input}\nA: 1\n\nQ: ${b.input}\nA:`);
    expect(hit?.example.id).toBe(b.id);
    expect(world.findAll(`Q: ${a.input}\nA: 1\n\nQ: ${b.input}\nA:`).map((m) => m.example.id)).toEqual([a.id, b.id]);
  });
  it('answers unrecognised text honestly', async () => {
    const r = await createSimLLM('sim-8b', world).complete({ messages: [{ role: 'user', content: 'What is the capital of France?' }] });
    expect(r.choices[0]!.text).toMatch(/cannot answer/);
    expect((r.choices[0]!.annotations!['sim'] as SimAnnotation).recognised).toBe(false);
  });
});

describe('sim target models', () => {
  it('is deterministic at temperature 0 and varies with sampleIndex at temperature > 0', () => {
    const t = tasks[0]!;
    const req = { messages: t.render({ instruction: "Let's think step by step." }, t.splits.test[3]!) };
    expect(JSON.stringify(simComplete('sim-8b', world, req))).toBe(JSON.stringify(simComplete('sim-8b', world, req)));
    expect(JSON.stringify(simComplete('sim-8b', world, { ...req, sampleIndex: 4 }))).toBe(JSON.stringify(simComplete('sim-8b', world, req)));
    const a = run('sim-8b', t, '', { temperature: 1, sampleIndex: 0 }).map((r) => r.correct);
    const b = run('sim-8b', t, '', { temperature: 1, sampleIndex: 1 }).map((r) => r.correct);
    expect(a).not.toEqual(b);
  });

  it('the sim annotation agrees with the task scorer on every answer', () => {
    for (const t of tasks)
      for (const ins of ['', goodPrompt(t), 'Answer with True or False.'])
        for (const r of run('sim-8b', t, ins)) expect(r.sim.correct).toBe(r.correct);
  });

  it('larger models score higher on the same prompt', () => {
    for (const t of tasks) {
      const [s, m, l] = ['sim-1b', 'sim-8b', 'sim-70b'].map((mo) => acc(run(mo, t, '')));
      expect(s).toBeLessThan(m!);
      expect(m).toBeLessThan(l!);
    }
  });

  it('format + CoT + concept hints beat the empty prompt; distraction and a wrong format hurt', () => {
    for (const t of tasks) {
      const empty = acc(run('sim-8b', t, ''));
      expect(empty).toBeLessThan(0.6); // headroom
      expect(acc(run('sim-8b', t, goodPrompt(t)))).toBeGreaterThan(empty + 0.15);
      const wrong = t.answerFormat === 'integer' ? FORMAT_PHRASES.true_false : FORMAT_PHRASES.integer;
      expect(acc(run('sim-8b', t, wrong))).toBeLessThan(empty - 0.1);
      const filler =
        'The weather in the mountains is pleasant during the summer months. Many people enjoy gardening on quiet weekends with their friends. Historic libraries often keep rare manuscripts behind glass cabinets.';
      const distracted = run('sim-8b', t, `${goodPrompt(t)} ${filler}`);
      expect(acc(distracted)).toBeLessThan(acc(run('sim-8b', t, goodPrompt(t))));
      expect(distracted.some((r) => r.sim.trueCause === 'DISTRACTION')).toBe(true);
    }
  });

  it('every wrong answer has a true cause whose evidence is in the output text', () => {
    let seen = 0;
    for (const t of tasks)
      for (const r of run('sim-8b', t, `Let's think step by step. ${t.formatInstruction}`)) {
        if (r.correct) {
          expect(r.sim.trueCause).toBeNull();
          continue;
        }
        seen++;
        const cause = r.sim.trueCause!;
        expect(cause).toMatch(/^(INSTRUCTION_IGNORED|DISTRACTION|MISSING_CONCEPT:.+|KNOWLEDGE_GAP|REASONING_SLIP|FORMAT)$/);
        if (cause.startsWith('MISSING_CONCEPT:')) expect(r.text).toContain(TELLS.concept(cause.slice(16)));
        else if (cause === 'KNOWLEDGE_GAP') expect(r.text).toContain(TELLS.knowledge);
        else if (cause === 'REASONING_SLIP') expect(r.text).toContain(TELLS.slip);
        else if (cause === 'FORMAT') expect(r.text).toContain(TELLS.format);
        else if (cause === 'INSTRUCTION_IGNORED') expect(r.text).toContain(TELLS.ignored);
        // a wrong value never equals the gold
        expect(r.pred === null || !t.score(r.pred, r.ex)).toBe(true);
      }
    expect(seen).toBeGreaterThan(50);
  });

  it('FORMAT failures are unparseable by the task extractor', () => {
    let n = 0;
    for (const t of tasks)
      for (const ins of ['', 'Answer with True or False.', FORMAT_PHRASES.letter])
        for (const r of run('sim-1b', t, ins))
          if (r.sim.trueCause === 'FORMAT') {
            n++;
            expect(r.pred).toBeNull();
          }
    expect(n).toBeGreaterThan(20);
  });

  it('uses example.meta difficulty and concepts when given', () => {
    const t = tasks[0]!;
    const ex = { ...t.splits.test[0]!, meta: { difficulty: 0.9, concepts: ['rates'] } };
    expect(world.latent(t, ex)).toEqual({ difficulty: 0.9, concepts: ['rates'] });
  });

  it('is fast: 200 evaluations well under a second and indexing thousands of examples is cheap', () => {
    const big = kitTasks(4000);
    const w = new SimWorld();
    const t0 = performance.now();
    for (const t of big) w.register(t);
    const t1 = performance.now();
    expect(t1 - t0).toBeGreaterThanOrEqual(0);
    const t = big[0]!;
    for (const ex of t.splits.test.slice(0, 200)) simComplete('sim-8b', w, { messages: t.render({ instruction: goodPrompt(t) }, ex) });
    expect(w.find(t.render({ instruction: '' }, t.splits.test[3999]!)[0]!.content)?.example.id).toBe('test-3999');
  });
});

describe('sentences', () => {
  it('keeps a step number with its step', async () => {
    const { sentences } = await import('./features.js');
    expect(sentences('Work through it. 1. Read the question. 2. Apply x.\n3. Check.')).toEqual([
      'Work through it.',
      '1. Read the question.',
      '2. Apply x.',
      '3. Check.',
    ]);
  });
});

describe('shipped worked demos', () => {
  it('are recognised as demos (with their answers), not read as instruction text', async () => {
    const { loadTask } = await import('../tasks/registry.js');
    const base = loadTask('like/navigate?size=10');
    const demo = {
      input: 'If you follow these instructions, do you return to the starting point? Take 2 steps. Turn around. Take 2 steps.\nOptions:\n- Yes\n- No',
      output: "Let's think step by step. We take 2 steps, turn around and take 2 steps back. So the answer is Yes.",
    };
    const task = { ...base, fewShotCot: [demo] };
    const world = new SimWorld();
    world.register(task);
    const ex = task.splits.test[0]!;
    const sim = (t: typeof task) =>
      simComplete('sim-8b', world, { messages: t.render({ instruction: '', demos: [demo] }, ex) }).choices[0]!.annotations!['sim'] as SimAnnotation;
    const a = sim(task);
    expect(a.exampleId).toBe(ex.id); // the query is still the last input
    expect(a.features!.demos).toBe(1);
    expect(a.features!.demosCorrect).toBe(1);
    expect(a.features!.demoCot).toBe(true);
    expect(a.features!.cot).toBe(false); // the demo's "Let's think step by step" is not an instruction
    // Without registering the shipped demo, its text would count as instruction text.
    const bare = new SimWorld();
    bare.register(base);
    const b = simComplete('sim-8b', bare, { messages: task.render({ instruction: '', demos: [demo] }, ex) }).choices[0]!.annotations!['sim'] as SimAnnotation;
    expect(b.features!.demos).toBe(0);
    expect(b.features!.cot).toBe(true);
  });
});

describe('sim log-probabilities (docs/sim.md, "Log-probabilities")', () => {
  const echo = (text: string) => simComplete('sim-8b', world, { messages: [{ role: 'user', content: text }], echo: true, logprobs: true, maxTokens: 0 }).choices[0]!;
  const answerLp = (lp: { offset?: number; logprob: number | null }[], from: number) => lp.filter((t) => t.offset! >= from).reduce((a, t) => a + t.logprob!, 0);

  it('an echoed prompt + answer: prompt tokens 0 (first null), the answer shares ln P (gold) or ln(1 − P) (wrong)', () => {
    const task = tasks[0]!;
    const ex = task.splits.test[3]!;
    const prompt = task.render({ instruction: goodPrompt(task), layout: 'ape' }, ex)[0]!.content;
    const gold = echo(`\n${prompt}${ex.target}`);
    expect(gold.text).toBe(`\n${prompt}${ex.target}`);
    const lp = gold.logprobs!;
    expect(lp[0]!.logprob).toBeNull();
    expect(lp.filter((t) => t.offset! > 0 && t.offset! < prompt.length + 1).every((t) => t.logprob === 0)).toBe(true);
    const P = successProbability('sim-8b', world, prompt)!.p;
    expect(answerLp(lp, prompt.length + 1)).toBeCloseTo(Math.log(P), 10);
    const wrong = echo(`\n${prompt}${ex.target}0`); // another number: scores as wrong
    expect(answerLp(wrong.logprobs!, prompt.length + 1)).toBeCloseTo(Math.log(1 - P), 10);
    // Method-blind: the same text gives the same numbers, whoever sends it.
    expect(echo(`\n${prompt}${ex.target}`).logprobs).toEqual(lp);
  });

  it('P uses the very stage probabilities the answer was drawn with (the same noise)', () => {
    let checked = 0;
    for (const task of tasks)
      for (const ex of task.splits.test.slice(0, 20)) {
        const prompt = task.render({ instruction: '', layout: 'ape' }, ex)[0]!.content; // no directive: no follow stage
        const sim = simComplete('sim-8b', world, { messages: [{ role: 'user', content: prompt }] }).choices[0]!.annotations!['sim'] as SimAnnotation;
        if (!sim.correct) continue; // every stage ran
        const product = sim.stages.reduce((a, st) => a * st.p, 1);
        expect(successProbability('sim-8b', world, prompt)!.p).toBeCloseTo(product, 3);
        checked++;
      }
    expect(checked).toBeGreaterThan(10);
  });

  it('P is the probability the target answers correctly: its mean over examples matches the accuracy at temperature 0', () => {
    for (const instruction of ['', goodPrompt(tasks[0]!)]) {
      let sumP = 0;
      let varP = 0;
      let correct = 0;
      for (const task of tasks)
        for (const ex of task.splits.test) {
          const prompt = task.render({ instruction, layout: 'ape' }, ex)[0]!.content;
          const P = successProbability('sim-8b', world, prompt)!.p;
          sumP += P;
          varP += P * (1 - P);
          const reply = simComplete('sim-8b', world, { messages: [{ role: 'user', content: prompt }], temperature: 0 }).choices[0]!;
          if ((reply.annotations!['sim'] as SimAnnotation).correct) correct++;
        }
      // Thresholds are uniform draws: the number correct is a sum of Bernoulli(P) draws (480 examples; |z| < 3).
      expect(Math.abs(correct - sumP) / Math.sqrt(varP)).toBeLessThan(3);
    }
  });

  it('a generated reply asked for logprobs: its tokens share ln P or ln(1 − P); unrecognised questions and optimizer models give none', () => {
    const task = tasks[0]!;
    const ex = task.splits.test[0]!;
    const messages = task.render({ instruction: '' }, ex);
    const c = simComplete('sim-8b', world, { messages, logprobs: true }).choices[0]!;
    const P = successProbability('sim-8b', world, messages[0]!.content)!.p;
    const total = c.logprobs!.reduce((a, t) => a + t.logprob!, 0);
    expect(total).toBeCloseTo((c.annotations!['sim'] as SimAnnotation).correct ? Math.log(P) : Math.log(1 - P), 10);
    expect(c.logprobs!.map((t) => t.token).join('')).toBe(c.text);
    expect(simComplete('sim-8b', world, { messages: [{ role: 'user', content: 'What is the capital of France?' }], logprobs: true }).choices[0]!.logprobs).toBeUndefined();
    expect(simComplete('sim-opt-large', world, { messages: [{ role: 'user', content: 'Improve this prompt.' }], logprobs: true }).choices[0]!.logprobs).toBeUndefined();
  });
});
