/**
 * APE — Zhou et al. 2023, "Large Language Models Are Human-Level Prompt
 * Engineers" (ICLR 2023).
 *
 * 1. Proposal (§3.1, forward-generation template): the optimizer LLM sees a
 *    few train input-output pairs and completes "The instruction was …";
 *    several demo subsets, several samples each.
 * 2. Scoring (§3.2): execution accuracy on small random subsets of the
 *    evaluation set, spent where it matters by a UCB bandit over the
 *    candidates (reference implementation: automatic_prompt_engineer/
 *    evaluation/bandits.py), or every candidate on the full set.
 * 3. Iterative Monte Carlo search (§3.3, Algorithm 1), off by default as in
 *    the reference code, which has none: keep the best candidates and ask for
 *    semantic-preserving variations of them, then select again.
 * Defaults follow the reference code's `simple_ape` / `simple_config`
 * (keirp/automatic_prompt_engineer at eac521c: automatic_prompt_engineer/
 * ape.py, config.py, configs/bandits.yaml); the reference's best prompt is
 * the one with the highest bandit score (evaluation/bandits.py:56-63).
 * Scoring is execution accuracy (the reference's instruction-induction
 * experiments, experiments/run_instruction_induction.py:50-53); the
 * log-likelihood scoring the reference pairs with UCB in `simple_ape`
 * (configs/bandits.yaml:22, evaluation/likelihood.py) needs prompt
 * log-probabilities and is not offered (docs/optimizers.md, "APE").
 */
import { z } from 'zod';
import { POSITIONS, type Demo, type EvalResult, type Example, type Layout, type Position, type Prompt } from '../core/types.js';
import type { Rng } from '../core/rng.js';
import { countSchema, Recorder, untilBudget } from './common.js';
import type { Candidate, Optimizer } from './types.js';

export interface ApeOptions {
  /** Distinct demo subsets shown to the optimizer (one forward-generation meta-prompt each). */
  numSubsamples: number;
  /** Proposals sampled per demo subset (each sample is one optimizer call). */
  proposalsPerSubsample: number;
  /** Input-output pairs per forward-generation meta-prompt. */
  numDemos: number;
  /** Optimizer sampling for proposals and variations. */
  temperature: number;
  topP: number;
  maxTokens: number;
  /** 'ucb': bandit over small subsets; 'none': score every candidate on the full evaluation set. */
  bandit: 'ucb' | 'none';
  /** UCB rounds per selection phase. */
  banditRounds: number;
  /** Fraction of the candidates evaluated per UCB round (at least one). */
  promptsPerRoundFraction: number;
  /** Evaluation examples per UCB round (one random subset shared by that round's arms). */
  samplesPerRound: number;
  /** UCB exploration constant c. */
  ucbC: number;
  /** Iterative Monte Carlo search on/off. */
  resample: boolean;
  /** Monte Carlo rounds; Infinity lets the budget end the run. */
  resampleRounds: number;
  /** Candidates kept per Monte Carlo round (U_k of Algorithm 1) and scored on the full set at the end. */
  keepTop: number;
  /** Variations asked for per kept candidate in a Monte Carlo round. */
  variationsPerCandidate: number;
  /** Where the instruction goes; null = the starting prompt's (the reference: its evaluation template). */
  position: Position | null;
  /** Forward-generation text: 'reference' (ape.py:8) or 'paper' (the paper's Figure/Appendix template). */
  forwardTemplate: 'reference' | 'paper';
  /** Score the kept candidates on the whole evaluation set at the end (Algorithm 1's return step; not in the reference code). */
  finalFullEval: boolean;
}

export const APE_DEFAULTS: ApeOptions = {
  numSubsamples: 5, // simple_config: num_prompts // 10 subsets for num_prompts = 50 (simple_ape default)
  proposalsPerSubsample: 10, // simple_config: 10 prompts per subset → 50 proposals
  numDemos: 5, // §3.1 template "five inputs"; configs num_demos: 5
  temperature: 0.9, // configs/bandits.yaml generation: temperature 0.9
  topP: 0.9, // configs/bandits.yaml generation: top_p 0.9
  maxTokens: 50, // configs/bandits.yaml generation: max_tokens 50
  bandit: 'ucb', // §3.2 "adaptive filtering"; reference evaluation method "bandits" with ucb
  banditRounds: 20, // simple_ape: eval_rounds = 20
  promptsPerRoundFraction: 0.334, // simple_config: num_prompts_per_round = 0.334 (a third of the candidates)
  samplesPerRound: 5, // simple_config: base_eval_config.num_samples = 5
  ucbC: 1.0, // configs/bandits.yaml: bandit_config c = 1.0
  resample: false, // the reference code has no iterative Monte Carlo search (ape.py:105-159: generate, dedupe, evaluate once)
  resampleRounds: 3, // option only: not fixed by the paper (§3.3 reports most of the gain in the first rounds)
  keepTop: 5, // option only: "top k%" of Algorithm 1 not fixed by the paper; 10% of the 50 proposals
  variationsPerCandidate: 10, // option only: keeps each round's pool at the size of the first one (5 × 10 = 50)
  position: null, // the starting prompt's layout: APE's evaluation template (apeInitial)
  forwardTemplate: 'reference', // ape.py:5-14 get_simple_prompt_gen_template, forward mode
  finalFullEval: false, // the reference returns the best bandit score (bandits.py:56-63)
};

