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
import { BudgetExhausted } from '../core/errors.js';
import type { BudgetSpent } from '../core/budget.js';
import type { Rng } from '../core/rng.js';
import type { EvalOutcome, EvalResult, Example, OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, allBetween, countSchema, evaluateAll, fitEvalSizeLogged, untilBudget } from './common.js';
import type { Candidate, Optimizer, ReflectionRecord, ShownFailure } from './types.js';

export type BanditKind = 'ucb' | 'ucb-e' | 'successive-rejects' | 'successive-halving' | 'none';

/** Reference code: microsoft/LMOps@4f2a9de, prompt_optimization/ (main.py, optimizers.py, evaluators.py, utils.py). */
export interface ProtegiOptions {
  /** Optimization steps (beam-search rounds). main.py:62 `--rounds 6`. Accepts Infinity. */
  steps: number;
  /** Beam width b. main.py:63 `--beam_size 4`. */
  beamWidth: number;
  /** Train minibatch |D_mini| per expansion. main.py:66 `--minibatch_size 64`. */
  minibatchSize: number;
  /** Error groups sampled per parent, one gradient call each. main.py:67 `--n_gradients 4`. */
  gradients: number;
  /** Errors shown per gradient call. main.py:68 `--errors_per_gradient 4`. */
  errorsPerGradient: number;
  /** Reasons asked for per gradient call. main.py:69 `--gradients_per_error 1`. */
  reasonsPerGradient: number;
  /** Edited prompts asked for per reason. main.py:70 `--steps_per_gradient 1`. */
  editsPerGradient: number;
  /** Monte Carlo paraphrases of each edit and of the parent (component toggle). */
  paraphrase: boolean;
  /** Paraphrases per prompt, asked as one call with n choices. main.py:71 `--mc_samples_per_step 2`; optimizers.py:108. */
  mcSamples: number;
  /** Successors kept per parent before bandit selection (random sample). main.py:72 `--max_expansion_factor 8`. */
  maxExpansion: number;
  /**
   * Successor selection (evaluators.py): UCB (the README's run and the paper's
   * choice), UCB-E, successive rejects, successive halving, or 'none'
   * (brute force: every arm on one shared sample; main.py's flag default 'bf').
   */
  bandit: BanditKind;
  /** Example evaluations per selection. main.py:97 eval_budget = samples_per_eval × eval_rounds × eval_prompts_per_round = 2048. */
  evalBudget: number;
  /** UCB: examples per pull. main.py:81 `--samples_per_eval 32`. */
  samplesPerEval: number;
  /** UCB: arms pulled per round. main.py:79 `--eval_prompts_per_round 8` (rounds: main.py:78 `--eval_rounds 8`). */
  promptsPerRound: number;
  /** UCB / UCB-E exploration constant c. main.py:82 `--c 1.0`. */
  ucbC: number;
  /** Show the target's full output with each error example. Off: the reference shows Text / Label / Prediction only (optimizers.py:39). */
  showOutputs: boolean;
  /**
   * The fixed output-format section: 'fixed' appends the task's answer-format
   * instruction to every candidate, outside the edited text (the reference
   * prompts have a `# Output format` section that only the `# Task` section's
   * edits leave untouched, optimizers.py:131-160, prompts/*.md); 'none' edits the whole instruction.
   */
  outputFormat: 'fixed' | 'none';
  /**
   * Instrumentation, not the method: how edits are checked for the reflection
   * records: 'minibatch' scores each edit on the whole minibatch (fixed +
   * broke), 'shown' only on the shown failures (fixed), 'off' (default) not at all.
   */
  editCheck: 'minibatch' | 'shown' | 'off';
  /** Examples the bandit scores candidates on: 'train' (main.py:130) or 'dev'. */
  selectOn: 'train' | 'dev';
  /** Optimizer-LLM sampling temperature. utils.py:31 chatgpt(temperature=0.7). */
  temperature: number;
  /** utils.py:31 chatgpt(max_tokens=1024). */
  maxTokens: number;
}

