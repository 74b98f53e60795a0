import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../core/rng.js';
import { makeTask, renderPrompt } from '../tasks/task.js';
import {
  ape,
  APE_DEFAULTS,
  apeInitial,
  armMean,
  buildForwardMetaPrompt,
  buildResampleMetaPrompt,
  numberWord,
  parseApeReply,
  ucbChoose,
  ucbScores,
  likelihoodQuery,
  likelihoodReward,
  LIKELIHOOD_REQUEST as LREF_FIELDS,
  type ApeOptions,
} from './ape.js';
import { UserError } from '../core/errors.js';
import type { LLMRequest, TokenLogprob } from '../core/types.js';
import { fakeQuality, makeFakeContext } from './fake-context.test-util.js';
import { makeTestContext } from './testkit.js';
import { buildStack, openaiProvider } from '../llm/index.js';
import { startSimServer } from '../sim/server.js';

/** Reference outputs (header: "source" in the fixture file). */
const REF = JSON.parse(readFileSync(path.join(import.meta.dirname, 'reference/ape-reference.json'), 'utf8')) as { source: string; forwardQuery: string; evalQuery: string };

describe('APE templates', () => {
  const demos = Array.from({ length: 5 }, (_, i) => ({ input: `in ${i}`, output: `out ${i}` }));
  it('forward generation equals the query the reference sends (reference/ape-reference.json): no <COMPLETE>, the model continues', () => {
    expect(REF.source).toMatch(/ape\.py:8/);
    expect(buildForwardMetaPrompt(demos)).toBe(REF.forwardQuery);
    expect(buildForwardMetaPrompt(demos)).not.toMatch(/COMPLETE/);
  });
  it("the evaluation prompt is the reference's template (layout 'ape', APE's starting prompt)", () => {
    expect(renderPrompt({ ...apeInitial(), instruction: 'add the numbers' }, '2 3')).toBe(REF.evalQuery);
  });
  it("the paper's forward template (option) ends where the model continues", () => {
    const meta = buildForwardMetaPrompt(demos, 'paper');
    expect(meta.startsWith('I gave a friend an instruction and five inputs. The friend read the instruction and wrote an output for every one of the inputs. Here are the input-output pairs:')).toBe(true);
    for (const d of demos) expect(meta).toContain(`Input: ${d.input}\nOutput: ${d.output}`);
    expect(meta.endsWith('The instruction was')).toBe(true);
    expect(buildForwardMetaPrompt(demos.slice(0, 3), 'paper')).toContain('and three inputs.');
    expect(numberWord(12)).toBe('12');
  });

  it('resampling asks for a semantic-preserving variation', () => {
    expect(buildResampleMetaPrompt('Add the numbers.')).toBe(
      'Generate a variation of the following instruction while keeping the semantic meaning.\n\nInput: Add the numbers.\n\nOutput:',
    );
  });

  it('parses plain replies', () => {
    expect(parseApeReply('  to add the two numbers.\n1. Read.\n2. Add.  ')).toBe('Add the two numbers.\n1. Read.\n2. Add.');
    expect(parseApeReply('The instruction was "Sort the words."')).toBe('Sort the words.');
    expect(parseApeReply('Output: Count the objects.')).toBe('Count the objects.');
    expect(parseApeReply('\n\n')).toBe('');
    expect(parseApeReply('Answer. End with "So the answer is no."')).toBe('Answer. End with "So the answer is no."');
    expect(parseApeReply('“Count them.”')).toBe('Count them.');
    expect(parseApeReply('Today, answer carefully.')).toBe('Today, answer carefully.');
  });
});

