/**
 * GEPA — Agrawal et al. 2025, "GEPA: Reflective Prompt Evolution Can
 * Outperform Reinforcement Learning" (arXiv 2507.19457; reference code
 * gepa-ai/gepa at b265bf9c, and dspy.GEPA in stanfordnlp/dspy,
 * dspy/teleprompt/gepa/gepa.py).
 *
 * A candidate is a map from component name to text; a popbench prompt has one
 * optimizable component, `instruction` (demos and position are kept). The
 * seed is scored on every dev example (the reference's valset). Each iteration:
 *
 * 1. merge (when scheduled by an accepted candidate and use_merge): two
 *    Pareto-front candidates with a common ancestor are combined component by
 *    component, scored on 5 dev examples chosen where they differ, and kept
 *    (scored on all of dev) when the merged sum is ≥ both parents' sums; the
 *    iteration ends there;
 * 2. otherwise reflective mutation: a parent is drawn from the Pareto front
 *    (each candidate that is best on some dev example, dominated ones removed,
 *    weighted by on how many examples it is best), a minibatch of 3 train
 *    examples is drawn epoch by epoch, the parent is run on it, and (unless
 *    every score is perfect) the reflection LM is shown the instruction and
 *    each example's input, the target's full output and textual feedback, and
 *    writes a new instruction between ``` fences. The child is run on the same
 *    minibatch; when its sum is strictly higher it is scored on all of dev and
 *    joins the pool.
 *
 * Budget: the run stops when GEPA's own metric-call count (per-example
 * evaluations, memoized or not, as the reference counts them) reaches
 * max_metric_calls, or dspy's auto budget for light/medium/heavy, or
 * max_full_evals × (|train| + |dev|); or when the popbench budget runs out.
 *
 * Every reflection is recorded as a ReflectionRecord: the minibatch failures it
 * was shown (with the sim's true cause), the meta-prompt, the raw reply, the
 * child it produced and, from the child's own minibatch run (no extra cost),
 * which shown failures it fixed and which correct examples it broke.
 */
import { z } from 'zod';
import type { Rng } from '../core/rng.js';
import type { EvalOutcome, Example, OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, countSchema, untilBudget } from './common.js';
import type { Candidate, Optimizer, ReflectionRecord, ShownFailure } from './types.js';

export type GepaAuto = 'light' | 'medium' | 'heavy';

export interface GepaOptions {
  /** dspy AUTO_RUN_SETTINGS preset (dspy gepa.py:27-31), used when neither maxMetricCalls nor maxFullEvals is set; null = none. */
  auto: GepaAuto | null;
  /** Metric-call budget (gepa api.py:72 max_metric_calls); Infinity = only the popbench budget stops the run. */
  maxMetricCalls: number;
  /** dspy max_full_evals: budget = maxFullEvals × (|train| + |dev|); null = unused. */
  maxFullEvals: number | null;
  /** Train examples per reflective minibatch (gepa api.py:370 `reflection_minibatch_size or 3`; dspy default 3). */
  reflectionMinibatchSize: number;
  /** Parent selection: Pareto front (api.py:56 default "pareto") or the best aggregate ("current_best"). */
  candidateSelection: 'pareto' | 'current_best';
  /** Skip reflection when every minibatch score is perfect (api.py:59 default True). */
  skipPerfectScore: boolean;
  /** System-aware merge (dspy GEPA use_merge=True; gepa.optimize default False). */
  useMerge: boolean;
  /** Merges accepted at most (api.py:69 / dspy: 5). */
  maxMergeInvocations: number;
  /** Dev examples a merged candidate is first scored on (merge.py:263 num_subsample_ids=5). */
  mergeSubsampleSize: number;
  /** Child acceptance on the minibatch (api.py:99 default "strict_improvement"). */
  acceptance: 'strict_improvement' | 'improvement_or_equal';
  /** Reflection-LM temperature (dspy docstring: temperature=1.0 recommended). */
  temperature: number;
  /** Reflection-LM max tokens (dspy recommends 32000; capped here for local endpoints). */
  maxTokens: number;
}

