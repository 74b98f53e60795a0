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
  /**
   * Instruction candidates, the starting instruction included; null = DSPy
   * auto="light": int(0.5·6) = 3 when demos are searched, 6 in 0-shot mode
   * (mipro_optimizer_v2.py:310).
   */
  numInstructionCandidates: number | null;
  /** Demo-set candidates, the starting demos (set 0) and the labeled-only set (set 1) included. */
  numDemoSets: number;
  /**
   * Search trials (minibatch evaluations); Infinity lets the budget or a stall
   * end the search; null = DSPy auto="light": max(2·M·log2 6, 1.5·6) = 10 with
   * demos (M = 2), 9 in 0-shot mode (M = 1) (mipro_optimizer_v2.py:280-287, :315).
   */
  numTrials: number | null;
  /** Most bootstrapped (model-written, checked correct) demos per set. */
  maxBootstrappedDemos: number;
  /** Labeled demos fill a set up to this many. */
  maxLabeledDemos: number;
  /** false: 0-shot, instruction-only search (demo sets are still bootstrapped, 3 demos, no labeled ones, to show the proposer). */
  demos: boolean;
  /** Score trials on minibatches (true) or on the full dev set (false). */
  minibatch: boolean;
  minibatchSize: number;
  /** Full dev evaluation of the best minibatch-mean combination every this many trials. */
  fullEvalEvery: number;
  /** Proposal temperature (dspy 3.3.1: init_temperature, no epsilon; each proposal gets its own rollout id). */
  initTemperature: number;
  /**
   * Dev examples the search scores on: DSPy's auto modes subsample the valset
   * to val_size (light 100, medium 300, heavy 1000); 'all' keeps every dev example.
   */
  valSize: number | 'all';
  /** Train examples per dataset-summary observation call. */
  viewDataBatchSize: number;
  /** Most observation calls for the dataset summary (one more call summarises them). */
  maxObservationCalls: number;
  /** Bootstrapped demos shown per proposal. */
  demosInProposer: number;
  /** Most previous instructions shown per proposal (only with grounding.history). */
  maxHistory: number;
  /** Make the proposal for instruction 0 that DSPy makes and then replaces by the basic instruction (its calls are spent, its text dropped). */
  proposeForBasic: boolean;
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
 * MIPRO's starting prompt when the run sets none: DSPy's default instructions
 * for a `question -> answer` signature (dspy/signatures/signature.py:35-38),
 * which DSPy shows as the basic instruction and keeps as instruction candidate 0.
 */
export const MIPRO_INITIAL: Prompt = { instruction: 'Given the fields `question`, produce the fields `answer`.' };

/** mipro_optimizer_v2.py:44 */
export const MIN_MINIBATCH_SIZE = 50;

/** mipro_optimizer_v2.py:42 */
export const BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT = 3;

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
  numInstructionCandidates: null, // mipro_optimizer_v2.py:310 auto="light" (:69, n = 6 :47): 3 with demos, 6 in 0-shot
  numDemoSets: 6, // mipro_optimizer_v2.py:311 num_fewshot_candidates = n = 6
  numTrials: null, // mipro_optimizer_v2.py:280-287, :315: 10 with demos, 9 in 0-shot
  maxBootstrappedDemos: 4, // mipro_optimizer_v2.py:67
  maxLabeledDemos: 4, // mipro_optimizer_v2.py:68
  demos: true,
  minibatch: true, // mipro_optimizer_v2.py:120 (auto: len(valset) > MIN_MINIBATCH_SIZE = 50, :44, :307)
  minibatchSize: 35, // mipro_optimizer_v2.py:121
  fullEvalEvery: 5, // mipro_optimizer_v2.py:122 minibatch_full_eval_steps
  initTemperature: 1.0, // mipro_optimizer_v2.py:74 init_temperature=1.0; grounded_proposer.py:395-398 (no epsilon)
  valSize: 100, // mipro_optimizer_v2.py:47 light val_size, :306 create_minibatch
  viewDataBatchSize: 10, // mipro_optimizer_v2.py:125
  maxObservationCalls: 10, // dataset_summary_generator.py:62 max_calls = 10
  demosInProposer: 3, // mipro_optimizer_v2.py:42 BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT, :479
  maxHistory: 5, // grounded_proposer.py:15 MAX_INSTRUCT_IN_HISTORY
  // mipro_optimizer_v2.py:470-484: program/data/tip/fewshot aware; use_instruct_history=False
  grounding: { dataSummary: true, tip: true, history: false, program: true, taskDemos: true },
  proposeForBasic: true, // grounded_proposer.py:336 proposes for every demo set; mipro_optimizer_v2.py:503 overwrites [0]
  search: 'tpe',
  tpeStartupTrials: TPE_DEFAULTS.nStartupTrials, // Optuna TPESampler n_startup_trials=10
  stallTrials: 50, // ours: only for unbounded trial counts
  maxInstructionLength: 2000, // ours: guards against runaway replies
  position: null, // null = ctx.initial's position (Q_begin when none)
};