export const PROTEGI_DEFAULTS: ProtegiOptions = {
  steps: 6, // main.py:62
  beamWidth: 4, // main.py:63
  minibatchSize: 64, // main.py:66
  gradients: 4, // main.py:67
  errorsPerGradient: 4, // main.py:68
  reasonsPerGradient: 1, // main.py:69
  editsPerGradient: 1, // main.py:70
  paraphrase: true,
  mcSamples: 2, // main.py:71
  maxExpansion: 8, // main.py:72
  bandit: 'ucb', // README.md quickstart `--evaluator ucb`; paper §2.2.2
  evalBudget: 2048, // main.py:97 (32 × 8 × 8)
  samplesPerEval: 32, // main.py:81
  promptsPerRound: 8, // main.py:79
  ucbC: 1.0, // main.py:82
  showOutputs: false, // optimizers.py:39 (Text / Label / Prediction)
  outputFormat: 'fixed', // prompts/*.md `# Output format` section, never edited
  editCheck: 'off', // instrumentation, not in the reference
  selectOn: 'train', // main.py:130 score_candidates(..., train_exs)
  temperature: 0.7, // utils.py:31
  maxTokens: 1024, // utils.py:31
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
  bandit: z.enum(['ucb', 'ucb-e', 'successive-rejects', 'successive-halving', 'none']),
  evalBudget: pos,
  samplesPerEval: pos,
  promptsPerRound: pos,
  ucbC: z.number().nonnegative(),
  showOutputs: z.boolean(),
  outputFormat: z.enum(['fixed', 'none']),
  editCheck: z.enum(['minibatch', 'shown', 'off']),
  selectOn: z.enum(['train', 'dev']),
  temperature: z.number().min(0).max(2),
  maxTokens: pos,
}) as z.ZodType<ProtegiOptions>;

// ---------------------------------------------------------------- meta-prompts (reference optimizers.py)

/** Python's `'\n'.join([line.lstrip() for line in s.split('\n')])`, applied by the reference to its formatted meta-prompts. */
function lstripLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.replace(/^\s+/, ''))
    .join('\n');
}

/**
 * The sampled errors as the reference shows them (optimizers.py:37-41):
 * `## Example i` / `Text: "…"` / `Label: …` / `Prediction: …`, blocks
 * separated by a blank line. With `showOutputs` (not in the reference) a
 * `Model output: "…"` line follows each block.
 */
export function formatErrors(failures: readonly ShownFailure[], preds: readonly (string | null)[], showOutputs: boolean): string {
  return failures
    .map((f, i) => {
      const lines = [`## Example ${i + 1}`, `Text: "${f.input.trim()}"`, `Label: ${f.gold}`, `Prediction: ${preds[i] ?? '(no answer found)'}`];
      if (showOutputs) lines.push(`Model output: "${f.output.trim()}"`);
      return lines.join('\n');
    })
    .join('\n\n');
}

/** The gradient meta-prompt, exactly as the reference sends it (optimizers.py:60-72, ProTeGi._get_gradients). */
export function gradientMetaPrompt(instruction: string, errorString: string, reasons: number): string {
  return lstripLines(
    [
      '',
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
      '',
    ].join('\n'),
  );
}

/** The edit meta-prompt that applies one gradient, exactly as the reference sends it (optimizers.py:82-98, ProTeGi.apply_gradient). */
export function editMetaPrompt(instruction: string, errorString: string, reason: string, edits: number): string {
  return lstripLines(
    [
      '',
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
      '',
    ].join('\n'),
  );
}

/** The Monte Carlo paraphrase meta-prompt (optimizers.py:107, ProTeGi.generate_synonyms). */
export function paraphraseMetaPrompt(instruction: string): string {
  return `Generate a variation of the following instruction while keeping the semantic meaning.\n\nInput: ${instruction}\n\nOutput:`;
}

// ---------------------------------------------------------------- bandits (paper §2.2.2, Algorithms 2–3; reference evaluators.py)

