/**
 * Every number of the simulated world in one place (documented in docs/sim.md,
 * "Parameter table"). Written from first principles, never tuned per optimizer.
 * Probabilities of a stage succeeding are sigmoid(logit); logits are sums of
 * the terms below.
 */

/** Per-size target parameters: ability a, instruction-following f, distraction sensitivity s. */
export interface TargetParams {
  a: number;
  f: number;
  s: number;
}

export const TARGET_PARAMS: Readonly<Record<string, TargetParams>> = {
  'sim-1b': { a: -0.5, f: 0.3, s: 1.0 },
  'sim-8b': { a: 0.4, f: 1.0, s: 0.6 },
  'sim-70b': { a: 1.4, f: 1.8, s: 0.3 },
};

/** Stage logit terms (see docs/sim.md for the formulas they enter). */
export const STAGE = {
  follow: { base: 1.5, perF: 1.5, perWordOver: 0.02, wordsFree: 80, perStepOver: 0.3, stepsFree: 4 },
  focus: { base: 3.5, perSDist: 5.0, distWordsFull: 40 },
  concept: { base: 1.8, perD: 2.0, hint: 1.6, procedure: 0.8, cot: 0.4, demos: 0.3 },
  knowledge: { base: 2.5, perA: 1.5, perD: 2.5, cue: 0.3 },
  reasoning: { base: 1.6, perD: 1.5, cot: 1.2, procedure: 0.5, demoCot: 0.3, perExtraConcept: 0.3 },
  format: { perF: 0.8, match: 2.0, mismatch: 2.5, demos: 0.8 },
  /** Per-(prompt, example) logit noise (sd), and per-sample noise sd per unit of temperature. */
  promptNoise: 0.35,
  sampleNoisePerTemp: 0.8,
} as const;

/** How much an example's difficulty counts against recalling facts, by task family. */
export const KNOWLEDGE_LOAD: Readonly<Record<string, number>> = { mmlu: 1.0, bbh: 0.3, gsm8k: 0.2, like: 0.3 };
export const DEFAULT_KNOWLEDGE_LOAD = 0.3;

/** Base logit of writing a parseable answer with no format help, by answer format. */
export const FORMAT_BASE: Readonly<Record<string, number>> = {
  letter: 1.0,
  true_false: 1.2,
  yes_no: 1.2,
  valid_invalid: 0.8,
  integer: 0.8,
  dyck: 0.0,
  words: 0.3,
  text: 0.8,
};

/** Needed concepts per example when the data gives none: 1..MAX_CONCEPTS. */
export const MAX_CONCEPTS = 3;

/** Simulated optimizer parameters, per size. */
export interface OptimizerParams {
  /** Recognition rate r: P(recognise the true cause) = r * clarity of the evidence. */
  recognise: number;
  /** Probability that a candidate edit also makes one harmful change. */
  harm: number;
  /** Probability that a candidate also names a random concept it guessed (no evidence). */
  guessConcept: number;
  /** Probability of one exploratory move when the evidence-driven fixes already changed the prompt. */
  explore: number;
  /** Probability that a shown question yields a concept its example truly needs (else a task concept or a decoy word, half each). */
  conceptAccuracy: number;
  /** Prior over generic causes named when no true cause is recognised. */
  prior: ReadonlyArray<{ cause: string; weight: number }>;
  /** As a pairwise judge: P(prefer the answer shown first) when it sees the two answers as equally good (else a tie). */
  positionBias: number;
}


/** How clear each kind of evidence ("tell") in a shown model output is, 0..1. */
export const EVIDENCE_CLARITY: Readonly<Record<string, number>> = {
  FORMAT: 0.9,
  DISTRACTION: 0.8,
  MISSING_CONCEPT: 0.75,
  KNOWLEDGE_GAP: 0.6,
  INSTRUCTION_IGNORED: 0.55,
  REASONING_SLIP: 0.45,
};