// ---------------------------------------------------------------- DSPy ChatAdapter (dspy 3.3.1)

/** A DSPy signature: its instructions (docstring) and its input / output fields with their `desc`. */
export interface DspySignature {
  instructions: string;
  inputs: readonly (readonly [name: string, desc: string])[];
  outputs: readonly (readonly [name: string, desc: string])[];
}

/** `get_field_description_string` (dspy/adapters/utils.py:263-280) for str fields. */
function fieldDescriptions(fields: DspySignature['inputs']): string {
  return fields.map(([k, desc], i) => `${i + 1}. \`${k}\` (str): ${desc}`).join('\n').trim();
}

/** Python textwrap.dedent of a one-paragraph docstring, then ChatAdapter.format_task_description (chat_adapter.py). */
function taskDescription(instructions: string): string {
  const lines = instructions.split('\n');
  return `In adhering to this structure, your objective is: ${['', ...lines].join('\n' + ' '.repeat(8))}`;
}

/**
 * The messages DSPy's ChatAdapter sends for one Predict call with no demos
 * (dspy/adapters/base.py:426-441 `format`, format_system_message :444-455;
 * chat_adapter.py format_field_description, format_field_structure,
 * format_task_description, format_user_message_content,
 * user_message_output_requirements). Values are strings (str(value)).
 */
export function dspyChatMessages(sig: DspySignature, values: Record<string, string>): { system: string; user: string } {
  const block = (fields: DspySignature['inputs']) => fields.map(([k]) => `[[ ## ${k} ## ]]\n{${k}}`).join('\n\n').trim();
  const structure = [
    'All interactions will be structured in the following way, with the appropriate values filled in.',
    block(sig.inputs),
    block(sig.outputs),
    '[[ ## completed ## ]]\n',
  ]
    .join('\n\n')
    .trim();
  const system =
    `Your input fields are:\n${fieldDescriptions(sig.inputs)}\nYour output fields are:\n${fieldDescriptions(sig.outputs)}\n` +
    `${structure}\n` +
    taskDescription(sig.instructions);
  const parts = [''];
  for (const [k] of sig.inputs) if (k in values) parts.push(`[[ ## ${k} ## ]]\n${values[k]}`);
  parts.push(
    'Respond with the corresponding output fields, starting with the field ' +
      sig.outputs.map(([f]) => `\`[[ ## ${f} ## ]]\``).join(', then ') +
      ', and then ending with the marker for `[[ ## completed ## ]]`.',
  );
  parts.push('');
  return { system, user: parts.join('\n\n').trim() };
}

/**
 * An output field of a ChatAdapter reply (chat_adapter.py `parse`): the lines
 * after its `[[ ## name ## ]]` header up to the next header, trimmed. A reply
 * without the header is read whole (minus a `[[ ## completed ## ]]` marker).
 */