describe('UCB', () => {
  it('explores unplayed arms first', () => {
    const arms = [
      { pulls: 10, correct: 10 },
      { pulls: 0, correct: 0 },
      { pulls: 10, correct: 0 },
      { pulls: 0, correct: 0 },
    ];
    const chosen = ucbChoose(arms, 2, 1, new Rng(3));
    expect([...chosen].sort()).toEqual([1, 3]);
    expect(ucbScores(arms, 1)[1]).toBe(Infinity);
    // all unplayed: a random choice of distinct arms
    const fresh = Array.from({ length: 6 }, () => ({ pulls: 0, correct: 0 }));
    const picks = [1, 2, 3, 4].map((s) => ucbChoose(fresh, 2, 1, new Rng(s)).join(','));
    expect(new Set(picks).size).toBeGreaterThan(1);
  });

  it('picks the arm with the highest upper bound mean + c·sqrt(ln N / n)', () => {
    // arm 0: mean 0.6 over 50; arm 1: mean 0.5 over 5 (wide bound); arm 2: mean 0.7 over 50
    const arms = [
      { pulls: 50, correct: 30 },
      { pulls: 5, correct: 2.5 },
      { pulls: 50, correct: 35 },
    ];
    const N = 105;
    const expected = arms.map((a) => armMean(a) + Math.sqrt(Math.log(N) / a.pulls));
    expect(ucbScores(arms, 1)).toEqual(expected);
    expect(ucbChoose(arms, 1, 1, new Rng(0))).toEqual([1]); // exploration bonus wins with c = 1
    expect(ucbChoose(arms, 1, 0, new Rng(0))).toEqual([2]); // greedy with c = 0
    expect(ucbChoose(arms, 3, 1, new Rng(0))).toEqual([1, 2, 0]);
  });
});

const small: ApeOptions = {
  ...APE_DEFAULTS,
  resample: true,
  finalFullEval: true,
  numSubsamples: 2,
  proposalsPerSubsample: 4,
  banditRounds: 4,
  resampleRounds: 1,
  keepTop: 2,
  variationsPerCandidate: 3,
};

describe('APE loop (fake LLMs)', () => {
  it('proposes with the forward template, selects with UCB on subsets, resamples, and scores the kept ones in full', async () => {
    const f = makeFakeContext();
    const res = await ape.optimize(f.ctx, small);
    expect(res.stoppedBy).toBe('done');
    expect(f.optimizerCalls()).toBe(2 * 4 + 2 * 3);
    const forward = res.trajectory.candidates.filter((c) => c.origin === 'ape-forward');
    const resampled = res.trajectory.candidates.filter((c) => c.origin === 'ape-resample');
    expect(forward.length).toBeGreaterThan(0);
    expect(resampled.length).toBeGreaterThan(0);
    for (const c of forward) {
      expect(c.metaPrompt).toMatch(/^I gave a friend an instruction\. Based on the instruction they produced the following input-output pairs:/);
      expect(c.metaPrompt!.match(/^Input: /gm)).toHaveLength(5);
      expect(c.metaPrompt).toMatch(/The instruction was to$/);
    }
    for (const c of resampled) {
      expect(c.parents).toHaveLength(1);
      const parent = res.trajectory.candidates.find((p) => p.id === c.parents[0])!;
      expect(c.metaPrompt).toBe(buildResampleMetaPrompt(parent.prompt.instruction));
    }
    // subset evaluations use samplesPerRound examples; the final ones the full dev set
    const evals = f.events.filter((e) => e.type === 'evaluation');
    expect(evals.some((e) => e.n === 5)).toBe(true);
    const full = evals.filter((e) => e.n === f.ctx.dev.length).map((e) => e.candidateId);
    expect(full).toContain(res.trajectory.steps.at(-1)!.bestId);
    const best = res.trajectory.candidates.find((c) => c.prompt.instruction === res.best.instruction)!;
    expect(full).toContain(best.id);
    expect(res.bestScore).toBe(best.score);
    expect(fakeQuality(res.best.instruction)).toBeGreaterThan(fakeQuality(''));
  });

  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const f = makeFakeContext({ seed: 11 });
      const r = await ape.optimize(f.ctx, small);
      return [r.best, r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score, c.parents]), r.trajectory.steps.map((s) => [s.bestId, s.bestScore])];
    };
    expect(await run()).toEqual(await run());
  });

  it("bandit 'none' scores every candidate on the full set; resample false makes no variations", async () => {
    const f = makeFakeContext();
    const res = await ape.optimize(f.ctx, { ...small, bandit: 'none', resample: false });
    expect(res.trajectory.candidates.every((c) => c.origin === 'ape-forward')).toBe(true);
    expect(f.optimizerCalls()).toBe(8);
    const evals = f.events.filter((e) => e.type === 'evaluation');
    expect(evals.every((e) => e.n === f.ctx.dev.length)).toBe(true);
    const best = Math.max(...res.trajectory.candidates.map((c) => c.score!));
    expect(res.bestScore).toBe(best);
  });

  it('never exceeds the budget and stops with "budget" when it binds (Infinity rounds)', async () => {
    for (const budget of [{ targetCalls: 150 }, { optimizerCalls: 20 }]) {
      const f = makeFakeContext({ budget });
      const res = await ape.optimize(f.ctx, { ...small, resampleRounds: Infinity, banditRounds: Infinity });
      expect(res.stoppedBy).toBe('budget');
      if (budget.targetCalls) {
        expect(f.targetCalls()).toBeLessThanOrEqual(budget.targetCalls);
        // the plan keeps enough to score the returned candidate on the full set: re-evaluating
        // it there is all memoized (no new call) and gives the returned score
        const before = f.targetCalls();
        const again = await f.ctx.evaluator.evaluate(res.best, f.ctx.dev);
        expect(f.targetCalls()).toBe(before);
        expect(again.accuracy).toBe(res.bestScore);
      }
      if (budget.optimizerCalls) expect(f.optimizerCalls()).toBeLessThanOrEqual(budget.optimizerCalls);
      expect(res.trajectory.candidates.length).toBeGreaterThan(0);
    }
  });

  it('schema: strict, accepts Infinity rounds', () => {
    expect(ape.schema.parse(APE_DEFAULTS)).toEqual(APE_DEFAULTS);
    expect(() => ape.schema.parse({ ...APE_DEFAULTS, bandits: 'ucb' })).toThrow();
    expect(() => ape.schema.parse({ ...APE_DEFAULTS, bandit: 'thompson' })).toThrow();
    expect(ape.schema.parse({ ...APE_DEFAULTS, resampleRounds: 'Infinity' }).resampleRounds).toBe(Infinity);
  });
});