/** Prior over generic causes named when the true one is not recognised (paper 000 §4: prior-biased reflection). */
export const PRIOR_CAUSES: ReadonlyArray<{ cause: string; weight: number }> = [
  { cause: 'REASONING_SLIP', weight: 0.4 },
  { cause: 'INSTRUCTION_IGNORED', weight: 0.25 },
  { cause: 'KNOWLEDGE_GAP', weight: 0.15 },
  { cause: 'FORMAT', weight: 0.1 },
  { cause: 'MISSING_CONCEPT', weight: 0.1 },
];

/**
 * The sim judge's own noise (docs/sim.md, "The judge"), per sim optimizer
 * model answering the error-cause judge's requests (reports/judge.ts).
 */
export interface JudgeParams {
  /** Labelling a failure: P(the cause of the tell in the output) = recognise × clarity; otherwise a draw from the prior. */
  recognise: number;
  /** Reading a reflection: P(a cause the judge's cues find is kept; otherwise it is missed). */
  keep: number;
  /** P(a kept cause is read as another kind). */
  confuse: number;
  /** P(the judge adds one cause the reflection does not name). */
  spurious: number;
}

export const JUDGE_PARAMS: Readonly<Record<string, JudgeParams>> = {
  'sim-opt-small': { recognise: 0.5, keep: 0.85, confuse: 0.15, spurious: 0.15 },
  'sim-opt-large': { recognise: 0.8, keep: 0.95, confuse: 0.05, spurious: 0.05 },
};

export const OPTIMIZER_PARAMS: Readonly<Record<string, OptimizerParams>> = {
  'sim-opt-small': { recognise: 0.45, harm: 0.25, guessConcept: 0.3, explore: 0.5, conceptAccuracy: 0.4, prior: PRIOR_CAUSES, positionBias: 0.3 },
  'sim-opt-large': { recognise: 0.85, harm: 0.1, guessConcept: 0.15, explore: 0.5, conceptAccuracy: 0.6, prior: PRIOR_CAUSES, positionBias: 0.1 },
};

/**
 * Per-(world, task, target model) effects: multipliers of the documented
 * feature terms (1 = the table value, 0 = no effect, < 0 = the feature
 * hurts), two interactions (logit terms) and the sd of the per-(world, task,
 * prompt text) quality term. World 0 uses `UNIT_EFFECTS`; world N > 0 draws
 * each as mean + sd·z from `WORLD_EFFECTS`.
 */
export interface Effects {
  cot: number;
  procedure: number;
  hint: number;
  knowledgeCue: number;
  demos: number;
  formatMatch: number;
  /** Reasoning-logit term when a prompt has both a CoT cue and numbered steps. */
  cotXprocedure: number;
  /** Concept-logit term per concept hint beyond the first (hint crowding or synergy). */
  hintXhint: number;
  /** Sd of the persistent quality term of a prompt text (added to the concept, knowledge and reasoning logits). */
  quality: number;
}

export const UNIT_EFFECTS: Readonly<Effects> = {
  cot: 1,
  procedure: 1,
  hint: 1,
  knowledgeCue: 1,
  demos: 1,
  formatMatch: 1,
  cotXprocedure: 0,
  hintXhint: 0,
  quality: 0,
};

/** A normal distribution of one world effect. */
export interface EffectDistribution {
  mean: number;
  sd: number;
}
export type EffectDistributions = Readonly<Record<keyof Effects, EffectDistribution>>;

/** Distributions of the world effects (mean, sd of a normal). */
export const WORLD_EFFECTS: EffectDistributions = {
  cot: { mean: 0.5, sd: 1.0 },
  procedure: { mean: 0.5, sd: 1.0 },
  hint: { mean: 0.5, sd: 1.0 },
  knowledgeCue: { mean: 0.5, sd: 1.0 },
  demos: { mean: 0.5, sd: 1.0 },
  formatMatch: { mean: 1.0, sd: 0.4 },
  cotXprocedure: { mean: 0, sd: 0.6 },
  hintXhint: { mean: 0, sd: 0.4 },
  quality: { mean: 0.4, sd: 0 },
};

/** Sliding-window width used to index registered example inputs. */
export const INDEX_WINDOW = 24;

/** Maximum characters of a single sim request (longer requests are answered with a refusal). */
export const MAX_TEXT_CHARS = 400_000;