/** Scores arms on a shared sample of data; returns mean reward per arm, in the order given. */
export type PullFn<T> = (arms: readonly number[], sample: readonly T[]) => Promise<number[]>;

export interface BanditStats {
  /** Examples each arm was scored on. */
  counts: number[];
  /** Mean reward per arm (0 for arms never pulled, as evaluators.py:161). */
  means: number[];
  /**
   * Rank per arm, higher is better (successive rejects / halving: the phase
   * an arm was dropped in, survivors highest, evaluators.py:43,126); absent
   * for the other bandits, which rank by mean.
   */
  ranks?: number[];
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

/** Indices of the `n` largest values, as `np.argsort(v)[::-1][:n]` (ties: the higher index first). */
function topIndices(values: readonly number[], n: number): number[] {
  return values
    .map((v, i) => ({ v, i }))
    .sort((a, b) => b.v - a.v || b.i - a.i)
    .slice(0, n)
    .map((x) => x.i);
}

/**
 * UCB / UCB-E best-arm identification (paper Algorithm 2; evaluators.py:140-213,
 * UCBBandits + UCBBanditEvaluator). `rounds` rounds; round ri (0-based) picks
 * `perRound` arms — at random while nothing has been pulled, else the largest
 * Q + c·sqrt(ln ri / (N + 0.001)) (UCB, t = the round index) or
 * Q + c·sqrt(c / (N + 0.001)) (UCB-E) — and scores them on one fresh sample
 * of `samplesPerEval` examples. N counts `samplesPerEval` per pull.
 */
export async function ucbBandit<T>(
  nArms: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: { rounds: number; perRound: number; samplesPerEval: number; c: number; mode?: 'ucb' | 'ucb-e' },
): Promise<BanditStats> {
  const s = stats(nArms);
  const perRound = Math.min(opts.perRound, nArms);
  for (let ri = 0; ri < opts.rounds; ri++) {
    let chosen: number[];
    if (s.counts.every((c) => c === 0)) chosen = rng.sample(Array.from({ length: nArms }, (_, i) => i), perRound);
    else {
      const means = s.result().means;
      const ucb = means.map((q, i) => {
        const n = s.counts[i]! + 1e-3;
        return opts.mode === 'ucb-e' ? q + opts.c * Math.sqrt(opts.c / n) : q + opts.c * Math.sqrt(Math.log(ri) / n);
      });
      chosen = topIndices(ucb, perRound);
    }
    const sample = rng.sample(data, opts.samplesPerEval);
    if (sample.length === 0) break;
    const rewards = await pull(chosen, sample);
    // evaluators.py:150-153: counts grow by num_samples per pull
    chosen.forEach((a, i) => {
      s.counts[a]! += opts.samplesPerEval;
      s.sums[a]! += rewards[i]! * opts.samplesPerEval;
    });
  }
  return s.result();
}

/**
 * Successive rejects (Audibert, Bubeck & Munos 2010; paper Algorithm 3;
 * evaluators.py:63-136 with evaluator 'sr'): phases k = 1..K, K = n − keep;
 * every surviving arm is scored on one fresh sample of
 * max(4, ⌊n_k − n_{k−1}⌋) examples, n_k = (B − K) / (loḡ(K) · (K + 1 − k)),
 * loḡ(K) = 1/2 + Σ_{i=2..K} 1/i, and the arm with the lowest score on this
 * phase's sample is rejected (the first such arm). Ranks: the phase an arm
 * was rejected in, survivors highest.
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
  const ranks = new Array<number>(nArms).fill(-1);
  const K = nArms - keep;
  let ri = 1;
  if (K > 0) {
    let logBar = 0.5;
    for (let i = 2; i <= K; i++) logBar += 1 / i;
    let prev = 0;
    while (alive.length > keep) {
      const nk = (1 / logBar) * ((opts.budget - K) / (K + 1 - ri));
      const m = Math.max(4, Math.trunc(nk - prev));
      prev = nk;
      const sample = rng.sample(data, m);
      if (sample.length === 0) break;
      const phase = await pull(alive, sample);
      s.update(alive, phase, sample.length);
      ri++;
      let worst = 0;
      for (let j = 1; j < alive.length; j++) if (phase[j]! < phase[worst]!) worst = j;
      ranks[alive[worst]!] = ri;
      alive.splice(worst, 1);
    }
  }
  ri++;
  for (const a of alive) ranks[a] = ri;
  return { ...s.result(), ranks, survivors: alive };
}

/**
 * Successive halving (evaluators.py:10-60): for r = 0..⌈log2 n⌉ − 1, the
 * surviving set S is scored on one fresh sample of
 * ⌊B / (|S| · ⌈log2 n⌉)⌋ examples (at least 1) and the arms scoring below
 * the set's mean are dropped with rank r; survivors get the highest rank.
 */
export async function successiveHalving<T>(
  nArms: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: { budget: number },
): Promise<BanditStats> {
  const s = stats(nArms);
  const ranks = new Array<number>(nArms).fill(-1);
  const rounds = Math.ceil(Math.log2(nArms));
  let S = Array.from({ length: nArms }, (_, i) => i);
  let r = 0;
  for (; r < rounds; r++) {
    const t = Math.max(1, Math.floor(opts.budget / (S.length * rounds)));
    const sample = rng.sample(data, t);
    if (sample.length === 0) break;
    const scores = await pull(S, sample);
    s.update(S, scores, sample.length);
    const average = scores.reduce((a, b) => a + b, 0) / scores.length;
    S.forEach((a, i) => {
      if (scores[i]! < average) ranks[a] = r;
    });
    S = S.filter((_, i) => scores[i]! >= average);
  }
  for (let i = 0; i < nArms; i++) if (ranks[i] === -1) ranks[i] = r + 1;
  return { ...s.result(), ranks };
}

/** Brute force: every arm on one shared sample of min(|data|, ⌊budget / n⌋) examples (evaluators.py:216-232). */
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
 * Pick `keep` arms: by rank where the bandit ranks (successive rejects /
 * halving), else by mean; ties by mean, then the lower index.
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
  const st = await runBandit(kind, nArms, keep, data, pull, rng, opts);
  return { order: rankArms(st).slice(0, keep), stats: st };
}