export const GEPA_DEFAULTS: GepaOptions = {
  auto: 'light',
  maxMetricCalls: Infinity,
  maxFullEvals: null,
  reflectionMinibatchSize: 3,
  candidateSelection: 'pareto',
  skipPerfectScore: true,
  useMerge: true,
  maxMergeInvocations: 5,
  mergeSubsampleSize: 5,
  acceptance: 'strict_improvement',
  temperature: 1.0,
  maxTokens: 4096,
};

const pos = z.number().int().positive();
export const gepaSchema = z.strictObject({
    auto: z.enum(['light', 'medium', 'heavy']).nullable(),
    maxMetricCalls: countSchema(),
    maxFullEvals: pos.nullable(),
    reflectionMinibatchSize: pos,
    candidateSelection: z.enum(['pareto', 'current_best']),
    skipPerfectScore: z.boolean(),
    useMerge: z.boolean(),
    maxMergeInvocations: z.number().int().nonnegative(),
    mergeSubsampleSize: pos,
    acceptance: z.enum(['strict_improvement', 'improvement_or_equal']),
    temperature: z.number().min(0).max(2),
    maxTokens: pos,
}) as z.ZodType<GepaOptions>;

// ---------------------------------------------------------------- budget (dspy gepa.py)

/** dspy AUTO_RUN_SETTINGS (gepa.py:27-31): candidates per preset. */
export const GEPA_AUTO_CANDIDATES: Readonly<Record<GepaAuto, number>> = { light: 6, medium: 12, heavy: 18 };

/**
 * dspy GEPA.auto_budget (gepa.py, `auto_budget`): metric calls for `numCandidates`
 * candidates of a program with `numPreds` predictors and a valset of `valsetSize`:
 * N = ⌊max(2·(2·numPreds)·log2(numCandidates), 1.5·numCandidates)⌋ trials;
 * total = V + 5·numCandidates + N·M + (⌊(N+1)/m⌋ + 1 + [N < m])·V with M = 35, m = 5.
 */
export function autoBudget(numPreds: number, numCandidates: number, valsetSize: number, minibatchSize = 35, fullEvalSteps = 5): number {
  const N = Math.trunc(Math.max(2 * (numPreds * 2) * Math.log2(numCandidates), 1.5 * numCandidates));
  let total = valsetSize + numCandidates * 5 + N * minibatchSize;
  if (N === 0) return total;
  const periodicFulls = Math.floor((N + 1) / fullEvalSteps) + 1;
  const extraFinal = N < fullEvalSteps ? 1 : 0;
  total += (periodicFulls + extraFinal) * valsetSize;
  return total;
}

/**
 * The metric-call budget an option set gives for these split sizes (Infinity =
 * none). dspy requires exactly one of the three; here an explicit
 * maxMetricCalls wins over maxFullEvals, which wins over the auto preset, so a
 * user's budget replaces the default preset without unsetting it.
 */
export function metricCallBudget(o: Pick<GepaOptions, 'auto' | 'maxMetricCalls' | 'maxFullEvals'>, trainSize: number, devSize: number): number {
  if (Number.isFinite(o.maxMetricCalls)) return o.maxMetricCalls;
  if (o.maxFullEvals !== null) return o.maxFullEvals * (trainSize + devSize);
  if (o.auto !== null) return autoBudget(1, GEPA_AUTO_CANDIDATES[o.auto], devSize);
  return Infinity;
}

// ---------------------------------------------------------------- reflection meta-prompt (gepa strategies/instruction_proposal.py)