describe('APE in sim', () => {
  const simOptions: ApeOptions = { ...APE_DEFAULTS, resample: true, finalFullEval: true, numSubsamples: 2, proposalsPerSubsample: 5, banditRounds: 6, resampleRounds: 1, keepTop: 3, variationsPerCandidate: 3 };
  const make = async (budget?: { targetCalls?: number; optimizerCalls?: number }, seed = 1) => {
    const k = await makeTestContext({ task: 'like/object_counting', devSize: 30, trainSize: 30, seed, ...(budget ? { budget } : {}) });
    k.ctx.initial = apeInitial(); // the reference starting prompt (its evaluation template)
    return k;
  };

  it('improves over the starting prompt, with forward and resample meta-prompts as in the paper', async () => {
    const k = await make();
    const res = await ape.optimize(k.ctx, simOptions);
    expect(res.stoppedBy).toBe('done');
    const start = await k.ctx.evaluator.evaluate({ instruction: '' }, k.ctx.dev);
    expect(res.best.layout).toBe('ape');
    const best = await k.ctx.evaluator.evaluate(res.best, k.ctx.dev);
    expect(best.accuracy).toBe(res.bestScore);
    expect(best.accuracy).toBeGreaterThan(start.accuracy);
    const forward = res.trajectory.candidates.filter((c) => c.origin === 'ape-forward');
    const resampled = res.trajectory.candidates.filter((c) => c.origin === 'ape-resample');
    expect(forward.length).toBeGreaterThan(0);
    expect(resampled.length).toBeGreaterThan(0);
    for (const c of forward) {
      expect(c.metaPrompt).toMatch(/^I gave a friend an instruction\. Based on the instruction they produced the following input-output pairs:/);
      expect(c.metaPrompt!.match(/^Input: .*\nOutput: /gm)).toHaveLength(5);
      expect(c.metaPrompt).toMatch(/The instruction was to$/);
    }
    for (const c of resampled) expect(c.metaPrompt).toMatch(/^Generate a variation of the following instruction while keeping the semantic meaning\.\n\nInput: [\s\S]+\n\nOutput:$/);
  });

  it('is deterministic for a fixed seed', async () => {
    const run = async () => {
      const k = await make();
      const r = await ape.optimize(k.ctx, simOptions);
      return [r.best, r.bestScore, r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score, c.origin])];
    };
    expect(await run()).toEqual(await run());
  });

  it('stays within the budget (provider counters) and stops with "budget" when it binds', async () => {
    for (const budget of [{ targetCalls: 150 }, { optimizerCalls: 12 }]) {
      const k = await make(budget);
      const res = await ape.optimize(k.ctx, { ...simOptions, resampleRounds: Infinity });
      expect(res.stoppedBy).toBe('budget');
      expect(k.targetCalls()).toBeLessThanOrEqual(budget.targetCalls ?? Infinity);
      expect(k.optimizerCalls()).toBeLessThanOrEqual(budget.optimizerCalls ?? Infinity);
    }
  });
});

