/**
 * ProTeGi / APO — Pryzant et al. 2023, "Automatic Prompt Optimization with
 * 'Gradient Descent' and Beam Search" (EMNLP 2023; reference code:
 * microsoft/LMOps, prompt_optimization/).
 *
 * Beam search over instructions. Each step expands every prompt in the beam:
 * evaluate it on a train minibatch, sample groups of errors, ask the optimizer
 * LLM for textual "gradients" (reasons the prompt fails), ask it to edit the
 * prompt once per gradient, add Monte Carlo paraphrases, then keep the best
 * `beamWidth` of beam ∪ successors with a bandit (UCB or successive rejects).
 *
 * Every gradient is recorded as a reflection: the failures it was shown (with
 * the sim's true cause), the meta-prompt, the reason, the edits it produced
 * and, after the edits are checked on the minibatch, which shown failures each
 * edit fixed and which previously correct minibatch examples it broke.
 */
import { z } from 'zod';
import type { Rng } from '../core/rng.js';
import type { EvalOutcome, EvalResult, Example, OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, allBetween, countSchema, untilBudget } from './common.js';
import type { Candidate, Optimizer, ReflectionRecord, ShownFailure } from './types.js';

export type BanditKind = 'ucb' | 'successive-rejects' | 'none';

export interface ProtegiOptions {
  /** Optimization steps (beam-search rounds). Paper §3 setup: 6. Accepts Infinity. */
  steps: number;
  /** Beam width b. Paper §3 setup: 4. */
  beamWidth: number;
  /** Train minibatch |D_mini| per expansion. Paper §3 setup: 64. */
  minibatchSize: number;
  /** Error groups sampled per parent, one gradient call each (reference code n_gradients = 4). */
  gradients: number;
  /** Errors shown per gradient call. Paper §3 setup: groups of 4 errors. */
  errorsPerGradient: number;
  /** Reasons asked for per gradient call (reference code gradients_per_error = 1). */
  reasonsPerGradient: number;
  /** Edited prompts asked for per reason (paper §3: "edit the prompt once per gradient"). */
  editsPerGradient: number;
  /** Monte Carlo paraphrases of each edit and of the parent (component toggle). */
  paraphrase: boolean;
  /** Paraphrases per prompt. Paper §3 setup: p = 2. */
  mcSamples: number;
  /** Successors kept per parent before bandit selection (random sample). Paper §3 setup: 8. */
  maxExpansion: number;
  /** Successor selection: UCB (paper's default), successive rejects, or 'none' (brute force on one shared sample). */
  bandit: BanditKind;
  /**
   * Example evaluations per selection. Reference code: samples_per_eval 32 ×
   * eval_rounds 8 × eval_prompts_per_round 8 = 2048.
   */
  evalBudget: number;
  /** UCB: examples per pull (reference code samples_per_eval = 32). */
  samplesPerEval: number;
  /** UCB: arms pulled per round (reference code eval_prompts_per_round = 8). */
  promptsPerRound: number;
  /** UCB exploration constant c (reference code default 1.0). */
  ucbC: number;
  /** Show the target's full output with each error example (prediction and gold are always shown). */
  showOutputs: boolean;
  /**
   * How edits are checked for the reflection records: 'minibatch' scores each
   * edit on the whole minibatch (fixed + broke), 'shown' only on the shown
   * failures (fixed), 'off' not at all. Costs target calls; not in the paper.
   */
  editCheck: 'minibatch' | 'shown' | 'off';
  /** Examples the bandit scores candidates on: 'train' (paper) or 'dev'. */
  selectOn: 'train' | 'dev';
  /** Optimizer-LLM sampling temperature (reference code utils.chatgpt: 0.7). */
  temperature: number;
  maxTokens: number;
}

export const PROTEGI_DEFAULTS: ProtegiOptions = {
  steps: 6,
  beamWidth: 4,
  minibatchSize: 64,
  gradients: 4,
  errorsPerGradient: 4,
  reasonsPerGradient: 1,
  editsPerGradient: 1,
  paraphrase: true,
  mcSamples: 2,
  maxExpansion: 8,
  bandit: 'ucb',
  evalBudget: 2048,
  samplesPerEval: 32,
  promptsPerRound: 8,
  ucbC: 1.0,
  showOutputs: true,
  editCheck: 'minibatch',
  selectOn: 'train',
  temperature: 0.7,
  maxTokens: 1024,
};

