/**
 * Sim target models (sim-1b, sim-8b, sim-70b): answer a chat request about a
 * registered example through a short causal chain whose first failing stage
 * is the true cause (docs/sim.md, "Target models").
 */
import { hashUnit, sha256 } from '../core/hash.js';
import type { Example, LLMChoice, LLMRequest, Task } from '../core/types.js';
import { correctValues, stylesFor, styleLine, valueInFormat, verbalValue, wrongValue } from './answers.js';
import { TELLS } from './causes.js';
import { memoFeatures, namesConcept, safeExtract, safeScore, type PromptFeatures } from './features.js';
import {
  type Effects,
  UNIT_EFFECTS,
  DEFAULT_KNOWLEDGE_LOAD,
  FORMAT_BASE,
  KNOWLEDGE_LOAD,
  MAX_TEXT_CHARS,
  STAGE,
  TARGET_PARAMS,
  type TargetParams,
} from './params.js';
import type { ExampleDraws, SimWorld } from './world.js';

export interface StageRecord {
  stage: string;
  /** Probability that the stage succeeds. */
  p: number;
  ok: boolean;
}

export interface SimAnnotation {
  taskId: string | null;
  exampleId: string | null;
  trueCause: string | null;
  correct: boolean | null;
  stages: StageRecord[];
  features: PromptFeatures | null;
  difficulty?: number;
  concepts?: string[];
  /** True when the output shows the evidence of the true cause (always true for correct answers). */
  evidenceVisible?: boolean;
  /** Did the instruction get ignored (features dropped)? */
  instructionIgnored?: boolean;
  recognised: boolean;
}

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Deterministic standard normal from a key (Box–Muller on two hash units). */
export function hashNormal(key: unknown[]): number {
  let u = hashUnit([...key, 'z1']);
  if (u === 0) u = 2 ** -53;
  const v = hashUnit([...key, 'z2']);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * `hashNormal(key)` from the canonical JSON of the key without its closing
 * bracket (`["a",1` for ["a", 1]): the hashed texts are those hashNormal
 * builds, written out directly (keys of strings and finite numbers only).
 */
export function hashNormalOfJson(open: string): number {
  let u = hashUnit(`${open},"z1"]`);
  if (u === 0) u = 2 ** -53;
  const v = hashUnit(`${open},"z2"]`);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

export function requestText(req: LLMRequest): string {
  return req.messages.map((m) => m.content).join('\n');
}

export function targetParams(model: string): TargetParams {
  const p = TARGET_PARAMS[model];
  if (!p) throw new Error(`not a sim target model: ${model}`);
  return p;
}

/** The sim target's reply to a request whose question is not in its world (docs/sim.md). */
export const UNRECOGNISED =
  'I cannot answer this: the request does not contain a question I recognise from the tasks loaded in this simulated world.';

const CONCEPT_STAGES = new Map<string, string>();
/** `concept:<c>`, one string per concept. */
function conceptStage(c: string): string {
  let s = CONCEPT_STAGES.get(c);
  if (s === undefined) CONCEPT_STAGES.set(c, (s = `concept:${c}`));
  return s;
}

/** Stage logits for one example under given features (no noise). Exported for docs/tests. */
export function stageLogits(
  p: TargetParams,
  f: PromptFeatures,
  task: Task,
  concepts: readonly string[],
  d: number,
  e: Effects = UNIT_EFFECTS,
  quality = 0,
): Array<{ stage: string; logit: number }> {
  const out: Array<{ stage: string; logit: number }> = [];
  if (f.distractionWords > 0) {
    const dist = Math.min(1, f.distractionWords / STAGE.focus.distWordsFull);
    out.push({ stage: 'focus', logit: STAGE.focus.base - p.s * STAGE.focus.perSDist * dist });
  }
  const C = STAGE.concept;
  const cotLike = f.cot || f.procedureSteps > 0;
  for (const c of concepts) {
    const hint = f.conceptHints.includes(c) ? 1 : 0;
    const inProc = f.procedureSteps > 0 && namesConcept(f.procedureText, c) ? 1 : 0;
    const demos = f.demosCorrect > 0 ? 1 : 0;
    out.push({
      stage: conceptStage(c),
      logit:
        C.base +
        p.a -
        C.perD * d +
        e.hint * C.hint * hint +
        e.procedure * C.procedure * inProc +
        e.cot * C.cot * (cotLike ? 1 : 0) +
        e.demos * C.demos * demos +
        e.hintXhint * Math.max(0, f.conceptHints.length - 1) +
        quality,
    });
  }
  const K = STAGE.knowledge;
  const load = KNOWLEDGE_LOAD[task.family] ?? DEFAULT_KNOWLEDGE_LOAD;
  out.push({ stage: 'knowledge', logit: K.base + K.perA * p.a - K.perD * d * load + e.knowledgeCue * K.cue * (f.knowledgeCue ? 1 : 0) + quality });
  const R = STAGE.reasoning;
  out.push({
    stage: 'reasoning',
    logit:
      R.base +
      p.a -
      R.perD * d +
      e.cot * R.cot * (f.cot ? 1 : 0) +
      e.procedure * R.procedure * (f.procedureSteps > 0 ? 1 : 0) +
      e.cotXprocedure * (f.cot && f.procedureSteps > 0 ? 1 : 0) +
      e.demos * R.demoCot * (f.demoCot ? 1 : 0) -
      R.perExtraConcept * Math.max(0, concepts.length - 1) +
      quality,
  });
  const F = STAGE.format;
  out.push({
    stage: 'format',
    logit:
      (FORMAT_BASE[task.answerFormat] ?? 0.5) +
      F.perF * p.f +
      (f.formatInstruction === 'match' ? e.formatMatch * F.match : 0) -
      (f.formatInstruction === 'mismatch' ? F.mismatch : 0) +
      (f.demosParseable > 0 ? e.demos * F.demos : 0),
  });
  return out;
}

function hasDirectives(f: PromptFeatures): boolean {
  return f.cot || f.procedureSteps > 0 || f.formatInstruction !== 'none' || f.conceptHints.length > 0 || f.knowledgeCue;
}

function withoutInstruction(f: PromptFeatures): PromptFeatures {
  const { askedFormat: _a, answerStyle: _s, ...rest } = f;
  return { ...rest, cot: false, procedureSteps: 0, procedureText: '', formatInstruction: 'none', conceptHints: [], knowledgeCue: false };
}

const causeOfStage = (stage: string): string =>
  stage === 'focus'
    ? 'DISTRACTION'
    : stage.startsWith('concept:')
      ? `MISSING_CONCEPT:${stage.slice('concept:'.length)}`
      : stage === 'knowledge'
        ? 'KNOWLEDGE_GAP'
        : stage === 'reasoning'
          ? 'REASONING_SLIP'
          : 'FORMAT';

/**
 * Answer one request for one choice. `text` is the request text
 * (`requestText(req)`) when the caller has it already.
 *
 * What depends only on the prompt (its features, its quality draw in a world)
 * is memoized by instruction text (`memoFeatures`); what depends only on the
 * example (latent properties, stage thresholds) is kept with the example
 * (`SimWorld.draws`); the rest (noise keyed by the whole text) is drawn per call.
 * None of it depends on what was asked before.
 */
export function answerTarget(model: string, world: SimWorld, req: LLMRequest, choiceIndex: number, text: string = requestText(req)): LLMChoice {
  const p = targetParams(model);
  const matches = text.length > MAX_TEXT_CHARS ? [] : world.findAll(text);
  const q = matches[matches.length - 1];
  if (!q) {
    const sim: SimAnnotation = { taskId: null, exampleId: null, trueCause: null, correct: null, stages: [], features: null, recognised: false };
    return { text: UNRECOGNISED, finishReason: 'stop', annotations: { sim } };
  }
  const { task, example } = q;
  const draws = world.draws(task, example);
  const lat = draws.latent;
  const memo = memoFeatures({ text, task, matches });
  const features = memo.features;
  const temperature = req.temperature ?? 0;
  const sampleIndex = temperature > 0 ? (req.sampleIndex ?? 0) * Math.max(1, req.n ?? 1) + choiceIndex : 0;
  // sha256([model, text]) and the noise keys, their canonical JSON written out directly
  const draw: Draw = {
    textHash: sha256(JSON.stringify([model, text])),
    temperature,
    sampleTail: temperature > 0 ? `,"sample",${JSON.stringify(sampleIndex)},${JSON.stringify(temperature)}` : '',
    sampleIndex,
    draws,
  };
  const stages: StageRecord[] = [];
  const effects = world.effects(task.id, model);
  // the persistent quality of the prompt text in this world: the same on every example and split
  let quality = 0;
  if (effects.quality) {
    let z = memo.quality.get(world.world);
    if (z === undefined) memo.quality.set(world.world, (z = hashNormal(['quality', world.world, task.id, features.instructionText ?? ''])));
    quality = effects.quality * z;
  }

  let effective = features;
  let ignored = false;
  if (hasDirectives(features)) {
    const F = STAGE.follow;
    const logit =
      F.base +
      F.perF * p.f -
      F.perWordOver * Math.max(0, features.instructionWords - F.wordsFree) -
      F.perStepOver * Math.max(0, features.procedureSteps - F.stepsFree);
    if (!stagePasses(draw, 'follow', logit, stages)) {
      ignored = true;
      effective = memo.ignored ??= withoutInstruction(features);
    }
  }
  let failed: string | null = null;
  for (const { stage, logit } of stageLogits(p, effective, task, lat.concepts, lat.difficulty, effects, quality)) {
    if (!stagePasses(draw, stage, logit, stages)) {
      failed = causeOfStage(stage);
      break;
    }
  }
  const trueCause = failed === null ? null : ignored ? 'INSTRUCTION_IGNORED' : failed;
  const out = writeOutput({ task, example, features: effective, concepts: lat.concepts, failed, ignored, draw });
  const sim: SimAnnotation = {
    taskId: task.id,
    exampleId: example.id,
    trueCause,
    correct: failed === null,
    stages,
    features: memo.annotated ??= withoutText(features),
    difficulty: round(lat.difficulty),
    concepts: lat.concepts,
    evidenceVisible: out.evidenceVisible,
    instructionIgnored: ignored,
    recognised: true,
  };
  return { text: out.text, finishReason: 'stop', annotations: { sim } };
}

/** The per-call draws of one request: noise keyed by the whole text, the example's thresholds. */
interface Draw {
  textHash: string;
  temperature: number;
  /** `,"sample",<sampleIndex>,<temperature>` (canonical JSON) when temperature > 0. */
  sampleTail: string;
  sampleIndex: number;
  draws: ExampleDraws;
  /** The wrong-value draw, once made. */
  r?: number;
}

/**
 * Draw one stage: success with probability σ(logit + noise) against the
 * example's threshold; recorded in `stages`. Noise: 0.35·z(textHash, stage),
 * plus 0.8·T·z(textHash, stage, "sample", sampleIndex, T) when T > 0.
 */
function stagePasses(d: Draw, stage: string, logit: number, stages: StageRecord[]): boolean {
  const open = `["${d.textHash}",${JSON.stringify(stage)}`;
  const noise =
    STAGE.promptNoise * hashNormalOfJson(open) + (d.temperature > 0 ? STAGE.sampleNoisePerTemp * d.temperature * hashNormalOfJson(open + d.sampleTail) : 0);
  const prob = sigmoid(logit + noise);
  const ok = d.draws.threshold(stage) < prob;
  stages.push({ stage, p: round(prob), ok });
  return ok;
}

/** The draw choosing among wrong values: hashUnit(textHash, "value", sampleIndex), made once and only when needed. */
function wrongDraw(d: Draw): number {
  return (d.r ??= hashUnit(`["${d.textHash}","value",${JSON.stringify(d.sampleIndex)}]`));
}

/** The features as annotated: without the instruction text. */
function withoutText(f: PromptFeatures): Omit<PromptFeatures, 'instructionText'> {
  const { instructionText: _t, ...rest } = f;
  return Object.freeze(rest);
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

interface WriteArgs {
  task: Task;
  example: Example;
  features: PromptFeatures;
  concepts: readonly string[];
  /** First failing stage's cause (before INSTRUCTION_IGNORED attribution), null when correct. */
  failed: string | null;
  ignored: boolean;
  draw: Draw;
}

/** The reply: an optional first line, the trace lines when shown, the final answer line. */
function compose(prefix: string | null, trace: readonly string[] | null, final: string): string {
  let out = prefix === null ? '' : `${prefix}\n`;
  if (trace !== null) for (const line of trace) out += `${line}\n`;
  return out + final;
}

/**
 * Compose the output text: optional trace with the tell of the failing stage,
 * then the final answer line. A correct reply depends only on the example and
 * how it is written, so it is kept with the example (`ExampleDraws.correctOutputs`).
 */
function writeOutput(a: WriteArgs): { text: string; evidenceVisible: boolean } {
  const { task, example, features: f, concepts, failed } = a;
  const showTrace = !a.ignored && (f.cot || f.procedureSteps > 0 || f.demoCot);
  const evidenceVisible = failed === null || a.ignored || showTrace;
  const correctKey = failed === null ? `${a.ignored ? 'i' : ''}${showTrace ? (f.procedureSteps > 0 ? 'p' : 'c') : 'n'}:${f.answerStyle ?? ''}` : '';
  if (failed === null) {
    const known = a.draw.draws.correctOutputs.get(correctKey);
    if (known !== undefined) return { text: known, evidenceVisible };
  }
  const trace: string[] = [];
  if (showTrace) {
    trace.push(f.procedureSteps > 0 ? 'Following the given procedure.' : "Let's think step by step.");
    if (failed === 'DISTRACTION') trace.push(TELLS.distraction(f.distractionSnippet ?? 'the extra note'));
    else {
      for (const c of concepts) {
        if (failed === `MISSING_CONCEPT:${c}`) {
          trace.push(TELLS.concept(c));
          break;
        }
        trace.push(TELLS.conceptApplied(c));
      }
      if (failed === 'KNOWLEDGE_GAP') trace.push(TELLS.knowledge);
      else if (failed === 'REASONING_SLIP') trace.push(TELLS.slip);
      else if (failed === null || failed === 'FORMAT') trace.push(TELLS.careful);
    }
  }
  const prefix = a.ignored ? TELLS.ignored : null;
  const styles = stylesFor(task, f.answerStyle);

  if (failed === 'FORMAT') {
    const value = f.formatInstruction === 'mismatch' && f.askedFormat ? valueInFormat(f.askedFormat, wrongDraw(a.draw)) : null;
    const finals = [
      value ? `${TELLS.format} ${value}, as asked.` : `${TELLS.format} ${verbalValue(task.answerFormat, wrongValue(task.answerFormat, example, wrongDraw(a.draw), 0))}.`,
      `${TELLS.format} ${verbalValue(task.answerFormat, example.target)}.`,
      `${TELLS.format} whatever fits best.`,
    ];
    for (const withTrace of [true, false])
      for (const final of finals) {
        const t = compose(prefix, withTrace ? trace : null, final);
        if (safeExtract(task, t, example) === null) return { text: t, evidenceVisible: true };
      }
    // Free-text extractors parse anything: then the output must at least score as wrong.
    for (const final of finals) {
      const t = compose(prefix, trace, final);
      if (!safeScore(task, safeExtract(task, t, example), example)) return { text: t, evidenceVisible: true };
    }
    return { text: compose(prefix, null, finals[finals.length - 1]!), evidenceVisible: true };
  }

  if (failed === null) {
    let text: string | undefined;
    search: for (const withTrace of [true, false])
      for (const style of styles)
        for (const v of correctValues(task, example)) {
          const t = compose(prefix, withTrace ? trace : null, styleLine(style, v));
          if (safeScore(task, safeExtract(task, t, example), example)) {
            text = t;
            break search;
          }
        }
    text ??= compose(prefix, trace, styleLine(styles[0]!, example.target));
    a.draw.draws.correctOutputs.set(correctKey, text);
    return { text, evidenceVisible };
  }
  for (let k = 0; k < 8; k++) {
    const v = wrongValue(task.answerFormat, example, wrongDraw(a.draw), k);
    for (const withTrace of [true, false])
      for (const style of styles) {
        const t = compose(prefix, withTrace ? trace : null, styleLine(style, v));
        const pred = safeExtract(task, t, example);
        if (pred !== null && !safeScore(task, pred, example)) return { text: t, evidenceVisible };
      }
  }
  return { text: compose(prefix, trace, styleLine(styles[0]!, wrongValue(task.answerFormat, example, wrongDraw(a.draw), 0))), evidenceVisible };
}