/** Arms best first: by rank when present, then mean, then the lower index. */
export function rankArms(st: BanditStats): number[] {
  const rank = st.ranks ?? st.means.map(() => 0);
  return st.means
    .map((_, i) => i)
    .sort((a, b) => rank[b]! - rank[a]! || st.means[b]! - st.means[a]! || a - b);
}

async function runBandit<T>(
  kind: BanditKind,
  nArms: number,
  keep: number,
  data: readonly T[],
  pull: PullFn<T>,
  rng: Rng,
  opts: Pick<ProtegiOptions, 'evalBudget' | 'samplesPerEval' | 'promptsPerRound' | 'ucbC'>,
): Promise<BanditStats> {
  switch (kind) {
    case 'successive-rejects':
      return successiveRejects(nArms, keep, data, pull, rng, { budget: opts.evalBudget });
    case 'successive-halving':
      return successiveHalving(nArms, data, pull, rng, { budget: opts.evalBudget });
    case 'ucb':
    case 'ucb-e':
      return ucbBandit(nArms, data, pull, rng, {
        rounds: Math.max(1, Math.floor(opts.evalBudget / (opts.promptsPerRound * opts.samplesPerEval))),
        perRound: opts.promptsPerRound,
        samplesPerEval: opts.samplesPerEval,
        c: opts.ucbC,
        mode: kind,
      });
    case 'none':
      return bruteForce(nArms, data, pull, rng, { budget: opts.evalBudget });
  }
}