export function parseDspyField(reply: string, field: string): string {
  const sections: [string | null, string[]][] = [[null, []]];
  for (const line of reply.split(/\r?\n/)) {
    const m = /^\[\[ ## (\w+) ## \]\]/.exec(line.trim());
    if (m) {
      const rest = line.trim().slice(m[0].length).trim();
      sections.push([m[1]!, rest ? [rest] : []]);
    } else sections[sections.length - 1]![1].push(line);
  }
  const hit = sections.find(([k]) => k === field);
  if (hit) return hit[1].join('\n').trim();
  return reply.replace('[[ ## completed ## ]]', '').trim();
}

/** dspy/propose/utils.py:17-20 strip_prefix: drop a leading "Some Label:" (≤ 5 words) and enclosing double quotes. */
export function stripPrefix(text: string): string {
  return text.replace(/^[*\s]*(([\w'-]+\s+){0,4}[\w'-]+):\s*/, '').replace(/^"+|"+$/g, '');
}

/** Python repr() of a str. */
export function pyRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === q) out += '\\' + q;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return q + out + q;
}

/**
 * `order_input_keys_in_string(trainset[a:b].__repr__())` (dataset_summary_generator.py:30-54,
 * dspy/primitives/example.py:150-153): the examples as DSPy prints a list of
 * Example({'question': …, 'answer': …}) (input_keys={'question'}).
 */
export function dspyExamplesRepr(examples: readonly Example[]): string {
  return `[${examples.map((e) => `Example({'question': ${pyRepr(e.input)}, 'answer': ${pyRepr(e.target)}}) (input_keys={'question'})`).join(', ')}]`;
}

// ---------------------------------------------------------------- DSPy signatures used by MIPROv2 (dspy 3.3.1)

/** dataset_summary_generator.py:12-18 */
export const DATASET_DESCRIPTOR: DspySignature = {
  instructions:
    'Given several examples from a dataset please write observations about trends that hold for most or all of the samples. ' +
    'Some areas you may consider in your observations: topics, content, syntax, conciseness, etc. ' +
    "It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
  inputs: [['examples', 'Sample data points from the dataset']],
  outputs: [['observations', 'Somethings that holds true for most or all of the data you observed']],
};

/** dataset_summary_generator.py:20-28 (wording and typos as in DSPy) */
export const DATASET_DESCRIPTOR_WITH_PRIOR: DspySignature = {
  instructions:
    'Given several examples from a dataset please write observations about trends that hold for most or all of the samples. ' +
    "I will also provide you with a few observations I have already made.  Please add your own observations or if you feel the observations are comprehensive say 'COMPLETE' " +
    'Some areas you may consider in your observations: topics, content, syntax, conciceness, etc. ' +
    "It will be useful to make an educated guess as to the nature of the task this dataset will enable. Don't be afraid to be creative",
  inputs: [
    ['examples', 'Sample data points from the dataset'],
    ['prior_observations', 'Some prior observations I made about the data'],
  ],
  outputs: [['observations', 'Somethings that holds true for most or all of the data you observed or COMPLETE if you have nothing to add']],
};

/** dataset_summary_generator.py:7-10 */
export const OBSERVATION_SUMMARIZER: DspySignature = {
  instructions:
    'Given a series of observations I have made about my dataset, please summarize them into a brief 2-3 sentence summary which highlights only the most important details.',
  inputs: [['observations', 'Observations I have made about my dataset']],
  outputs: [['summary', 'Two to Three sentence summary of only the most significant highlights of my observations']],
};

/** grounded_proposer.py:28-40 */
export const DESCRIBE_PROGRAM: DspySignature = {
  instructions:
    'Below is some pseudo-code for a pipeline that solves tasks with calls to language models. Please describe what type of task this program appears to be designed to solve, and how it appears to work.',
  inputs: [
    ['program_code', 'Pseudocode for a language model program designed to solve a particular task.'],
    ['program_example', 'An example of the program in use.'],
  ],
  outputs: [['program_description', 'Describe what task the program is designed to solve, and how it goes about solving this task.']],
};

/** grounded_proposer.py:43-61 */
export const DESCRIBE_MODULE: DspySignature = {
  instructions:
    'Below is some pseudo-code for a pipeline that solves tasks with calls to language models. Please describe the purpose of one of the specified module in this pipeline.',
  inputs: [
    ['program_code', 'Pseudocode for a language model program designed to solve a particular task.'],
    ['program_example', 'An example of the program in use.'],
    ['program_description', 'Summary of the task the program is designed to solve, and how it goes about solving it.'],
    ['module', 'The module in the program that we want to describe.'],
  ],
  outputs: [['module_description', "Description of the module's role in the broader program."]],
};

/** grounded_proposer.py:64-110 generate_instruction_class: the fields present depend on the proposer's flags. */
export function generateInstructionSignature(f: { dataSummary: boolean; program: boolean; history: boolean; tip: boolean }): DspySignature {
  const inputs: [string, string][] = [];
  if (f.dataSummary) inputs.push(['dataset_description', 'A description of the dataset that we are using.']);
  if (f.program)
    inputs.push(
      ['program_code', 'Language model program designed to solve a particular task.'],
      ['program_description', 'Summary of the task the program is designed to solve, and how it goes about solving it.'],
      ['module', 'The module to create an instruction for.'],
      ['module_description', 'Description of the module to create an instruction for.'],
    );
  inputs.push(['task_demos', 'Example inputs/outputs of our module.']);
  if (f.history) inputs.push(['previous_instructions', "Previous instructions we've attempted, along with their associated scores."]);
  inputs.push(['basic_instruction', 'Basic instruction.']);
  if (f.tip) inputs.push(['tip', 'A suggestion for how to go about generating the new instruction.']);
  return {
    instructions:
      'Use the information below to learn about a task that we are trying to solve using calls to an LM, then generate a new instruction that will be used to prompt a Language Model to better solve the task.',
    inputs,
    outputs: [['proposed_instruction', 'Propose an instruction that will be used to prompt a Language Model to perform this task.']],
  };
}

/** How a demo is shown to the proposer (propose/utils.py:129-144 create_example_string with the fields' prefixes). */
export function exampleString(input: string, output: string): string {
  return `Question: ${input}\nAnswer: ${output}`;
}

/**
 * The program code the program-aware proposer reads. DSPy reads the user's
 * program source (get_dspy_source_code); a popbench program is one prompt, so
 * this is the single-module DSPy program that prompt stands for.
 */
export const PROGRAM_CODE = [
  'class Program(dspy.Module):',
  '    def __init__(self):',
  '        super().__init__()',
  '        self.predictor = dspy.Predict("question -> answer")',
  '',
  '    def forward(self, question):',
  '        return self.predictor(question=question)',
].join('\n');

/** grounded_proposer.py:213 module_code for a Predict(question -> answer) module. */
export const MODULE_CODE = 'Predict(question) -> answer';

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
  numInstructionCandidates: z.number().int().positive().nullable(),
  numDemoSets: z.number().int().positive(),
  numTrials: countSchema().nullable(),
  maxBootstrappedDemos: z.number().int().nonnegative(),
  maxLabeledDemos: z.number().int().nonnegative(),
  demos: z.boolean(),
  minibatch: z.boolean(),
  minibatchSize: z.number().int().positive(),
  fullEvalEvery: z.number().int().positive(),
  initTemperature: z.number().nonnegative(),
  valSize: z.union([z.number().int().positive(), z.literal('all')]),
  viewDataBatchSize: z.number().int().positive(),
  maxObservationCalls: z.number().int().nonnegative(),
  demosInProposer: z.number().int().nonnegative(),
  maxHistory: z.number().int().nonnegative(),
  proposeForBasic: z.boolean(),
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
  initial: () => MIPRO_INITIAL,
  /**
   * The MIPRO paper's benchmarks are multi-stage DSPy programs that popbench
   * does not have; its preset is the released optimizer's own setting (DSPy
   * 3.3.1 MIPROv2 auto="light" = the defaults) with DSPy's starting prompt, on
   * any task.
   */
  paperPreset: () => ({
    source: 'DSPy 3.3.1 MIPROv2(auto="light") (mipro_optimizer_v2.py:46-49, :60-130); the paper\'s programs are not in popbench',
    initial: MIPRO_INITIAL,
  }),
  paper: 'Opsahl-Ong et al. 2024, Optimizing Instructions and Demonstrations for Multi-Stage Language Model Programs (MIPROv2)',
  defaults: MIPRO_DEFAULTS,
  schema: miproSchema,
  async optimize(ctx, o) {
    const rec = new Recorder(ctx, 'mipro');
    const position: Position = o.position ?? ctx.initial?.position ?? 'Q_begin';
    const initialInstruction = (ctx.initial ?? MIPRO_INITIAL).instruction;
    const initialDemos = ctx.initial?.demos ?? [];
    const start: Prompt = { instruction: initialInstruction, position, ...(initialDemos.length ? { demos: initialDemos } : {}) };
    const fallback: Prompt = start;
    const zeroShot = !o.demos;
    const numInstructionCandidates = o.numInstructionCandidates ?? (zeroShot ? MIPRO_AUTO.light : Math.trunc(MIPRO_AUTO.light * 0.5));
    const numTrials = o.numTrials ?? miproNumTrials(MIPRO_AUTO.light, zeroShot);
    // mipro_optimizer_v2.py:306-307: the valset is subsampled to val_size; minibatching only above 50 examples
    const dev = o.valSize === 'all' ? ctx.dev : ctx.rng.derive('mipro-valset').sample(ctx.dev, Math.min(o.valSize, ctx.dev.length));
    const train = ctx.train;
    let stoppedByBudget = false;

    // ---- 1. demo sets (0-shot search still bootstraps 3 demos per set for the proposer, mipro_optimizer_v2.py:430-436)
    const maxBoot = o.demos ? o.maxBootstrappedDemos : BOOTSTRAPPED_FEWSHOT_EXAMPLES_IN_CONTEXT;
    const maxLab = o.demos ? o.maxLabeledDemos : 0;
    const demoSets: DemoSet[] = [{ demos: [...initialDemos], bootstrapped: 0, origin: 'initial' }];
    // bootstrap.py:104-106: the teacher is the student with k = max_labeled_demos labeled demos (LabeledFewShot,
    // vanilla.py:17-21); bootstrap.py drops the example being bootstrapped from the teacher's demos.
    const teacherDemos = maxLab > 0 ? ctx.rng.derive('mipro-teacher').sample(train, Math.min(maxLab, train.length)) : [];
    const teacherRun = async (e: Example) => {
      const demos = [...initialDemos, ...teacherDemos.filter((d) => d.id !== e.id).map(labeled)];
      const teacher: Prompt = { instruction: initialInstruction, position, ...(demos.length ? { demos } : {}) };
      const r = await ctx.evaluator.evaluate(teacher, [e]);
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

    // ---- 2. grounded instruction proposals (grounded_proposer.py, dataset_summary_generator.py), DSPy ChatAdapter messages
    const instructions: string[] = [initialInstruction];
    const proposals: { metaPrompt: string; rawReply: string }[] = [{ metaPrompt: '', rawReply: '' }];
    const proposeRng = ctx.rng.derive('mipro-propose');
    const predict = async (sig: DspySignature, values: Record<string, string>, field: string, temperature: number) => {
      const m = dspyChatMessages(sig, values);
      const [raw = ''] = await rec.ask(m.user, { system: m.system, temperature });
      return { raw, value: parseDspyField(raw, field), metaPrompt: `${m.system}\n${m.user}` };
    };
    const proposed = await untilBudget(async () => {
      let dataSummary = '';
      if (o.grounding.dataSummary && train.length > 0 && o.maxObservationCalls > 0) {
        // dataset_summary_generator.py:48-99 (temperature 1.0)
        const first = await predict(DATASET_DESCRIPTOR, { examples: dspyExamplesRepr(train.slice(0, o.viewDataBatchSize)) }, 'observations', 1);
        let observations = first.value;
        let calls = 0;
        let skips = 0;
        for (let b = o.viewDataBatchSize; b < train.length; b += o.viewDataBatchSize) {
          calls++;
          if (calls >= o.maxObservationCalls) break;
          const out = await predict(
            DATASET_DESCRIPTOR_WITH_PRIOR,
            { examples: dspyExamplesRepr(train.slice(b, b + o.viewDataBatchSize)), prior_observations: observations },
            'observations',
            1,
          );
          if (out.value.length >= 8 && out.value.slice(0, 8).toUpperCase() === 'COMPLETE') {
            if (++skips >= 5) break;
            continue;
          }
          observations += out.value;
        }
        dataSummary = stripPrefix((await predict(OBSERVATION_SUMMARIZER, { observations }, 'summary', 1)).value);
      }
      const tipKeys = Object.keys(MIPRO_TIPS);
      for (let i = o.proposeForBasic ? 0 : 1; i < numInstructionCandidates; i++) {
        const r = proposeRng.derive(`candidate-${i}`);
        const setIndex = i % demoSets.length;
        const tip = o.grounding.tip ? MIPRO_TIPS[r.pick(tipKeys)]! : '';
        // grounded_proposer.py:171-185: bootstrapped demos of this set, then the following sets, then the earlier ones
        let taskDemos = '';
        if (o.grounding.taskDemos) {
          const adjacent = [...demoSets.slice(setIndex), ...demoSets.slice(0, setIndex)];
          const shown = adjacent.flatMap((d) => d.demos.slice(0, d.bootstrapped)).slice(0, o.demosInProposer);
          taskDemos = shown.map((d) => exampleString(d.input, d.output)).join('\n\n') + '\n\n';
        }
        if (!taskDemos.trim() || setIndex === 0) taskDemos = 'No task demos provided.';
        const values: Record<string, string> = {};
        if (dataSummary) values.dataset_description = dataSummary;
        if (o.grounding.program) {
          // grounded_proposer.py:191-221: two description calls per proposal (at the proposal temperature)
          const desc = await predict(DESCRIBE_PROGRAM, { program_code: PROGRAM_CODE, program_example: taskDemos }, 'program_description', o.initTemperature);
          const programDescription = stripPrefix(desc.value);
          const mod = await predict(
            DESCRIBE_MODULE,
            { program_code: PROGRAM_CODE, program_example: taskDemos, program_description: programDescription, module: MODULE_CODE },
            'module_description',
            o.initTemperature,
          );
          Object.assign(values, { program_code: PROGRAM_CODE, program_description: programDescription, module: MODULE_CODE, module_description: mod.value });
        }
        values.task_demos = taskDemos;
        const history = instructions.filter((x) => x.trim()).slice(-o.maxHistory);
        const useHistory = o.grounding.history && history.length > 0;
        if (useHistory) values.previous_instructions = history.map((x, k) => `Instruction #${k + 1}: ${x}`).join('\n');
        values.basic_instruction = initialInstruction;
        if (tip) values.tip = tip;
        const sig = generateInstructionSignature({ dataSummary: !!dataSummary, program: o.grounding.program, history: useHistory, tip: !!tip });
        const out = await predict(sig, values, 'proposed_instruction', o.initTemperature);
        // mipro_optimizer_v2.py:503: candidate 0 is replaced by the basic instruction
        if (i === 0) continue;
        const text = stripPrefix(out.value);
        if (!text || text.length > o.maxInstructionLength || instructions.includes(text)) continue;
        instructions.push(text);
        proposals.push({ metaPrompt: out.metaPrompt, rawReply: out.raw });
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
    // mipro_optimizer_v2.py:44, :307: minibatching only when the valset has more than MIN_MINIBATCH_SIZE = 50 examples
    const useMinibatch = o.minibatch && dev.length > MIN_MINIBATCH_SIZE && o.minibatchSize < dev.length;

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
      for (let t = 1; t <= numTrials; t++) {
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