const pos = z.number().int().positive();
export const protegiSchema = z.strictObject({
  steps: countSchema(),
  beamWidth: pos,
  minibatchSize: pos,
  gradients: z.number().int().nonnegative(),
  errorsPerGradient: pos,
  reasonsPerGradient: pos,
  editsPerGradient: pos,
  paraphrase: z.boolean(),
  mcSamples: z.number().int().nonnegative(),
  maxExpansion: pos,
  bandit: z.enum(['ucb', 'successive-rejects', 'none']),
  evalBudget: pos,
  samplesPerEval: pos,
  promptsPerRound: pos,
  ucbC: z.number().nonnegative(),
  showOutputs: z.boolean(),
  editCheck: z.enum(['minibatch', 'shown', 'off']),
  selectOn: z.enum(['train', 'dev']),
  temperature: z.number().min(0).max(2),
  maxTokens: pos,
}) as z.ZodType<ProtegiOptions>;

// ---------------------------------------------------------------- meta-prompts (reference code optimizers.py)

/** One error example as shown to the optimizer (reference code: Text / Label / Prediction). */
export function formatErrors(failures: readonly ShownFailure[], preds: readonly (string | null)[], showOutputs: boolean): string {
  return failures
    .map((f, i) => {
      const lines = [`## Example ${i + 1}`, `Text: "${f.input.trim()}"`, `Label: ${f.gold}`, `Prediction: ${preds[i] ?? '(no answer found)'}`];
      if (showOutputs) lines.push(`Model output: "${f.output.trim()}"`);
      return lines.join('\n');
    })
    .join('\n\n');
}

/** The gradient meta-prompt (paper §2.1, Figure 2 "∇"; reference code _get_gradients). */
export function gradientMetaPrompt(instruction: string, errorString: string, reasons: number): string {
  return [
    "I'm trying to write a zero-shot classifier prompt.",
    '',
    'My current prompt is:',
    `"${instruction}"`,
    '',
    'But this prompt gets the following examples wrong:',
    errorString,
    '',
    `give ${reasons} reasons why the prompt could have gotten these examples wrong.`,
    'Wrap each reason with <START> and <END>',
  ].join('\n');
}

/** The edit meta-prompt that applies one gradient (paper §2.1, Figure 2 "δ"; reference code apply_gradient). */
export function editMetaPrompt(instruction: string, errorString: string, reason: string, edits: number): string {
  return [
    "I'm trying to write a zero-shot classifier.",
    '',
    'My current prompt is:',
    `"${instruction}"`,
    '',
    'But it gets the following examples wrong:',
    errorString,
    '',
    `Based on these examples the problem with this prompt is that ${reason}`,
    '',
    `Based on the above information, I wrote ${edits} different improved prompts.`,
    'Each prompt is wrapped with <START> and <END>.',
    '',
    `The ${edits} new prompts are:`,
  ].join('\n');
}

/** The Monte Carlo paraphrase meta-prompt (paper §2.2.1; reference code generate_synonyms). */
export function paraphraseMetaPrompt(instruction: string): string {
  return `Generate a variation of the following instruction while keeping the semantic meaning.\n\nInput: ${instruction}\n\nOutput:`;
}

// ---------------------------------------------------------------- bandits (paper §2.2.2, Algorithms 2–3)

/** Scores arms on a shared sample of data; returns mean reward per arm, in the order given. */
export type PullFn<T> = (arms: readonly number[], sample: readonly T[]) => Promise<number[]>;

export interface BanditStats {
  /** Examples each arm was scored on. */
  counts: number[];
  /** Mean reward per arm (0 for arms never pulled, as in the reference code). */
  means: number[];
}

function stats(n: number) {
  const counts = new Array<number>(n).fill(0);
  const sums = new Array<number>(n).fill(0);
  const update = (arms: readonly number[], rewards: readonly number[], m: number) => {
    arms.forEach((a, i) => {
      counts[a]! += m;
      sums[a]! += rewards[i]! * m;
    });
  };
  const result = (): BanditStats => ({ counts, means: sums.map((s, i) => (counts[i]! > 0 ? s / counts[i]! : 0)) });
  return { counts, sums, update, result };
}

/**
 * UCB best-arm identification (paper Algorithm 2, batched as in the
 * reference code: each round pulls the `perRound` arms with the highest
 * upper bound Q + c·sqrt(ln t / N) on one shared sample). N counts examples,
 * t is the total examples scored so far; unpulled arms go first, ties in
 * random order.
 */