/**
 * Equal-budget step scaling (docs/optimizers.md, "Budgets"): ProTeGi's first
 * step evaluates n = minibatchSize + evalBudget examples (the parent on the
 * minibatch, then the selection); `fitEvalSize` with c_start = 0 and
 * c_step = 1 gives n' = min(n, B) for a target-call limit B, and both parts
 * shrink by n'/n — the minibatch to at least `errorsPerGradient` examples,
 * the UCB sample so that at least one round fits — so the first step always
 * finishes. Returns the options unchanged when n' = n.
 */
export function scaleStepTo(o: ProtegiOptions, fitted: number): ProtegiOptions {
  const n = o.minibatchSize + o.evalBudget;
  if (fitted >= n) return o;
  const f = Math.max(0, fitted) / n;
  const minibatchSize = Math.max(Math.min(o.errorsPerGradient, o.minibatchSize), Math.floor(o.minibatchSize * f));
  const evalBudget = Math.max(1, fitted - minibatchSize);
  const samplesPerEval = Math.max(1, Math.min(o.samplesPerEval, Math.floor(evalBudget / o.promptsPerRound)));
  return { ...o, minibatchSize, evalBudget, samplesPerEval };
}

// ---------------------------------------------------------------- the optimizer

/** Stop an unbounded search after this many steps with no new candidate and no target spend (a safety net, not from the paper). */
const STALL_STEPS = 3;

/** The instruction a candidate's edited section becomes: the section, then the fixed output-format section. */
export function withFormatSection(section: string, format: string | null): string {
  if (format === null || !format.trim() || section.includes(format.trim())) return section;
  return section.trim() ? `${section.trim()}\n\n${format.trim()}` : format.trim();
}

