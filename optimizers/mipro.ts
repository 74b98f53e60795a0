/**
 * MIPROv2 — Opsahl-Ong et al. 2024, "Optimizing Instructions and
 * Demonstrations for Multi-Stage Language Model Programs" (EMNLP 2024), as
 * released in DSPy (dspy/teleprompt/mipro_optimizer_v2.py,
 * dspy/propose/grounded_proposer.py, dspy/teleprompt/utils.py). Our
 * "program" is one prompt (instruction + demos), i.e. a single-module program.
 *
 * 1. Bootstrap demo sets (§3, "bootstrapping demonstrations"; DSPy
 *    create_n_fewshot_demo_sets): set 0 keeps the starting demos, set 1 is
 *    labeled examples only, set 2 bootstraps from the train set in order, the
 *    others from a shuffled train set with a random size in
 *    [1, maxBootstrappedDemos]. Bootstrapping runs the target with the
 *    starting prompt and keeps its correct outputs as demos; labeled
 *    examples fill the set up to maxLabeledDemos.
 * 2. Grounded proposal (§3, "grounding"): a dataset summary written by the
 *    optimizer LLM from batches of train examples, a description of the task,
 *    a few bootstrapped demos, the instructions proposed so far, the starting
 *    ("basic") instruction and a random prompting tip go into one meta-prompt
 *    per instruction candidate; the reply is read from a DSPy-style
 *    `[[ ## proposed_instruction ## ]]` field. Candidate 0 is the starting
 *    instruction (DSPy overwrites the first proposal with it).
 * 3. Bayesian search (§3, "surrogate model"; DSPy _optimize_prompt_parameters):
 *    the starting prompt is scored on the full dev set and seeds a TPE
 *    study over (instruction index, demo-set index); each trial scores the
 *    suggested combination on a random minibatch of dev; every
 *    `fullEvalEvery` trials (and after the last) the combination with the
 *    best mean minibatch score not yet fully scored is scored on the full
 *    dev set, and that score joins the study too. The answer is the best
 *    full-dev combination.
 */
import { z } from 'zod';
import { POSITIONS, type Demo, type Example, type Position, type Prompt } from '../core/types.js';
import type { Rng } from '../core/rng.js';
import { between, countSchema, Recorder, untilBudget } from './common.js';
import { TPE_DEFAULTS, TpeSampler, type Observation } from './tpe.js';
import type { Candidate, Optimizer } from './types.js';

export interface MiproGrounding {
  /** Show the optimizer-written dataset summary (DSPy data_aware_proposer). */
  dataSummary: boolean;
  /** Show a randomly drawn prompting tip (DSPy tip_aware_proposer). */
  tip: boolean;
  /** Show the instructions proposed so far (DSPy use_instruct_history). */
  history: boolean;
  /** Show the task description (DSPy program_aware_proposer; here the task, not program code). */
  program: boolean;
  /** Show bootstrapped demos of the candidate's demo set (DSPy fewshot_aware_proposer). */
  taskDemos: boolean;
}

export interface MiproOptions {
  /** Instruction candidates, the starting instruction included. */
  numInstructionCandidates: number;
  /** Demo-set candidates, the starting demos (set 0) and the labeled-only set (set 1) included. */
  numDemoSets: number;
  /** Search trials (minibatch evaluations); Infinity lets the budget or a stall end the search. */
  numTrials: number;
  /** Most bootstrapped (model-written, checked correct) demos per set. */
  maxBootstrappedDemos: number;
  /** Labeled demos fill a set up to this many. */
  maxLabeledDemos: number;
  /** false: 0-shot, instruction-only search (demo sets are still bootstrapped to show the proposer). */
  demos: boolean;
  /** Score trials on minibatches (true) or on the full dev set (false). */
  minibatch: boolean;
  minibatchSize: number;
  /** Full dev evaluation of the best minibatch-mean combination every this many trials. */
  fullEvalEvery: number;
  /** Proposal temperature; each proposal adds a small random epsilon. */
  initTemperature: number;
  /** Train examples per dataset-summary observation call. */
  viewDataBatchSize: number;
  /** Most observation calls for the dataset summary (one more call summarises them). */
  maxObservationCalls: number;
  /** Bootstrapped demos shown per proposal. */
  demosInProposer: number;
  /** Most previous instructions shown per proposal. */
  maxHistory: number;
  grounding: MiproGrounding;
  /** 'tpe': Bayesian search (DSPy); 'random': uniform random combinations (ablation). */
  search: 'tpe' | 'random';
  /** TPE startup trials (uniform random) before the model is used. */
  tpeStartupTrials: number;
  /** Stop after this many trials in a row that needed no new target call (nothing left to learn). */
  stallTrials: number;
  /** Longest proposed instruction (characters) that is kept. */
  maxInstructionLength: number;
  position: Position | null;
}