// ---------------------------------------------------------------- templates

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** "five" for 5 (the template's wording); digits past ten. */
export function numberWord(n: number): string {
  return NUMBER_WORDS[n] ?? String(n);
}

/**
 * The forward-generation query, as the reference sends it: the template with
 * the demos filled in and the `[APE]` marker removed, then stripped, so the
 * model continues the text (llm.py:154-156). 'reference' is `simple_ape`'s
 * template (ape.py:8, "…The instruction was to [APE]"); 'paper' is the
 * paper's forward-generation template (§3.1, Figure 2 / Appendix), whose
 * `<COMPLETE>` is where the model continues. Demos are `Input: …\nOutput: …`
 * joined by a blank line (ape.py:20, template.py:60-76).
 */
export function buildForwardMetaPrompt(demos: readonly Demo[], template: 'reference' | 'paper' = 'reference'): string {
  const pairs = demos.map((d) => `Input: ${d.input}\nOutput: ${d.output}`).join('\n\n');
  if (template === 'paper')
    return (
      `I gave a friend an instruction and ${numberWord(demos.length)} inputs. The friend read the instruction ` +
      `and wrote an output for every one of the inputs. Here are the input-output pairs:\n\n${pairs}\n\nThe instruction was`
    );
  return `I gave a friend an instruction. Based on the instruction they produced the following input-output pairs:\n\n${pairs}\n\nThe instruction was to`;
}

/** §3.3 resampling template for iterative Monte Carlo search (paper Figure; `[COMPLETE]` is where the model continues). */
export function buildResampleMetaPrompt(instruction: string): string {
  return `Generate a variation of the following instruction while keeping the semantic meaning.\n\nInput: ${instruction}\n\nOutput:`;
}

/**
 * The instruction in a plain reply: the reply trimmed, without an echoed
 * "The instruction was" / "Output:" lead-in, enclosing quotes, or the "to "
 * that continues "The instruction was" (then capitalised). Multi-line
 * instructions (e.g. numbered procedures) are kept whole.
 */
export function parseApeReply(reply: string): string {
  let text = reply.replace(/<\/?COMPLETE>/g, '').trim();
  text = text.replace(/^(the instruction was|output:)\s*/i, '');
  const quoted = /^"([\s\S]*)"$|^“([\s\S]*)”$|^'([\s\S]*)'$/.exec(text);
  if (quoted) text = (quoted[1] ?? quoted[2] ?? quoted[3] ?? '').trim();
  if (/^to\s+\S/i.test(text)) {
    text = text.replace(/^to\s+/i, '');
    text = text.charAt(0).toUpperCase() + text.slice(1);
  }
  return text;
}

// ---------------------------------------------------------------- UCB

export interface ArmStats {
  /** Evaluations so far (distinct examples). */
  pulls: number;
  /** Correct among them. */
  correct: number;
}

export function armMean(a: ArmStats): number {
  return a.pulls > 0 ? a.correct / a.pulls : 0;
}

/**
 * Upper confidence bounds mean + c·sqrt(ln N / n) with N the total pulls
 * (reference bandits.py, UCBBanditAlgo); unplayed arms get +Infinity.
 */
export function ucbScores(arms: readonly ArmStats[], c: number): number[] {
  const total = arms.reduce((s, a) => s + a.pulls, 0);
  return arms.map((a) => (a.pulls === 0 ? Infinity : armMean(a) + c * Math.sqrt(Math.log(Math.max(total, 1)) / a.pulls)));
}

/**
 * n arms to evaluate next: unplayed arms first (in random order, as the
 * reference samples at random while nothing is played), then the highest
 * upper bounds (ties: lower index).
 */
export function ucbChoose(arms: readonly ArmStats[], n: number, c: number, rng: Rng): number[] {
  const k = Math.max(0, Math.min(n, arms.length));
  const scores = ucbScores(arms, c);
  const unplayed = rng.shuffle(arms.map((_, i) => i).filter((i) => arms[i]!.pulls === 0));
  const played = arms
    .map((_, i) => i)
    .filter((i) => arms[i]!.pulls > 0)
    .sort((a, b) => scores[b]! - scores[a]! || a - b);
  return [...unplayed, ...played].slice(0, k);
}

// ---------------------------------------------------------------- optimizer

const positionSchema = z.enum(POSITIONS as unknown as [Position, ...Position[]]);

export const apeSchema = z.strictObject({
  numSubsamples: z.number().int().positive(),
  proposalsPerSubsample: z.number().int().positive(),
  numDemos: z.number().int().positive(),
  temperature: z.number().nonnegative(),
  topP: z.number().gt(0).lte(1),
  maxTokens: z.number().int().positive(),
  bandit: z.enum(['ucb', 'none']),
  banditRounds: countSchema(),
  promptsPerRoundFraction: z.number().gt(0).lte(1),
  samplesPerRound: z.number().int().positive(),
  ucbC: z.number().nonnegative(),
  resample: z.boolean(),
  resampleRounds: countSchema(),
  keepTop: z.number().int().positive(),
  variationsPerCandidate: z.number().int().positive(),
  position: positionSchema.nullable(),
  forwardTemplate: z.enum(['reference', 'paper']),
  finalFullEval: z.boolean(),
});

/** APE's starting prompt: no instruction, in its evaluation template (run_instruction_induction.py:33). */
export function apeInitial(): Prompt {
  return { instruction: '', layout: 'ape' };
}

interface Arm {
  candidate: Candidate;
  stats: ArmStats;
  /** Example ids already evaluated for this arm (memoized by the evaluator). */
  seen: Set<string>;
  full: boolean;
}

export const ape: Optimizer<ApeOptions> = {
  name: 'ape',
  paper: 'Zhou et al. 2023, Large Language Models Are Human-Level Prompt Engineers (APE)',
  defaults: APE_DEFAULTS,
  schema: apeSchema,
  initial: apeInitial,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'ape');
    const evalSet: readonly Example[] = ctx.dev;
    const position: Position = o.position ?? ctx.initial?.position ?? 'Q_begin';
    const layout: Layout = ctx.initial?.layout ?? 'qa';
    const demosKept = ctx.initial?.demos;
    const makePrompt = (instruction: string): Prompt => ({
      instruction,
      position,
      ...(layout !== 'qa' ? { layout } : {}),
      ...(demosKept && demosKept.length > 0 ? { demos: demosKept } : {}),
    });
    const fallback: Prompt = ctx.initial ?? makePrompt('');
    const arms = new Map<string, Arm>();
    let pool: Arm[] = [];
    let step = 0;
    let plannedStop = false;

    const addCandidate = (text: string, info: { origin: string; parents?: string[]; metaPrompt: string; rawReply: string }) => {
      if (!text) return;
      const { candidate } = rec.propose(makePrompt(text), { ...info, step });
      let arm = arms.get(candidate.id);
      if (!arm) arms.set(candidate.id, (arm = { candidate, stats: { pulls: 0, correct: 0 }, seen: new Set(), full: false }));
      if (!pool.includes(arm)) pool.push(arm);
    };

    /**
     * Score arms on examples (arm i on examples[i]) at once, as one after another would; each
     * candidate's score becomes its arm's mean over every example seen so far.
     */
    const evaluateAll = (list: readonly Arm[], examples: (i: number) => readonly Example[]) =>
      rec.scoreAll(
        list.map((arm, i) => ({ candidate: arm.candidate, examples: examples(i) })),
        (result, i) => observe(list[i]!, result),
      );
    const observe = (arm: Arm, result: EvalResult) => {
      for (const out of result.outcomes) {
        if (arm.seen.has(out.exampleId)) continue;
        arm.seen.add(out.exampleId);
        arm.stats.pulls++;
        if (out.correct) arm.stats.correct++;
      }
      arm.candidate.score = armMean(arm.stats);
      if (evalSet.every((e) => arm.seen.has(e.id))) arm.full = true;
    };

    const byMean = (list: readonly Arm[]) =>
      list
        .filter((a) => a.stats.pulls > 0)
        .map((a, i) => ({ a, i }))
        .sort((x, y) => armMean(y.a.stats) - armMean(x.a.stats) || x.i - y.i)
        .map((x) => x.a);

    /** Algorithm 1's answer: best full-set score among fully evaluated arms, else the best subset mean. */
    const incumbent = (): Candidate | undefined => {
      const all = [...arms.values()];
      if (!o.finalFullEval) return byMean(all)[0]?.candidate; // bandits.py:56-63: the highest bandit score
      const full = all.filter((a) => a.full);
      return (byMean(full)[0] ?? byMean(all)[0])?.candidate;
    };

    /** Fresh target calls needed to score the current top keepTop arms on the full set (when finalFullEval). */
    const finalCost = () => (o.finalFullEval ? byMean(pool).slice(0, o.keepTop).reduce((s, a) => s + evalSet.length - a.seen.size, 0) : 0);

    const select = async (rng: Rng) => {
      if (o.bandit === 'none') {
        await evaluateAll(pool, () => evalSet);
        rec.stepDone(step++, incumbent());
        return;
      }
      for (let r = 0; r < o.banditRounds; r++) {
        if (pool.every((a) => a.full)) break; // nothing left to learn: every arm has seen every example
        const roundRng = rng.derive(`round-${r}`);
        const n = Math.max(1, Math.floor(pool.length * o.promptsPerRoundFraction));
        // Scoring is deterministic and memoized, so an arm that has seen every example has nothing
        // left to reveal: the bandit chooses among the others.
        const open = pool.filter((a) => !a.full);
        const chosen = ucbChoose(open.map((a) => a.stats), n, o.ucbC, roundRng.derive('choose')).map((i) => open[i]!);
        // Each chosen prompt gets its own random subsample (likelihood.py:46-48, exec_accuracy.py alike).
        const subsets = chosen.map((a) => roundRng.derive(`subset-${a.candidate.id}`).sample(evalSet, o.samplesPerRound));
        const cost = chosen.reduce((s, a, i) => s + subsets[i]!.filter((e) => !a.seen.has(e.id)).length, 0);
        if (cost + finalCost() > ctx.budget.remaining().targetCalls) {
          plannedStop = true; // keep what the final full-set scoring needs
          return;
        }
        await evaluateAll(chosen, (i) => subsets[i]!);
        rec.stepDone(step++, incumbent());
      }
    };

    // 1. Proposals (forward generation); a budget stop here still selects among what was proposed.
    const proposed = await untilBudget(async () => {
      for (let s = 0; s < o.numSubsamples; s++) {
        const demos = ctx.rng
          .derive(`ape-subsample-${s}`)
          .sample(ctx.train, o.numDemos)
          .map((e) => ({ input: e.input, output: e.target }));
        const metaPrompt = buildForwardMetaPrompt(demos, o.forwardTemplate);
        const replies = await rec.ask(metaPrompt, {
          samples: o.proposalsPerSubsample,
          temperature: o.temperature,
          topP: o.topP,
          maxTokens: o.maxTokens,
        });
        for (const raw of replies) addCandidate(parseApeReply(raw), { origin: 'ape-forward', metaPrompt, rawReply: raw });
      }
    });

    // 2–3. Selection, then Monte Carlo rounds of variations of the kept candidates.
    const searched = await untilBudget(async () => {
      if (pool.length === 0) return;
      await select(ctx.rng.derive('ape-select-0'));
      const rounds = o.resample ? o.resampleRounds : 0;
      for (let round = 1; round <= rounds && !plannedStop; round++) {
        const kept = byMean(pool).slice(0, o.keepTop);
        pool = [...kept];
        const before = rec.trajectory.candidates.length;
        for (const parent of kept) {
          const metaPrompt = buildResampleMetaPrompt(parent.candidate.prompt.instruction);
          const replies = await rec.ask(metaPrompt, {
            samples: o.variationsPerCandidate,
            temperature: o.temperature,
            topP: o.topP,
            maxTokens: o.maxTokens,
          });
          for (const raw of replies)
            addCandidate(parseApeReply(raw), {
              origin: 'ape-resample',
              parents: [parent.candidate.id],
              metaPrompt,
              rawReply: raw,
            });
        }
        if (rec.trajectory.candidates.length === before) break; // only repeats: the search has converged
        await select(ctx.rng.derive(`ape-select-${round}`));
      }
    });

    // Optional: the kept candidates on the full evaluation set (Algorithm 1's return step).
    const finished = await untilBudget(async () => {
      if (!o.finalFullEval) return;
      await evaluateAll(byMean(pool).slice(0, o.keepTop).filter((arm) => !arm.full), () => evalSet);
      if (pool.length > 0) rec.stepDone(step++, incumbent());
    });

    const stoppedBy = [proposed, searched, finished].includes('budget') || plannedStop ? 'budget' : 'done';
    const best = incumbent();
    return rec.result(stoppedBy, fallback, best ? { best: best.prompt, bestScore: best.score ?? 0 } : {});
  },
};