/** InstructionProposalSignature.default_prompt_template (instruction_proposal.py:13-29), verbatim. */
export const GEPA_REFLECTION_TEMPLATE = `I provided an assistant with the following instructions to perform a task for me:
\`\`\`
<curr_param>
\`\`\`

The following are examples of different task inputs provided to the assistant along with the assistant's response for each of them, and some feedback on how the assistant's response could be better:
\`\`\`
<side_info>
\`\`\`

Your task is to write a new instruction for the assistant.

Read the inputs carefully and identify the input format and infer detailed task description about the task I wish to solve with the assistant.

Read all the assistant responses and the corresponding feedback. Identify all niche and domain specific factual information about the task and include it in the instruction, as a lot of it may not be available to the assistant in the future. The assistant may have utilized a generalizable strategy to solve the task, if so, include that in the instruction as well.

Provide the new instructions within \`\`\` blocks.`;

/** One reflective-dataset record (default_adapter.py:193-197). */
export interface ReflectiveRecord {
  Inputs: string;
  'Generated Outputs': string;
  Feedback: string;
}

/**
 * ContainsAnswerEvaluator's feedback (default_adapter.py:73-80), with popbench's
 * task scorer deciding correctness instead of substring containment.
 */
export function feedbackText(correct: boolean, gold: string): string {
  return correct
    ? `The generated response is correct. The response include the correct answer '${gold}'`
    : `The generated response is incorrect. The correct answer is '${gold}'. Ensure that the correct answer is included in the response exactly as it is.`;
}

/** format_samples / convert_sample_to_markdown (instruction_proposal.py:63-95) for flat string records. */
export function formatReflectiveDataset(records: readonly ReflectiveRecord[]): string {
  return records
    .map((r, i) => {
      let s = `# Example ${i + 1}\n`;
      for (const [k, v] of Object.entries(r)) s += `## ${k}\n${String(v).trim()}\n\n`;
      return s;
    })
    .join('\n\n');
}

/** The reflection meta-prompt: the template with the current instruction and the formatted records (prompt_renderer, :111-112). */
export function gepaReflectionPrompt(instruction: string, records: readonly ReflectiveRecord[]): string {
  return GEPA_REFLECTION_TEMPLATE.replace('<curr_param>', () => instruction).replace('<side_info>', () => formatReflectiveDataset(records));
}