describe('APE with its reference defaults in the sim', () => {
  it('improves on the test split over the empty instruction (like/object_counting)', async () => {
    const k = await makeTestContext({ task: 'like/object_counting', devSize: 30, trainSize: 30, seed: 1 });
    k.ctx.initial = apeInitial();
    const res = await ape.optimize(k.ctx, APE_DEFAULTS);
    const test = k.task.splits.test.slice(0, 200);
    const best = await k.ctx.evaluator.evaluate(res.best, test);
    const empty = await k.ctx.evaluator.evaluate(apeInitial(), test);
    expect(best.accuracy).toBeGreaterThan(empty.accuracy);
  });
});

/** The reference's likelihood scoring run on canned replies (header: "source" in the fixture file). */
const LREF = JSON.parse(readFileSync(path.join(import.meta.dirname, 'reference/ape-likelihood-reference.json'), 'utf8')) as {
  source: string;
  evalTemplate: string;
  cases: {
    prompt: string;
    logprobs: number;
    echo: boolean;
    max_tokens: number;
    reply: { text: string; logprobs: { tokens: string[]; token_logprobs: (number | null)[]; text_offset: number[] } };
    outputLogprobs: number[];
    mean: number;
  }[];
};

describe('APE likelihood scoring (scorer: likelihood) against the reference', () => {
  const task = makeTask({ id: 'ape-lik', family: 'like', description: 'fixture', answerFormat: 'text', concepts: [], splits: { train: [], dev: [], test: [] } });
  const examples: Record<string, string> = { '2 3': '5', '10 7': '17', 'Tom has 3 apples and buys 4 more. How many apples does he have?': '7 apples' };
  const caseOf = (c: (typeof LREF.cases)[number]) => {
    const m = /^\nInstruction: (.*)\n\nInput: ([\s\S]*)\nOutput: /.exec(c.prompt)!;
    return { instruction: m[1]!, example: { id: m[2]!, input: m[2]!, target: examples[m[2]!]! } };
  };
  const tokensOf = (c: (typeof LREF.cases)[number], withOffsets: boolean): TokenLogprob[] =>
    c.reply.logprobs.tokens.map((token, i) => ({ token, logprob: c.reply.logprobs.token_logprobs[i]!, ...(withOffsets ? { offset: c.reply.logprobs.text_offset[i]! } : {}) }));

  it('sends the reference text (get_query, a leading newline) with logprobs 1, echo and max_tokens 0', () => {
    expect(LREF.source).toMatch(/likelihood\.py/);
    expect(LREF.cases).toHaveLength(6);
    for (const c of LREF.cases) {
      const { instruction, example } = caseOf(c);
      expect(likelihoodQuery(task, { instruction, layout: 'ape' }, example).text).toBe(c.prompt);
      expect([c.logprobs, c.echo, c.max_tokens]).toEqual([LREF_FIELDS.topLogprobs, LREF_FIELDS.echo, APE_DEFAULTS.likelihoodMaxTokens]);
    }
  });

  it("scores each example as the reference does: the output tokens' mean log-probability (with or without text_offset)", () => {
    for (const c of LREF.cases) {
      const { instruction, example } = caseOf(c);
      const q = likelihoodQuery(task, { instruction, layout: 'ape' }, example);
      expect(likelihoodReward(tokensOf(c, true), q.start, q.end)).toBeCloseTo(c.mean, 12);
      expect(likelihoodReward(tokensOf(c, false), q.start, q.end)).toBeCloseTo(c.mean, 12);
    }
  });

  it('an optimize run sends those requests and ranks by the mean log-probability', async () => {
    const seen: LLMRequest[] = [];
    const k = await makeTestContext({ task: 'like/object_counting', devSize: 10, trainSize: 10, seed: 1 });
    k.ctx.initial = apeInitial();
    const inner = k.ctx.target;
    k.ctx.target = { provider: inner.provider, model: inner.model, complete: (req, s) => (seen.push(req), inner.complete(req, s)) };
    const res = await ape.optimize(k.ctx, { ...APE_DEFAULTS, scorer: 'likelihood', numSubsamples: 2, proposalsPerSubsample: 3, banditRounds: 4 });
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r).toMatchObject({ echo: true, logprobs: true, topLogprobs: 1, maxTokens: 0, temperature: 0.7, topP: 1, role: 'target' });
      expect(r.prompt).toMatch(/^\nInstruction: [\s\S]*\n\nInput: [\s\S]+\nOutput: \S/);
    }
    const scored = res.trajectory.candidates.filter((c) => c.score !== undefined);
    expect(scored.length).toBeGreaterThan(1);
    for (const c of scored) expect(c.score).toBeGreaterThan(0);
    expect(res.bestScore).toBe(Math.max(...scored.map((c) => c.score!)));
  });

  it('an endpoint that returns no log-probabilities is a one-line error naming the target', async () => {
    const k = await makeTestContext({ task: 'like/object_counting', devSize: 10, trainSize: 10, seed: 1 });
    const inner = k.ctx.target;
    k.ctx.target = { provider: 'openai', model: 'no-logprobs', complete: async (req, s) => {
      const r = await inner.complete(req, s);
      return { ...r, choices: r.choices.map(({ logprobs: _l, ...c }) => c) };
    } };
    const err = await ape.optimize(k.ctx, { ...APE_DEFAULTS, scorer: 'likelihood', numSubsamples: 1, proposalsPerSubsample: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/^ape: scorer "likelihood" needs the log-probabilities of an echoed prompt .* target openai:no-logprobs returned none; .*scorer: accuracy$/);
    expect((err as Error).message).not.toMatch(/\n/);
  });
});