export async function ucbBandit<T>(
  nArms: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: { rounds: number; perRound: number; samplesPerEval: number; c: number },
): Promise<BanditStats> {
  const s = stats(nArms);
  for (let r = 0; r < opts.rounds; r++) {
    const total = s.counts.reduce((a, b) => a + b, 0);
    const ucb = (i: number) =>
      s.counts[i] === 0 ? Infinity : s.sums[i]! / s.counts[i]! + opts.c * Math.sqrt(Math.log(Math.max(total, 1)) / s.counts[i]!);
    const order = rng.shuffle(Array.from({ length: nArms }, (_, i) => i));
    const chosen = order
      .map((i) => ({ i, u: ucb(i) }))
      .sort((a, b) => b.u - a.u)
      .slice(0, Math.min(opts.perRound, nArms))
      .map((x) => x.i);
    const sample = rng.sample(data, opts.samplesPerEval);
    if (sample.length === 0) break;
    s.update(chosen, await pull(chosen, sample), sample.length);
  }
  return s.result();
}

/**
 * Successive rejects (Audibert, Bubeck & Munos 2010; paper Algorithm 3):
 * phases k = 1..K with K = n − keep; every surviving arm is scored on
 * n_k − n_{k−1} fresh examples, n_k = ⌈(B − K) / (loḡ(K) · (K + 1 − k))⌉,
 * loḡ(K) = 1/2 + Σ_{i=2..K} 1/i, and the arm with the lowest empirical mean is
 * rejected. At least 4 examples per phase (reference code). Returns the stats
 * and the arms still alive.
 */
export async function successiveRejects<T>(
  nArms: number,
  keep: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: { budget: number },
): Promise<BanditStats & { survivors: number[] }> {
  const s = stats(nArms);
  const alive = Array.from({ length: nArms }, (_, i) => i);
  const K = nArms - keep;
  if (K <= 0) return { ...s.result(), survivors: alive };
  let logBar = 0.5;
  for (let i = 2; i <= K; i++) logBar += 1 / i;
  let prev = 0;
  for (let k = 1; k <= K; k++) {
    const nk = Math.ceil((opts.budget - K) / (logBar * (K + 1 - k)));
    const m = Math.max(4, nk - prev);
    prev = Math.max(prev, nk);
    const sample = rng.sample(data, m);
    if (sample.length === 0) break;
    s.update(alive, await pull(alive, sample), sample.length);
    const means = s.result().means;
    let worst = 0;
    for (let j = 1; j < alive.length; j++) if (means[alive[j]!]! < means[alive[worst]!]!) worst = j;
    alive.splice(worst, 1);
  }
  return { ...s.result(), survivors: alive };
}

/** Brute force: every arm on one shared sample of ⌊budget / n⌋ examples (reference code BruteForceEvaluator). */
export async function bruteForce<T>(
  nArms: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: { budget: number },
): Promise<BanditStats> {
  const s = stats(nArms);
  const sample = rng.sample(data, Math.max(1, Math.floor(opts.budget / nArms)));
  const arms = Array.from({ length: nArms }, (_, i) => i);
  s.update(arms, await pull(arms, sample), sample.length);
  return s.result();
}

/**
 * Pick `keep` arms: the best by mean (ties: lower index first). For
 * successive rejects the survivors, ordered by mean.
 */
export async function selectArms<T>(
  kind: BanditKind,
  nArms: number,
  keep: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: Pick<ProtegiOptions, 'evalBudget' | 'samplesPerEval' | 'promptsPerRound' | 'ucbC'>,
): Promise<{ order: number[]; stats: BanditStats }> {
  const byMean = (st: BanditStats, arms: number[]) => arms.slice().sort((a, b) => st.means[b]! - st.means[a]! || a - b);
  const all = Array.from({ length: nArms }, (_, i) => i);
  if (kind === 'successive-rejects' && nArms > keep) {
    const st = await successiveRejects(nArms, keep, data, pull, rng, { budget: opts.evalBudget });
    return { order: byMean(st, st.survivors), stats: st };
  }
  if (kind === 'ucb') {
    const rounds = Math.max(1, Math.floor(opts.evalBudget / (opts.promptsPerRound * opts.samplesPerEval)));
    const st = await ucbBandit(nArms, data, pull, rng, {
      rounds,
      perRound: opts.promptsPerRound,
      samplesPerEval: opts.samplesPerEval,
      c: opts.ucbC,
    });
    return { order: byMean(st, all).slice(0, keep), stats: st };
  }
  const st = await bruteForce(nArms, data, pull, rng, { budget: opts.evalBudget });
  return { order: byMean(st, all).slice(0, keep), stats: st };
}

// ---------------------------------------------------------------- the optimizer

/** Stop an unbounded search after this many steps with no new candidate and no target spend (a safety net, not from the paper). */
const STALL_STEPS = 3;