/** DSPy grounded_proposer TIPS (keys and gist; "none" means no tip). */
export const MIPRO_TIPS: Readonly<Record<string, string>> = {
  none: '',
  creative: "Don't be afraid to be creative when creating the new instruction!",
  simple: 'Keep the instruction clear and concise.',
  description: 'Make sure your instruction is very informative and descriptive.',
  high_stakes: 'The instruction should include a high stakes scenario in which the LM must solve the task!',
  persona: 'Include a persona that is relevant to the task in the instruction (ie. "You are a ...")',
};

/** DSPy auto run settings: n candidates per mode (mipro_optimizer_v2.py AUTO_RUN_SETTINGS). */
export const MIPRO_AUTO = { light: 6, medium: 12, heavy: 18 } as const;

/**
 * DSPy's trial count for a single-module program: max(2·M·log2(N), 1.5·N)
 * with M = 2 variables (instruction, demos) or 1 for 0-shot
 * (_set_num_trials_from_num_candidates).
 */
export function miproNumTrials(n: number, zeroShot: boolean): number {
  const vars = zeroShot ? 1 : 2;
  return Math.floor(Math.max(2 * vars * Math.log2(n), 1.5 * n));
}

export const MIPRO_DEFAULTS: MiproOptions = {
  numInstructionCandidates: 3, // DSPy auto="light" (the default): int(0.5 · 6) instructions when demos are searched
  numDemoSets: 6, // DSPy auto="light": num_fewshot_candidates = 6
  numTrials: miproNumTrials(MIPRO_AUTO.light, false), // = 10: max(2·2·log2 6, 1.5·6)
  maxBootstrappedDemos: 4, // DSPy MIPROv2 max_bootstrapped_demos=4
  maxLabeledDemos: 4, // DSPy MIPROv2 max_labeled_demos=4
  demos: true,
  minibatch: true, // DSPy compile minibatch=True
  minibatchSize: 35, // DSPy compile minibatch_size=35
  fullEvalEvery: 5, // DSPy compile minibatch_full_eval_steps=5
  initTemperature: 0.5, // DSPy MIPROv2 init_temperature=0.5
  viewDataBatchSize: 10, // DSPy compile view_data_batch_size=10
  maxObservationCalls: 10, // DSPy create_dataset_summary: max_calls = 10
  demosInProposer: 3, // DSPy BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT = 3 (num_demos_in_context)
  maxHistory: 5, // DSPy grounded_proposer MAX_INSTRUCT_IN_HISTORY = 5
  grounding: { dataSummary: true, tip: true, history: true, program: true, taskDemos: true },
  search: 'tpe',
  tpeStartupTrials: TPE_DEFAULTS.nStartupTrials, // Optuna TPESampler n_startup_trials=10
  stallTrials: 50, // ours: only for unbounded trial counts
  maxInstructionLength: 2000, // ours: guards against runaway replies
  position: null, // null = ctx.initial's position (Q_begin when none)
};

// ---------------------------------------------------------------- meta-prompts

/** How a train example is shown to the dataset describer and the proposer. */
export function exampleString(input: string, output: string): string {
  return `Question: ${input}\nAnswer: ${output}`;
}

/** DSPy DatasetDescriptor (first batch) / DatasetDescriptorWithPriorObservations (later batches). */
export function buildObservationPrompt(examples: readonly Example[], prior?: string): string {
  const parts = [
    'Given several examples from a dataset please write observations about trends that hold for most or all of the samples. ' +
      (prior !== undefined
        ? "I will also provide you with a few observations I have already made. Please add your own observations or if you feel the observations are comprehensive say 'COMPLETE'. "
        : '') +
      'Some areas you may consider in your observations: topics, content, syntax, conciseness, etc. ' +
      'It will be useful to make an educated guess as to the nature of the task this dataset will enable.',
    `EXAMPLES:\n${examples.map((e) => exampleString(e.input, e.target)).join('\n\n')}`,
  ];
  if (prior !== undefined) parts.push(`PRIOR OBSERVATIONS:\n${prior}`);
  parts.push('OBSERVATIONS:');
  return parts.join('\n\n');
}