async function optimize(ctx: OptimizerContext, options: ProtegiOptions) {
  const o = options;
  const recorder = new Recorder(ctx, 'protegi');
  const start: Prompt = ctx.initial ?? { instruction: '' };
  const format = o.outputFormat === 'fixed' ? ctx.task.formatInstruction : null;
  const selectPool = o.selectOn === 'dev' ? ctx.dev : ctx.train;
  /** The edited text of each candidate (the reference's `# Task` section); the rest of its prompt is fixed. */
  const sectionOf = new Map<string, string>();
  const promptFor = (base: Prompt, section: string): Prompt => ({ ...base, instruction: withFormatSection(section, format) });

  /** Per candidate: outcome per selection-pool example it was scored on (candidate.score = their mean). */
  const observed = new Map<string, Map<string, boolean>>();
  const observe = (c: Candidate, result: EvalResult, spent: BudgetSpent = { ...ctx.budget.spent }) => {
    let m = observed.get(c.id);
    if (!m) observed.set(c.id, (m = new Map()));
    for (const out of result.outcomes) m.set(out.exampleId, out.correct);
    let correct = 0;
    for (const v of m.values()) if (v) correct++;
    c.score = correct / m.size;
    c.spentAtScore = { ...spent };
    ctx.log.emit({ type: 'evaluation', optimizer: 'protegi', candidateId: c.id, score: c.score, n: m.size, spent: c.spentAtScore });
  };

  const ask = (meta: string, n = 1) => recorder.ask(meta, { temperature: o.temperature, maxTokens: o.maxTokens, ...(n > 1 ? { n } : {}) });

  const root = recorder.propose(promptFor(start, start.instruction), { origin: 'initial', step: 0 }).candidate;
  sectionOf.set(root.id, start.instruction);
  let beam: Candidate[] = [root];
  let incumbent = root;

  const propose = (parent: Candidate, section: string, info: { parents: string[]; origin: string; step: number; metaPrompt: string; rawReply: string }) => {
    const { candidate } = recorder.propose(promptFor(parent.prompt, section), info);
    if (!sectionOf.has(candidate.id)) sectionOf.set(candidate.id, section);
    return candidate;
  };

  /**
   * Instrumentation (editCheck): score each edit on the minibatch or on the
   * failures shown to its gradients; record per reflection which shown
   * failures each edit fixed and which examples the parent got right it broke.
   */
  async function checkEdits(s: ProtegiOptions, edits: Candidate[], reflections: ReflectionRecord[], base: EvalResult, minibatch: readonly Example[]) {
    const byId = new Map(minibatch.map((e) => [e.id, e]));
    const parentOk = new Map(base.outcomes.map((x) => [x.exampleId, x.correct]));
    const checked = new Map<string, Map<string, boolean>>();
    // the edits are checked at once, as one after another would
    const items = edits.map((e) => ({
      prompt: e.prompt,
      examples:
        s.editCheck === 'minibatch'
          ? minibatch
          : [...new Set(reflections.filter((r) => r.editIds.includes(e.id)).flatMap((r) => r.shown.map((x) => x.exampleId)))].map(
              (id) => byId.get(id)!,
            ),
    }));
    await evaluateAll(ctx, items, (res, i) => checked.set(edits[i]!.id, new Map(res.outcomes.map((x) => [x.exampleId, x.correct]))));
    for (const rec of reflections) {
      const fixed: Record<string, string[]> = {};
      const broke: Record<string, string[]> = {};
      for (const id of rec.editIds) {
        const now = checked.get(id)!;
        fixed[id] = rec.shown.filter((x) => now.get(x.exampleId) === true).map((x) => x.exampleId);
        broke[id] = minibatch.filter((x) => parentOk.get(x.id) === true && now.get(x.id) === false).map((x) => x.id);
      }
      rec.fixed = fixed;
      if (s.editCheck === 'minibatch') rec.broke = broke;
    }
  }

  /** Expand one parent (optimizers.py:123-186): gradients, edits, paraphrases; returns its successors (≤ maxExpansion). */
  async function expand(s: ProtegiOptions, parent: Candidate, minibatch: readonly Example[], step: number, rng: Rng): Promise<Candidate[]> {
    const base = await ctx.evaluator.evaluate(parent.prompt, minibatch);
    const errors = base.outcomes.filter((x) => !x.correct);
    const section = sectionOf.get(parent.id) ?? parent.prompt.instruction;
    const edits: Candidate[] = [];
    const reflections: ReflectionRecord[] = [];

    if (s.gradients > 0 && errors.length > 0) {
      // sample error groups, one gradient call each (issued together: sample indices fixed by order)
      const groups = Array.from({ length: s.gradients }, () => rng.sample(errors, s.errorsPerGradient));
      const shownOf = (g: EvalOutcome[]): ShownFailure[] =>
        g.map((x) => ({
          exampleId: x.exampleId,
          input: x.input,
          output: x.output,
          gold: x.gold,
          ...(x.trueCause !== undefined ? { trueCause: x.trueCause } : {}),
        }));
      const errorStrings = groups.map((g) => formatErrors(shownOf(g), g.map((x) => x.pred), s.showOutputs));
      const gradMetas = errorStrings.map((es) => gradientMetaPrompt(section.trim(), es, s.reasonsPerGradient));
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
        const editMetas = reasons.map((r) => editMetaPrompt(section.trim(), errorStrings[r.group]!, r.text, s.editsPerGradient));
        const editReplies = await Promise.all(editMetas.map((m) => ask(m)));
        reflections.forEach((rec, ri) => {
          for (const reply of editReplies[ri]!) {
            for (const text of allBetween(reply, '<START>', '<END>')) {
              if (!text) continue;
              const candidate = propose(parent, text, {
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
        if (s.editCheck !== 'off') await checkEdits(s, edits, reflections, base, minibatch);
      } finally {
        for (const rec of reflections) recorder.reflect(rec);
      }
    }

    // Monte Carlo paraphrases of every edit and of the parent, one call with n = mcSamples each (optimizers.py:105-110, 148-153)
    const paraphrases: Candidate[] = [];
    if (s.paraphrase && s.mcSamples > 0) {
      const sources = [...edits, parent];
      const metas = sources.map((c) => paraphraseMetaPrompt(sectionOf.get(c.id) ?? c.prompt.instruction));
      const replies = await Promise.all(metas.map((m) => ask(m, s.mcSamples)));
      sources.forEach((src, si) => {
        for (const reply of replies[si]!) {
          const text = reply.trim();
          if (!text) continue;
          const candidate = propose(parent, text, {
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
    return successors.length > s.maxExpansion ? rng.sample(successors, s.maxExpansion) : successors;
  }

  // equal budget: the first step's evaluations are fitted to the target-call limit (scaleStepTo)
  const stepExamples = o.minibatchSize + o.evalBudget;
  const s = scaleStepTo(o, fitEvalSizeLogged(ctx, 'protegi', 'minibatch + selection examples per step', stepExamples, 0, 1));

  const stoppedBy = await untilBudget(async () => {
    let stalled = 0;
    for (let step = 1; step <= o.steps; step++) {
      const rng = ctx.rng.derive(`protegi-step-${step}`);
      const before = { n: recorder.trajectory.candidates.length, target: ctx.budget.spent.targetCalls };
      // one minibatch per step, shared by the beam (optimizers.py:127)
      const minibatch = rng.sample(ctx.train, s.minibatchSize);
      const pool: Candidate[] = [...beam];
      for (const [pi, parent] of beam.entries()) {
        const succ = await expand(s, parent, minibatch, step, rng.derive(`expand-${pi}`));
        for (const c of succ) if (!pool.includes(c)) pool.push(c);
      }
      // selection (main.py:130-135); a single prompt is not scored (optimizers.py:190-191)
      if (pool.length > 1) {
        const sums = new Array<number>(pool.length).fill(0);
        const counts = new Array<number>(pool.length).fill(0);
        const pull: PullFn<Example> = async (arms, sample) => {
          const rewards: number[] = [];
          // the arms are pulled at once, as one after another would
          await evaluateAll(
            ctx,
            arms.map((a) => ({ prompt: pool[a]!.prompt, examples: sample })),
            (res, i, spent) => {
              const a = arms[i]!;
              observe(pool[a]!, res, spent);
              sums[a]! += res.accuracy * sample.length;
              counts[a]! += sample.length;
              rewards.push(res.accuracy);
            },
          );
          return rewards;
        };
        try {
          const { order } = await selectArms(s.bandit, pool.length, s.beamWidth, selectPool, pull, rng.derive('select'), s);
          beam = order.map((i) => pool[i]!);
          incumbent = beam[0]!;
        } catch (err) {
          // budget ran out mid-selection: the best arm by what was observed (unpulled arms count 0, evaluators.py:161)
          if (err instanceof BudgetExhausted && counts.some((c) => c > 0)) {
            const order = rankArms({ counts, means: sums.map((x, i) => (counts[i]! > 0 ? x / counts[i]! : 0)) });
            incumbent = pool[order[0]!]!;
            recorder.stepDone(step, incumbent);
          }
          throw err;
        }
      }
      recorder.stepDone(step, incumbent);
      const nothingNew =
        recorder.trajectory.candidates.length === before.n && ctx.budget.spent.targetCalls === before.target;
      stalled = nothingNew ? stalled + 1 : 0;
      if (stalled >= STALL_STEPS) break;
    }
  });
  return recorder.result(stoppedBy, root.prompt, {
    best: incumbent.prompt,
    bestScore: incumbent.score ?? 0,
  });
}

export const protegi: Optimizer<ProtegiOptions> = {
  name: 'protegi',
  paper: 'Pryzant et al. 2023, Automatic Prompt Optimization with "Gradient Descent" and Beam Search (ProTeGi/APO)',
  defaults: PROTEGI_DEFAULTS,
  schema: protegiSchema,
  /**
   * The paper's tasks (Ethos, Liar, Jailbreak, Sarcasm) are not in popbench;
   * its preset is the reference run (README.md quickstart, main.py flag
   * defaults with `--evaluator ucb`: the defaults) on any task.
   */
  paperPreset: () => ({
    source: 'microsoft/LMOps prompt_optimization/README.md (quickstart, --evaluator ucb) and main.py:53-85 (flag defaults)',
    options: { bandit: 'ucb' },
  }),
  optimize,
};