async function optimize(ctx: OptimizerContext, options: ProtegiOptions) {
  const o = options;
  const recorder = new Recorder(ctx, 'protegi');
  const initial: Prompt = ctx.initial ?? { instruction: '' };
  const selectPool = o.selectOn === 'dev' ? ctx.dev : ctx.train;
  const withInstruction = (p: Prompt, instruction: string): Prompt => ({ ...p, instruction });

  /** Per candidate: outcome per selection-pool example it was scored on (candidate.score = their mean). */
  const observed = new Map<string, Map<string, boolean>>();
  const observe = (c: Candidate, result: EvalResult) => {
    let m = observed.get(c.id);
    if (!m) observed.set(c.id, (m = new Map()));
    for (const out of result.outcomes) m.set(out.exampleId, out.correct);
    let correct = 0;
    for (const v of m.values()) if (v) correct++;
    c.score = correct / m.size;
    c.spentAtScore = { ...ctx.budget.spent };
    ctx.log.emit({ type: 'evaluation', optimizer: 'protegi', candidateId: c.id, score: c.score, n: m.size, spent: c.spentAtScore });
  };

  const ask = (meta: string, samples = 1) =>
    recorder.ask(meta, { temperature: o.temperature, maxTokens: o.maxTokens, samples });

  const root = recorder.propose(initial, { origin: 'initial', step: 0 }).candidate;
  let beam: Candidate[] = [root];
  let incumbent = root;

  /**
   * Score each edit on the minibatch ('minibatch') or on the failures shown to
   * its gradients ('shown'); record per reflection which shown failures each
   * edit fixed and which examples the parent got right it broke.
   */
  async function checkEdits(edits: Candidate[], reflections: ReflectionRecord[], base: EvalResult, minibatch: readonly Example[]) {
    const byId = new Map(minibatch.map((e) => [e.id, e]));
    const parentOk = new Map(base.outcomes.map((x) => [x.exampleId, x.correct]));
    const checked = new Map<string, Map<string, boolean>>();
    for (const e of edits) {
      const exs =
        o.editCheck === 'minibatch'
          ? minibatch
          : [...new Set(reflections.filter((r) => r.editIds.includes(e.id)).flatMap((r) => r.shown.map((s) => s.exampleId)))].map(
              (id) => byId.get(id)!,
            );
      const res = await ctx.evaluator.evaluate(e.prompt, exs);
      checked.set(e.id, new Map(res.outcomes.map((x) => [x.exampleId, x.correct])));
    }
    for (const rec of reflections) {
      const fixed: Record<string, string[]> = {};
      const broke: Record<string, string[]> = {};
      for (const id of rec.editIds) {
        const now = checked.get(id)!;
        fixed[id] = rec.shown.filter((s) => now.get(s.exampleId) === true).map((s) => s.exampleId);
        broke[id] = minibatch.filter((x) => parentOk.get(x.id) === true && now.get(x.id) === false).map((x) => x.id);
      }
      rec.fixed = fixed;
      if (o.editCheck === 'minibatch') rec.broke = broke;
    }
  }

  /** Expand one parent: gradients, edits, paraphrases; returns its successors (≤ maxExpansion). */
  async function expand(parent: Candidate, minibatch: readonly Example[], step: number, rng: Rng): Promise<Candidate[]> {
    const base = await ctx.evaluator.evaluate(parent.prompt, minibatch);
    const errors = base.outcomes.filter((x) => !x.correct);
    const instruction = parent.prompt.instruction;
    const edits: Candidate[] = [];
    const reflections: ReflectionRecord[] = [];

    if (o.gradients > 0 && errors.length > 0) {
      // sample error groups, one gradient call each (issued together: sample indices fixed by order)
      const groups = Array.from({ length: o.gradients }, () => rng.sample(errors, o.errorsPerGradient));
      const shownOf = (g: EvalOutcome[]): ShownFailure[] =>
        g.map((x) => ({
          exampleId: x.exampleId,
          input: x.input,
          output: x.output,
          gold: x.gold,
          ...(x.trueCause !== undefined ? { trueCause: x.trueCause } : {}),
        }));
      const errorStrings = groups.map((g) => formatErrors(shownOf(g), g.map((x) => x.pred), o.showOutputs));
      const gradMetas = errorStrings.map((es) => gradientMetaPrompt(instruction, es, o.reasonsPerGradient));
      const gradReplies = await Promise.all(gradMetas.map((m) => ask(m)));
      const reasons: { group: number; text: string }[] = [];
      gradReplies.forEach((replies, gi) => {
        for (const r of replies) for (const t of allBetween(r, '<START>', '<END>')) if (t) reasons.push({ group: gi, text: t });
      });
      for (const r of reasons)
        reflections.push({
          step,
          parentId: parent.id,
          shown: shownOf(groups[r.group]!),
          metaPrompt: gradMetas[r.group]!,
          text: r.text,
          editIds: [],
        });
      // Reflections are recorded even when the budget runs out while their edits are made or checked.
      try {
        // apply each gradient
        const editMetas = reasons.map((r) => editMetaPrompt(instruction, errorStrings[r.group]!, r.text, o.editsPerGradient));
        const editReplies = await Promise.all(editMetas.map((m) => ask(m)));
        reflections.forEach((rec, ri) => {
          for (const reply of editReplies[ri]!) {
            for (const text of allBetween(reply, '<START>', '<END>')) {
              if (!text) continue;
              const { candidate } = recorder.propose(withInstruction(parent.prompt, text), {
                parents: [parent.id],
                origin: 'protegi-edit',
                step,
                metaPrompt: editMetas[ri]!,
                rawReply: reply,
              });
              if (candidate.id === parent.id) continue;
              if (!rec.editIds.includes(candidate.id)) rec.editIds.push(candidate.id);
              if (!edits.includes(candidate)) edits.push(candidate);
            }
          }
        });
        // check each edit on the minibatch / the shown failures (fills fixed and broke)
        if (o.editCheck !== 'off') await checkEdits(edits, reflections, base, minibatch);
      } finally {
        for (const rec of reflections) recorder.reflect(rec);
      }
    }

    // Monte Carlo paraphrases of every edit and of the parent
    const paraphrases: Candidate[] = [];
    if (o.paraphrase && o.mcSamples > 0) {
      const sources = [...edits, parent];
      const metas = sources.map((c) => paraphraseMetaPrompt(c.prompt.instruction));
      const replies = await Promise.all(metas.map((m) => ask(m, o.mcSamples)));
      sources.forEach((src, si) => {
        for (const reply of replies[si]!) {
          const text = reply.trim();
          if (!text) continue;
          const { candidate } = recorder.propose(withInstruction(parent.prompt, text), {
            parents: [src.id],
            origin: 'protegi-paraphrase',
            step,
            metaPrompt: metas[si]!,
            rawReply: reply,
          });
          if (candidate.id !== parent.id && !paraphrases.includes(candidate) && !edits.includes(candidate)) paraphrases.push(candidate);
        }
      });
    }
    const successors = [...edits, ...paraphrases];
    return successors.length > o.maxExpansion ? rng.sample(successors, o.maxExpansion) : successors;
  }

  const stoppedBy = await untilBudget(async () => {
    let stalled = 0;
    for (let step = 1; step <= o.steps; step++) {
      const rng = ctx.rng.derive(`protegi-step-${step}`);
      const before = { n: recorder.trajectory.candidates.length, target: ctx.budget.spent.targetCalls };
      // one minibatch per step, shared by the beam (reference code expand_candidates)
      const minibatch = rng.sample(ctx.train, o.minibatchSize);
      const pool: Candidate[] = [...beam];
      for (const [pi, parent] of beam.entries()) {
        const succ = await expand(parent, minibatch, step, rng.derive(`expand-${pi}`));
        for (const c of succ) if (!pool.includes(c)) pool.push(c);
      }
      // selection
      if (pool.length > 1) {
        const pull: PullFn<Example> = async (arms, sample) => {
          const rewards: number[] = [];
          for (const a of arms) {
            const res = await ctx.evaluator.evaluate(pool[a]!.prompt, sample);
            observe(pool[a]!, res);
            rewards.push(res.accuracy);
          }
          return rewards;
        };
        const { order } = await selectArms(o.bandit, pool.length, o.beamWidth, selectPool, pull, rng.derive('select'), o);
        beam = order.map((i) => pool[i]!);
        incumbent = beam[0]!;
      }
      recorder.stepDone(step, incumbent);
      const nothingNew =
        recorder.trajectory.candidates.length === before.n && ctx.budget.spent.targetCalls === before.target;
      stalled = nothingNew ? stalled + 1 : 0;
      if (stalled >= STALL_STEPS) break;
    }
  });
  return recorder.result(stoppedBy, initial, {
    best: incumbent.prompt,
    bestScore: incumbent.score ?? 0,
  });
}

export const protegi: Optimizer<ProtegiOptions> = {
  name: 'protegi',
  paper: 'Pryzant et al. 2023, Automatic Prompt Optimization with "Gradient Descent" and Beam Search (ProTeGi/APO)',
  defaults: PROTEGI_DEFAULTS,
  schema: protegiSchema,
  optimize,
};