describe('APE with scorer: likelihood in the sim', () => {
  it('improves on the test split over the empty instruction (like/object_counting)', async () => {
    const k = await makeTestContext({ task: 'like/object_counting', devSize: 30, trainSize: 30, seed: 1 });
    k.ctx.initial = apeInitial();
    const res = await ape.optimize(k.ctx, { ...APE_DEFAULTS, scorer: 'likelihood' });
    const test = k.task.splits.test.slice(0, 200);
    const best = await k.ctx.evaluator.evaluate(res.best, test);
    const empty = await k.ctx.evaluator.evaluate(apeInitial(), test);
    expect(best.accuracy).toBeGreaterThan(empty.accuracy);
  });
});

describe('APE likelihood over HTTP (serve-sim on loopback, the OpenAI-compatible provider)', () => {
  it('sends echo + logprobs to /v1/completions and scores exactly as in-process', async () => {
    const opts = { ...APE_DEFAULTS, scorer: 'likelihood' as const, numSubsamples: 2, proposalsPerSubsample: 3, banditRounds: 4 };
    const local = await makeTestContext({ task: 'like/object_counting', devSize: 10, trainSize: 10, seed: 2 });
    local.ctx.initial = apeInitial();
    const inProcess = await ape.optimize(local.ctx, opts);

    const remote = await makeTestContext({ task: 'like/object_counting', devSize: 10, trainSize: 10, seed: 2 });
    remote.ctx.initial = apeInitial();
    const server = await startSimServer({ world: remote.world });
    try {
      remote.ctx.target = buildStack(openaiProvider({ model: 'sim-8b', baseURL: server.url }), { budget: remote.ctx.budget, timeoutMs: 10_000 });
      const overHttp = await ape.optimize(remote.ctx, opts);
      const scores = (r: typeof inProcess) => r.trajectory.candidates.map((c) => [c.prompt.instruction, c.score]);
      expect(scores(overHttp)).toEqual(scores(inProcess));
      expect(overHttp.best).toEqual(inProcess.best);
    } finally {
      await server.close();
    }
  });
});