/** DSPy ObservationSummarizer. */
export function buildSummaryPrompt(observations: string): string {
  return (
    'Given a series of observations I have made about my dataset, please summarize them into a brief 2-3 sentence ' +
    `summary which highlights only the most important details.\n\nOBSERVATIONS:\n${observations}\n\nSUMMARY:`
  );
}

export interface ProposalArgs {
  dataSummary?: string;
  programDescription?: string;
  taskDemos?: readonly Demo[];
  previousInstructions?: readonly string[];
  basicInstruction: string;
  tip?: string;
}

/**
 * The grounded proposer's meta-prompt (DSPy GenerateSingleModuleInstruction):
 * the signature's task sentence, then each input field with its DSPy prefix,
 * and the output asked for in a `[[ ## proposed_instruction ## ]]` field.
 * Absent or empty parts are left out (an empty basic instruction too).
 */
export function buildProposalPrompt(a: ProposalArgs): string {
  const parts = [
    'Use the information below to learn about a task that we are trying to solve using calls to an LM, then generate ' +
      'a new instruction that will be used to prompt a Language Model to better solve the task.',
  ];
  if (a.dataSummary) parts.push(`DATASET SUMMARY: ${a.dataSummary.trim()}`);
  if (a.programDescription) parts.push(`PROGRAM DESCRIPTION: ${a.programDescription.trim()}`);
  if (a.taskDemos && a.taskDemos.length > 0)
    parts.push(`TASK DEMO(S):\n${a.taskDemos.map((d) => exampleString(d.input, d.output)).join('\n\n')}`);
  if (a.previousInstructions && a.previousInstructions.length > 0)
    parts.push(`PREVIOUS INSTRUCTIONS:\n${a.previousInstructions.map((s, i) => `Instruction #${i + 1}: ${s.replace(/\s*\n\s*/g, ' ')}`).join('\n')}`);
  if (a.basicInstruction.trim()) parts.push(`BASIC INSTRUCTION: ${a.basicInstruction.trim().replace(/\s*\n\s*/g, ' ')}`);
  if (a.tip) parts.push(`TIP: ${a.tip}`);
  parts.push(
    'Respond with the new instruction in the field `[[ ## proposed_instruction ## ]]`, then end with the marker ' +
      '`[[ ## completed ## ]]`.\n\n[[ ## proposed_instruction ## ]]',
  );
  return parts.join('\n\n');
}

/** The proposed instruction in a reply: the `proposed_instruction` field, else the reply without a "PROPOSED INSTRUCTION:" prefix. */
export function parseProposal(reply: string): string {
  const open = '[[ ## proposed_instruction ## ]]';
  const close = '[[ ## completed ## ]]';
  let text = between(reply, open, close);
  if (text === null) {
    const at = reply.lastIndexOf(open);
    text = (at >= 0 ? reply.slice(at + open.length) : reply).replace(close, '');
  }
  return text
    .trim()
    .replace(/^proposed instruction\s*:\s*/i, '')
    .trim();
}

/** The task description the proposer sees (stands in for DSPy's program description). */
export function describeTask(description: string, formatInstruction: string): string {
  return `${description.trim()} The program answers each question in a single call to a language model; answers are expected in this format: ${formatInstruction.trim()}`;
}

// ---------------------------------------------------------------- demo sets

export interface DemoSet {
  demos: Demo[];
  /** How many of the demos were bootstrapped (model-written); they come first. */
  bootstrapped: number;
  origin: 'initial' | 'labeled' | 'bootstrap' | 'bootstrap-shuffled';
}

const labeled = (e: Example): Demo => ({ input: e.input, output: e.target });

/**
 * BootstrapFewShot with one round: walk the train examples in order, run the
 * teacher (the starting prompt) on each, keep correct outputs until `size`
 * demos; then labeled demos from the examples not bootstrapped fill the set up
 * to maxLabeled (sampled, DSPy _train).
 */
async function bootstrapSet(
  order: readonly Example[],
  size: number,
  maxLabeled: number,
  run: (e: Example) => Promise<{ output: string; correct: boolean }>,
  rng: Rng,
): Promise<{ demos: Demo[]; bootstrapped: number }> {
  const boot: Demo[] = [];
  const used = new Set<string>();
  for (const e of order) {
    if (boot.length >= size) break;
    const out = await run(e);
    if (out.correct) {
      boot.push({ input: e.input, output: out.output });
      used.add(e.id);
    }
  }
  const rest = order.filter((e) => !used.has(e.id));
  const raw = rng.sample(rest, Math.max(0, maxLabeled - boot.length)).map(labeled);
  return { demos: [...boot, ...raw], bootstrapped: boot.length };
}

// ---------------------------------------------------------------- optimizer

const positionSchema = z.enum(POSITIONS as unknown as [Position, ...Position[]]);

export const miproSchema = z.strictObject({
  numInstructionCandidates: z.number().int().positive(),
  numDemoSets: z.number().int().positive(),
  numTrials: countSchema(),
  maxBootstrappedDemos: z.number().int().nonnegative(),
  maxLabeledDemos: z.number().int().nonnegative(),
  demos: z.boolean(),
  minibatch: z.boolean(),
  minibatchSize: z.number().int().positive(),
  fullEvalEvery: z.number().int().positive(),
  initTemperature: z.number().nonnegative(),
  viewDataBatchSize: z.number().int().positive(),
  maxObservationCalls: z.number().int().nonnegative(),
  demosInProposer: z.number().int().nonnegative(),
  maxHistory: z.number().int().nonnegative(),
  grounding: z.strictObject({
    dataSummary: z.boolean(),
    tip: z.boolean(),
    history: z.boolean(),
    program: z.boolean(),
    taskDemos: z.boolean(),
  }),
  search: z.enum(['tpe', 'random']),
  tpeStartupTrials: z.number().int().nonnegative(),
  stallTrials: z.number().int().positive(),
  maxInstructionLength: z.number().int().positive(),
  position: positionSchema.nullable(),
});

/** One (instruction, demo set) combination and what is known about it. */
interface Combo {
  key: string;
  params: [number, number];
  candidate: Candidate;
  /** Minibatch scores of its trials (DSPy param_score_dict). */
  trialScores: number[];
  /** Outcomes by example id, over everything it was scored on. */
  seen: Map<string, boolean>;
  fullScore?: number;
}

export const mipro: Optimizer<MiproOptions> = {
  name: 'mipro',
  paper: 'Opsahl-Ong et al. 2024, Optimizing Instructions and Demonstrations for Multi-Stage Language Model Programs (MIPROv2)',
  defaults: MIPRO_DEFAULTS,
  schema: miproSchema,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'mipro');
    const position: Position = o.position ?? ctx.initial?.position ?? 'Q_begin';
    const initialInstruction = ctx.initial?.instruction ?? '';
    const initialDemos = ctx.initial?.demos ?? [];
    const start: Prompt = { instruction: initialInstruction, position, ...(initialDemos.length ? { demos: initialDemos } : {}) };
    const fallback: Prompt = ctx.initial ?? start;
    const dev = ctx.dev;
    const train = ctx.train;
    let stoppedByBudget = false;

    // ---- 1. demo sets (0-shot search still bootstraps 3 demos per set for the proposer, as DSPy does)
    const maxBoot = o.demos ? o.maxBootstrappedDemos : 3;
    const maxLab = o.demos ? o.maxLabeledDemos : 0;
    const demoSets: DemoSet[] = [{ demos: [...initialDemos], bootstrapped: 0, origin: 'initial' }];
    const teacherRun = async (e: Example) => {
      const r = await ctx.evaluator.evaluate(start, [e]);
      const out = r.outcomes[0]!;
      return { output: out.output.trim(), correct: out.correct };
    };
    const bootRng = ctx.rng.derive('mipro-bootstrap');
    const booted = await untilBudget(async () => {
      if (train.length === 0) return;
      for (let s = 1; s < o.numDemoSets; s++) {
        const setRng = bootRng.derive(`set-${s}`);
        if (s === 1) {
          if (maxLab === 0) continue;
          demoSets.push({ demos: setRng.sample(train, maxLab).map(labeled), bootstrapped: 0, origin: 'labeled' });
        } else if (s === 2) {
          const r = await bootstrapSet(train, maxBoot, maxLab, teacherRun, setRng);
          demoSets.push({ ...r, origin: 'bootstrap' });
        } else {
          const order = setRng.shuffle(train);
          const size = maxBoot > 0 ? setRng.int(1, maxBoot) : 0;
          const r = await bootstrapSet(order, size, maxLab, teacherRun, setRng);
          demoSets.push({ ...r, origin: 'bootstrap-shuffled' });
        }
      }
    });
    if (booted === 'budget') stoppedByBudget = true;

    // ---- 2. grounded instruction proposals
    const instructions: string[] = [initialInstruction];
    const proposals: { metaPrompt: string; rawReply: string }[] = [{ metaPrompt: '', rawReply: '' }];
    const proposeRng = ctx.rng.derive('mipro-propose');
    const proposed = await untilBudget(async () => {
      let dataSummary = '';
      if (o.grounding.dataSummary && train.length > 0 && o.maxObservationCalls > 0) {
        let observations = '';
        for (let b = 0, calls = 0; b < train.length && calls < o.maxObservationCalls; b += o.viewDataBatchSize, calls++) {
          const batch = train.slice(b, b + o.viewDataBatchSize);
          const [reply = ''] = await rec.ask(buildObservationPrompt(batch, b === 0 ? undefined : observations), { temperature: 1 });
          if (b > 0 && /^\s*COMPLETE/i.test(reply)) break;
          observations = b === 0 ? reply.trim() : `${observations}\n${reply.trim()}`;
        }
        [dataSummary = ''] = await rec.ask(buildSummaryPrompt(observations), { temperature: 1 });
        dataSummary = dataSummary.trim();
      }
      const programDescription = o.grounding.program ? describeTask(ctx.task.description, ctx.task.formatInstruction) : undefined;
      const tipKeys = Object.keys(MIPRO_TIPS);
      for (let i = 1; i < o.numInstructionCandidates; i++) {
        const r = proposeRng.derive(`candidate-${i}`);
        const set = demoSets[i % demoSets.length]!;
        const tip = o.grounding.tip ? MIPRO_TIPS[r.pick(tipKeys)]! : '';
        const metaPrompt = buildProposalPrompt({
          ...(dataSummary ? { dataSummary } : {}),
          ...(programDescription ? { programDescription } : {}),
          ...(o.grounding.taskDemos ? { taskDemos: set.demos.slice(0, Math.min(set.bootstrapped, o.demosInProposer)) } : {}),
          ...(o.grounding.history ? { previousInstructions: instructions.filter((s) => s.trim()).slice(-o.maxHistory) } : {}),
          basicInstruction: initialInstruction,
          tip,
        });
        // DSPy: temperature T + epsilon, epsilon ~ U(0.01, 0.05), so repeated proposals differ
        const temperature = o.initTemperature + 0.01 + 0.04 * r.next();
        const [raw = ''] = await rec.ask(metaPrompt, { temperature });
        const text = parseProposal(raw);
        if (!text || text.length > o.maxInstructionLength || instructions.includes(text)) continue;
        instructions.push(text);
        proposals.push({ metaPrompt, rawReply: raw });
      }
    });
    if (proposed === 'budget') stoppedByBudget = true;

    // ---- 3. search over (instruction, demo set)
    const nDemo = o.demos ? demoSets.length : 1;
    const sizes = [instructions.length, nDemo];
    const combos = new Map<string, Combo>();
    const history: Observation[] = [];
    const searchRng = ctx.rng.derive('mipro-search');
    const sampler = new TpeSampler(sizes, searchRng.derive('tpe'), { nStartupTrials: o.tpeStartupTrials });
    let step = 0;

    const comboFor = (params: [number, number]): Combo => {
      const key = params.join(',');
      let combo = combos.get(key);
      if (combo) return combo;
      const [i, d] = params;
      const demos = o.demos ? demoSets[d]!.demos : initialDemos;
      const prompt: Prompt = { instruction: instructions[i]!, position, ...(demos.length ? { demos } : {}) };
      const origin = i === 0 && d === 0 ? 'initial' : 'mipro';
      const { candidate } = rec.propose(prompt, { origin, step, ...(i > 0 ? proposals[i]! : {}) });
      combo = { key, params, candidate, trialScores: [], seen: new Map() };
      combos.set(key, combo);
      return combo;
    };
    const costOf = (combo: Combo, examples: readonly Example[]) => examples.filter((e) => !combo.seen.has(e.id)).length;
    const score = async (combo: Combo, examples: readonly Example[]): Promise<number> => {
      const r = await rec.score(combo.candidate, examples);
      for (const out of r.outcomes) combo.seen.set(out.exampleId, out.correct);
      const full = dev.every((e) => combo.seen.has(e.id));
      if (full) combo.fullScore = dev.filter((e) => combo.seen.get(e.id)).length / Math.max(1, dev.length);
      const seenCorrect = [...combo.seen.values()].filter(Boolean).length;
      combo.candidate.score = combo.fullScore ?? seenCorrect / Math.max(1, combo.seen.size);
      return r.accuracy;
    };
    const incumbent = (): Candidate | undefined => {
      let best: Combo | undefined;
      for (const c of combos.values()) if (c.fullScore !== undefined && (best === undefined || c.fullScore > best.fullScore!)) best = c;
      return best?.candidate;
    };
    const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    /** DSPy get_program_with_highest_avg_score: best mean minibatch score among combos not fully scored. */
    const nextFull = (): Combo | undefined => {
      let best: Combo | undefined;
      for (const c of combos.values())
        if (c.fullScore === undefined && c.trialScores.length > 0 && (best === undefined || mean(c.trialScores) > mean(best.trialScores))) best = c;
      return best;
    };
    const fullEval = async () => {
      const c = nextFull();
      if (!c) return;
      await score(c, dev);
      history.push({ params: c.params, value: c.fullScore! });
      rec.stepDone(step++, incumbent());
    };
    const useMinibatch = o.minibatch && o.minibatchSize < dev.length;

    const searched = await untilBudget(async () => {
      if (dev.length === 0) return;
      // Trial 0: the starting prompt on the full dev set (DSPy's default program, added to the study).
      const base = comboFor([0, 0]);
      if (costOf(base, dev) > ctx.budget.remaining().targetCalls) {
        stoppedByBudget = true;
        return;
      }
      await score(base, dev);
      history.push({ params: base.params, value: base.fullScore! });
      rec.stepDone(step++, incumbent());

      const total = sizes[0]! * sizes[1]!;
      let stall = 0;
      let sinceFull = 0;
      for (let t = 1; t <= o.numTrials; t++) {
        if ([...combos.values()].filter((c) => c.fullScore !== undefined).length >= total) break; // every combination known exactly
        const params = (o.search === 'tpe' ? sampler.suggest(history) : sampler.random()) as [number, number];
        const combo = comboFor(params);
        const batch = useMinibatch ? searchRng.derive(`minibatch-${t}`).sample(dev, o.minibatchSize) : dev;
        const cost = costOf(combo, batch);
        const pending = useMinibatch ? nextFull() : undefined;
        const reserve = pending && pending !== combo ? costOf(pending, dev) : 0;
        if (cost + reserve > ctx.budget.remaining().targetCalls) {
          stoppedByBudget = true;
          break;
        }
        stall = cost === 0 ? stall + 1 : 0;
        const value = await score(combo, batch);
        combo.trialScores.push(value);
        history.push({ params, value });
        rec.stepDone(step++, incumbent());
        sinceFull++;
        if (useMinibatch && t % o.fullEvalEvery === 0) {
          await fullEval();
          sinceFull = 0;
        }
        if (stall >= o.stallTrials) break;
      }
      // DSPy also runs a last full evaluation after the final trial when the schedule did not end on one.
      if (useMinibatch && sinceFull > 0) {
        const last = nextFull();
        if (last && costOf(last, dev) <= ctx.budget.remaining().targetCalls) await fullEval();
      }
    });
    if (searched === 'budget') stoppedByBudget = true;

    const best = incumbent();
    return rec.result(stoppedByBudget ? 'budget' : 'done', fallback, best ? { best: best.prompt, bestScore: best.score ?? 0 } : {});
  },
};