/** InstructionProposalSignature.output_extractor (instruction_proposal.py:125-151). */
export function extractInstruction(lmOut: string): string {
  const start = lmOut.indexOf('```') + 3;
  const end = lmOut.lastIndexOf('```');
  if (start >= end) {
    const stripped = lmOut.trim();
    if (stripped.startsWith('```')) {
      const m = /^```\S*\n?/.exec(lmOut);
      if (m) return lmOut.slice(m[0].length).trim();
    } else if (stripped.endsWith('```')) return stripped.slice(0, -3).trim();
    return stripped;
  }
  let content = lmOut.slice(start, end);
  const m = /^\S*\n/.exec(content);
  if (m) content = content.slice(m[0].length);
  return content.trim();
}

// ---------------------------------------------------------------- Pareto front (gepa gepa_utils.py, core/state.py)

/** Per dev example id: the programs with the highest score on it (state.py:922-944 `_update_pareto_front_for_val_id`). */
export function paretoFronts(subscores: ReadonlyArray<ReadonlyMap<string, number>>): Map<string, Set<number>> {
  const best = new Map<string, number>();
  const fronts = new Map<string, Set<number>>();
  subscores.forEach((scores, p) => {
    for (const [id, s] of scores) {
      const prev = best.get(id) ?? -Infinity;
      if (s > prev) {
        best.set(id, s);
        fronts.set(id, new Set([p]));
      } else if (s === prev) fronts.get(id)!.add(p);
    }
  });
  return fronts;
}

/** is_dominated (gepa_utils.py:40-51): every front y is on also holds one of `others`. */
function isDominated(y: number, others: ReadonlySet<number>, fronts: ReadonlyMap<string, ReadonlySet<number>>): boolean {
  for (const front of fronts.values()) {
    if (!front.has(y)) continue;
    let found = false;
    for (const p of front) if (others.has(p)) found = true;
    if (!found) return false;
  }
  return true;
}

/** Programs in order of first appearance over the fronts (Python dict insertion order; sets iterated ascending). */
function programsOf(fronts: ReadonlyMap<string, ReadonlySet<number>>): number[] {
  const seen: number[] = [];
  for (const front of fronts.values()) for (const p of [...front].sort((a, b) => a - b)) if (!seen.includes(p)) seen.push(p);
  return seen;
}

/**
 * remove_dominated_programs (gepa_utils.py:54-92): programs sorted by aggregate
 * score ascending; repeatedly remove the first one dominated by the rest.
 */
export function removeDominatedPrograms(
  fronts: ReadonlyMap<string, ReadonlySet<number>>,
  scores: readonly number[],
): Map<string, Set<number>> {
  const programs = programsOf(fronts)
    .map((p, i) => ({ p, i }))
    .sort((a, b) => scores[a.p]! - scores[b.p]! || a.i - b.i)
    .map((x) => x.p);
  const dominated = new Set<number>();
  for (let found = true; found; ) {
    found = false;
    for (const y of programs) {
      if (dominated.has(y)) continue;
      const others = new Set(programs.filter((p) => p !== y && !dominated.has(p)));
      if (isDominated(y, others, fronts)) {
        dominated.add(y);
        found = true;
        break;
      }
    }
  }
  const out = new Map<string, Set<number>>();
  for (const [id, front] of fronts) out.set(id, new Set([...front].filter((p) => !dominated.has(p))));
  return out;
}

/** find_dominator_programs (gepa_utils.py:95-104): programs left on some front after removing dominated ones. */
export function findDominatorPrograms(fronts: ReadonlyMap<string, ReadonlySet<number>>, scores: readonly number[]): number[] {
  return programsOf(removeDominatedPrograms(fronts, scores));
}

/**
 * The sampling list of select_program_candidate_from_pareto_front
 * (gepa_utils.py:107-125): each non-dominated program repeated once per dev
 * example it is best on. A draw from it is the parent.
 */
export function paretoSamplingList(fronts: ReadonlyMap<string, ReadonlySet<number>>, scores: readonly number[]): number[] {
  const reduced = removeDominatedPrograms(fronts, scores);
  const freq = new Map<number, number>();
  for (const front of reduced.values()) for (const p of [...front].sort((a, b) => a - b)) freq.set(p, (freq.get(p) ?? 0) + 1);
  const list: number[] = [];
  for (const [p, n] of freq) for (let i = 0; i < n; i++) list.push(p);
  return list;
}

export function selectFromParetoFront(fronts: ReadonlyMap<string, ReadonlySet<number>>, scores: readonly number[], rng: Rng): number {
  return rng.pick(paretoSamplingList(fronts, scores));
}

// ---------------------------------------------------------------- merge (gepa proposer/merge.py)

export type Components = Readonly<Record<string, string>>;

/** does_triplet_have_desirable_predictors (merge.py:27-43): some component kept by one descendant and changed by the other. */
export function desirableTriplet(programs: readonly Components[], ancestor: number, id1: number, id2: number): boolean {
  for (const name of Object.keys(programs[ancestor]!)) {
    const a = programs[ancestor]![name];
    const x = programs[id1]![name];
    const y = programs[id2]![name];
    if ((a === x || a === y) && x !== y) return true;
  }
  return false;
}

export interface MergeState {
  /** (id1, id2, ancestor) triplets merged (merges_performed[0]). */
  triplets: Array<[number, number, number]>;
  /** (id1, id2, descendant choice per component) descriptions (merges_performed[1]). */
  descriptions: string[];
}

function ancestorsOf(node: number, parents: ReadonlyArray<readonly number[]>, found = new Set<number>()): Set<number> {
  for (const p of parents[node] ?? []) {
    if (!found.has(p)) {
      found.add(p);
      ancestorsOf(p, parents, found);
    }
  }
  return found;
}

/** Weighted choice like Python's rng.choices(population, weights) (all-zero weights: uniform). */
function choices<T>(rng: Rng, items: readonly T[], weights: readonly number[]): T {
  return items[rng.weighted(weights)]!;
}

/** find_common_ancestor_pair (merge.py:69-115). */
export function findCommonAncestorPair(
  rng: Rng,
  parents: ReadonlyArray<readonly number[]>,
  candidates: readonly number[],
  state: MergeState,
  agg: readonly number[],
  programs: readonly Components[],
  maxAttempts = 10,
): [number, number, number] | null {
  for (let t = 0; t < maxAttempts; t++) {
    if (candidates.length < 2) return null;
    let [i, j] = rng.sample(candidates, 2) as [number, number];
    if (i === j) continue;
    if (j < i) [i, j] = [j, i];
    const ai = ancestorsOf(i, parents);
    const aj = ancestorsOf(j, parents);
    if (ai.has(j) || aj.has(i)) continue;
    const common = [...ai].filter((a) => aj.has(a)).sort((a, b) => a - b);
    // filter_ancestors (merge.py:46-66)
    const ok = common.filter(
      (a) =>
        !state.triplets.some(([x, y, z]) => x === i && y === j && z === a) &&
        !(agg[a]! > agg[i]! || agg[a]! > agg[j]!) &&
        desirableTriplet(programs, a, i, j),
    );
    if (ok.length > 0) return [i, j, choices(rng, ok, ok.map((a) => agg[a]!))];
  }
  return null;
}

/**
 * sample_and_attempt_merge_programs_by_common_predictors (merge.py:118-207):
 * the merged component map, or null. Per component: when one descendant kept
 * the ancestor's text and the other changed it, take the change; when both
 * changed it, take the higher-scoring descendant's (ties: random); when they
 * agree, take it.
 */
export function attemptMerge(
  rng: Rng,
  agg: readonly number[],
  candidates: readonly number[],
  state: MergeState,
  programs: readonly Components[],
  parents: ReadonlyArray<readonly number[]>,
  maxAttempts = 10,
): { merged: Record<string, string>; id1: number; id2: number; ancestor: number } | null {
  if (candidates.length < 2 || parents.length < 3) return null;
  for (let t = 0; t < maxAttempts; t++) {
    const pair = findCommonAncestorPair(rng, parents, candidates, state, agg, programs, maxAttempts);
    if (!pair) continue;
    const [id1, id2, ancestor] = pair;
    if (state.triplets.some(([x, y, z]) => x === id1 && y === id2 && z === ancestor)) continue;
    const merged: Record<string, string> = { ...programs[ancestor]! };
    const desc: number[] = [];
    for (const name of Object.keys(programs[ancestor]!).sort()) {
      const a = programs[ancestor]![name];
      const x = programs[id1]![name]!;
      const y = programs[id2]![name]!;
      if ((a === x || a === y) && x !== y) {
        const from = a === x ? id2 : id1;
        merged[name] = programs[from]![name]!;
        desc.push(from);
      } else if (a !== x && a !== y) {
        const from = agg[id1]! > agg[id2]! ? id1 : agg[id2]! > agg[id1]! ? id2 : rng.pick([id1, id2]);
        merged[name] = programs[from]![name]!;
        desc.push(from);
      } else {
        merged[name] = x;
        desc.push(id1);
      }
    }
    const key = JSON.stringify([id1, id2, desc]);
    if (state.descriptions.includes(key)) continue;
    state.descriptions.push(key);
    return { merged, id1, id2, ancestor };
  }
  return null;
}

/**
 * select_eval_subsample_for_merged_program (merge.py:259-289): up to
 * ⌈n/3⌉ dev ids where parent 1 is better, then where parent 2 is, then ties,
 * topped up from the rest.
 */
export function mergeSubsample(scores1: ReadonlyMap<string, number>, scores2: ReadonlyMap<string, number>, n: number, rng: Rng): string[] {
  const common = [...scores1.keys()].filter((id) => scores2.has(id));
  const p1 = common.filter((id) => scores1.get(id)! > scores2.get(id)!);
  const p2 = common.filter((id) => scores2.get(id)! > scores1.get(id)!);
  const p3 = common.filter((id) => !p1.includes(id) && !p2.includes(id));
  const nEach = Math.max(1, Math.ceil(n / 3));
  const selected: string[] = [];
  for (const bucket of [p1, p2, p3]) {
    if (selected.length >= n) break;
    const available = bucket.filter((id) => !selected.includes(id));
    const take = Math.min(available.length, nEach, n - selected.length);
    if (take > 0) selected.push(...rng.sample(available, take));
  }
  const remaining = n - selected.length;
  if (remaining > 0) {
    const unused = common.filter((id) => !selected.includes(id));
    if (unused.length >= remaining) selected.push(...rng.sample(unused, remaining));
    else if (common.length > 0) for (let k = 0; k < remaining; k++) selected.push(rng.pick(common));
  }
  return selected.slice(0, n);
}

// ---------------------------------------------------------------- minibatches (gepa strategies/batch_sampler.py)

/**
 * EpochShuffledBatchSampler (batch_sampler.py:34-103): iteration t takes ids
 * [t·b, (t+1)·b) of a shuffled order, reshuffled each epoch; the order is padded
 * to a multiple of b with the least-used ids.
 */
export class EpochShuffledSampler<T extends { id: string }> {
  private order: T[] = [];
  private epoch = -1;
  constructor(
    private readonly data: readonly T[],
    private readonly b: number,
    private readonly rng: Rng,
  ) {}

  private refresh(): void {
    this.order = this.rng.shuffle(this.data);
    const freq = new Map(this.order.map((x) => [x.id, 1]));
    const mod = this.data.length % this.b;
    const pad = mod !== 0 ? this.b - mod : 0;
    for (let k = 0; k < pad; k++) {
      // most_common()[::-1][0]: the least used id, the last inserted among ties
      let pick = this.order[0]!;
      let min = Infinity;
      for (const x of this.order) {
        const f = freq.get(x.id)!;
        if (f <= min) [pick, min] = [x, f];
      }
      this.order.push(pick);
      freq.set(pick.id, min + 1);
    }
  }

  /** The minibatch of iteration `t` (0-based). */
  next(t: number): T[] {
    if (this.data.length === 0) throw new Error('gepa: empty train set');
    const base = t * this.b;
    const epoch = this.epoch === -1 ? 0 : Math.floor(base / Math.max(this.order.length, 1));
    if (this.order.length === 0 || epoch > this.epoch) {
      this.epoch = epoch;
      this.refresh();
    }
    const start = base % this.order.length;
    return this.order.slice(start, start + this.b);
  }
}

// ---------------------------------------------------------------- the optimizer

/** Stop an unbounded run after this many iterations with no new candidate and no target spend (safety net, not in the reference). */
const STALL_EPOCHS = 2;

interface Program {
  cand: Candidate;
  comps: Record<string, string>;
  parents: number[];
  val: Map<string, number>;
  agg: number;
}

async function optimize(ctx: OptimizerContext, o: GepaOptions) {
  const recorder = new Recorder(ctx, 'gepa');
  const initial: Prompt = ctx.initial ?? { instruction: '' };
  const budget = metricCallBudget(o, ctx.train.length, ctx.dev.length);
  const rng = ctx.rng.derive('gepa');
  const sampler = new EpochShuffledSampler(ctx.train, o.reflectionMinibatchSize, rng.derive('batch-sampler'));
  const selectRng = rng.derive('candidate-selector');
  const mergeRng = rng.derive('merge');
  const pool: Program[] = [];
  let metricCalls = 0;
  const withComps = (comps: Record<string, string>): Prompt => ({ ...initial, instruction: comps['instruction'] ?? '' });
  const toScore = (outs: readonly EvalOutcome[]): number[] => outs.map((x) => (x.correct ? 1 : 0));

  const evaluate = async (prompt: Prompt, examples: readonly Example[]) => {
    metricCalls += examples.length;
    return ctx.evaluator.evaluate(prompt, examples);
  };

  /** Score on all of dev and add to the pool (engine `_run_full_eval_and_add`). */
  const addProgram = async (cand: Candidate, comps: Record<string, string>, parents: number[]) => {
    const res = await evaluate(cand.prompt, ctx.dev);
    cand.score = res.accuracy;
    cand.spentAtScore = { ...ctx.budget.spent };
    ctx.log.emit({ type: 'evaluation', optimizer: 'gepa', candidateId: cand.id, score: res.accuracy, n: res.n, spent: cand.spentAtScore });
    const val = new Map(res.outcomes.map((x) => [x.exampleId, x.correct ? 1 : 0]));
    pool.push({ cand, comps, parents, val, agg: res.accuracy });
    return pool.length - 1;
  };

  const seedComps = { instruction: initial.instruction };
  const seed = recorder.propose(initial, { origin: 'initial', step: 0 }).candidate;
  let iteration = 0;
  let mergesDue = 0;
  let totalMergesTested = 0;
  let lastIterFoundNew = false;
  const mergeState: MergeState = { triplets: [], descriptions: [] };
  const stallLimit = STALL_EPOCHS * Math.max(1, Math.ceil(ctx.train.length / o.reflectionMinibatchSize)) + 1;

  const stoppedBy = await untilBudget(async () => {
    await addProgram(seed, seedComps, []);
    recorder.stepDone(0);
    let stalled = 0;
    while (metricCalls < budget) {
      iteration++;
      const before = { n: recorder.trajectory.candidates.length, target: ctx.budget.spent.targetCalls };
      const agg = pool.map((p) => p.agg);
      const fronts = () => paretoFronts(pool.map((p) => p.val));

      // 1) merge, when scheduled and the last iteration found a new program (engine.py:977-1063)
      let merged = false;
      if (o.useMerge && mergesDue > 0 && lastIterFoundNew) {
        lastIterFoundNew = false;
        const cands = findDominatorPrograms(fronts(), agg);
        const attempt = attemptMerge(
          mergeRng,
          agg,
          cands,
          mergeState,
          pool.map((p) => p.comps),
          pool.map((p) => p.parents),
        );
        if (attempt) {
          merged = true;
          const { merged: comps, id1, id2, ancestor } = attempt;
          mergeState.triplets.push([id1, id2, ancestor]);
          const ids = mergeSubsample(pool[id1]!.val, pool[id2]!.val, o.mergeSubsampleSize, mergeRng);
          const byId = new Map(ctx.dev.map((e) => [e.id, e]));
          const sub = ids.map((id) => byId.get(id)!);
          const { candidate, isNew } = recorder.propose(withComps(comps), {
            parents: [pool[id1]!.cand.id, pool[id2]!.cand.id],
            origin: 'gepa-merge',
            step: iteration,
          });
          const res = await evaluate(candidate.prompt, sub);
          const newSum = toScore(res.outcomes).reduce((a, b) => a + b, 0);
          const sum = (p: Program) => ids.reduce((a, id) => a + (p.val.get(id) ?? 0), 0);
          if (isNew && newSum >= Math.max(sum(pool[id1]!), sum(pool[id2]!))) {
            await addProgram(candidate, comps, [id1, id2]);
            mergesDue--;
            totalMergesTested++;
          }
        }
      }
      if (!merged) {
        lastIterFoundNew = false;
        await reflect(iteration, fronts(), agg);
      }
      recorder.stepDone(iteration);
      const nothingNew = recorder.trajectory.candidates.length === before.n && ctx.budget.spent.targetCalls === before.target;
      stalled = nothingNew ? stalled + 1 : 0;
      if (stalled >= stallLimit) break;
    }
  });

  /** 2) reflective mutation (reflective_mutation.py:286-…, engine `_run_reflective_batch`). */
  async function reflect(i: number, fronts: Map<string, Set<number>>, agg: number[]) {
    const parentIdx =
      o.candidateSelection === 'pareto' ? selectFromParetoFront(fronts, agg, selectRng) : agg.indexOf(Math.max(...agg));
    const parent = pool[parentIdx]!;
    const minibatch = sampler.next(i - 1);
    const base = await evaluate(parent.cand.prompt, minibatch);
    const before = toScore(base.outcomes);
    if (o.skipPerfectScore && before.every((s) => s >= 1)) return;
    const records: ReflectiveRecord[] = base.outcomes.map((x) => ({
      Inputs: x.input,
      'Generated Outputs': x.output,
      Feedback: feedbackText(x.correct, x.gold),
    }));
    const meta = gepaReflectionPrompt(parent.comps['instruction'] ?? '', records);
    const shown: ShownFailure[] = base.outcomes
      .filter((x) => !x.correct)
      .map((x) => ({
        exampleId: x.exampleId,
        input: x.input,
        output: x.output,
        gold: x.gold,
        ...(x.trueCause !== undefined ? { trueCause: x.trueCause } : {}),
      }));
    const rec: ReflectionRecord = { step: i, parentId: parent.cand.id, shown, metaPrompt: meta, text: '', editIds: [] };
    try {
      const [reply = ''] = await recorder.ask(meta, { temperature: o.temperature, maxTokens: o.maxTokens });
      rec.text = reply;
      const instruction = extractInstruction(reply);
      const comps = { ...parent.comps, instruction };
      const { candidate, isNew } = recorder.propose(withComps(comps), {
        parents: [parent.cand.id],
        origin: 'gepa-reflect',
        step: i,
        metaPrompt: meta,
        rawReply: reply,
      });
      if (candidate.id !== parent.cand.id) rec.editIds.push(candidate.id);
      const after = await evaluate(candidate.prompt, minibatch);
      const now = new Map(after.outcomes.map((x) => [x.exampleId, x.correct]));
      rec.fixed = { [candidate.id]: shown.filter((s) => now.get(s.exampleId) === true).map((s) => s.exampleId) };
      rec.broke = { [candidate.id]: base.outcomes.filter((x) => x.correct && now.get(x.exampleId) === false).map((x) => x.exampleId) };
      const oldSum = before.reduce((a, b) => a + b, 0);
      const newSum = toScore(after.outcomes).reduce((a, b) => a + b, 0);
      const accept = o.acceptance === 'strict_improvement' ? newSum > oldSum : newSum >= oldSum;
      // A proposal identical to a candidate already in the pool is not added twice.
      if (!accept || (!isNew && pool.some((p) => p.cand === candidate))) return;
      await addProgram(candidate, comps, [parentIdx]);
      lastIterFoundNew = true;
      if (totalMergesTested < o.maxMergeInvocations) mergesDue++;
    } finally {
      recorder.reflect(rec);
    }
  }

  return recorder.result(stoppedBy, initial);
}

export const gepa: Optimizer<GepaOptions> = {
  name: 'gepa',
  paper: 'Agrawal et al. 2025, GEPA: Reflective Prompt Evolution Can Outperform Reinforcement Learning (arXiv 2507.19457)',
  defaults: GEPA_DEFAULTS,
  schema: gepaSchema,
  optimize,
};
