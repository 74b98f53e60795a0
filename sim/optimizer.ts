/**
 * Sim optimizer LLM (sim-opt-small, sim-opt-large). Three parts
 * (docs/sim.md, "Simulated optimizer"):
 * - the READER (sim/reader.ts) classifies the request's form and extracts
 *   what it shows into a method-neutral structure;
 * - the POLICY (sim/policy.ts) concludes causes and concepts from that
 *   structure and writes candidates, the same way for every request;
 * - this file lays the content out in the form the request asks for
 *   (wrapper, number of items, numbered steps vs prose, the query kept verbatim).
 */
import { hash32 } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import type { LLMChoice, LLMRequest } from '../core/types.js';
import { judgeAnswer, judgeParams } from './judge.js';
import { OPTIMIZER_PARAMS, type OptimizerParams } from './params.js';
import { asSteps, candidate, chooseBase, conclude, reasons } from './policy.js';
import { readRequest, requestTurn, type ReadRequest, type WrapperSpec } from './reader.js';
import { requestText } from './target.js';
import type { SimWorld } from './world.js';

export {
  bpoQuery,
  currentPrompts,
  detectKind,
  detectWrapper,
  FORMS,
  inferFormat,
  JUDGE_CUE,
  PAIRWISE_CUE,
  readEvidence,
  readRequest,
  requestTurn,
  scoredHistory,
  seenConcepts,
  type Form,
  type RequestKind,
  type Wrapper,
} from './reader.js';
export { causeSentence } from './policy.js';

export function wrap(w: WrapperSpec, items: string[]): string {
  switch (w.wrapper) {
    case 'ins':
      return items.map((x) => `<INS>${x}</INS>`).join('\n');
    case 'start':
      return items.map((x) => `<START>${x}<END>`).join('\n');
    case 'start_close':
      return items.map((x) => `<Start>${x}</Start>`).join('\n');
    case 'prompt':
      return items.map((x) => `<prompt>${x}</prompt>`).join('\n');
    case 'dspy':
      return `[[ ## ${w.field} ## ]]\n${items.join('\n')}\n\n[[ ## completed ## ]]`;
    case 'brackets':
      return items.map((x) => `[${x}]`).join('\n');
    case 'fence':
      return items.map((x) => '```\n' + x + '\n```').join('\n');
    case 'json':
      return JSON.stringify(items);
    case 'plain':
      return items.length === 1 ? items[0]! : items.map((x, i) => `${i + 1}. ${x}`).join('\n');
  }
}

export function optimizerParams(model: string, overrides?: Partial<OptimizerParams>): OptimizerParams {
  const p = OPTIMIZER_PARAMS[model];
  if (!p) throw new Error(`not a sim optimizer model: ${model}`);
  return overrides ? { ...p, ...overrides } : p;
}

/**
 * Answer one meta-prompt for one choice; `previous` are earlier choices of
 * the same request (kept distinct: a repeat is redrawn, up to 24 times).
 * `world` lets the reader recognise shown questions and task descriptions.
 */
export function answerOptimizer(
  model: string,
  req: LLMRequest,
  choiceIndex: number,
  previous: string[],
  world?: SimWorld,
  overrides?: Partial<OptimizerParams>,
): LLMChoice {
  const p = optimizerParams(model, overrides);
  const text = requestText(req);
  const read = readMemo(text, world, requestTurn(req));
  const T = req.temperature ?? 0;
  let out = '';
  for (let attempt = 0; attempt < 24; attempt++) {
    const rng = new Rng(hash32([model, text, T, T > 0 ? (req.sampleIndex ?? 0) : 0, choiceIndex, attempt]) | 0);
    out = respond(model, text, read, p, rng, world);
    if (!previous.includes(out)) break;
  }
  return { text: out, finishReason: 'stop', annotations: { simOptimizer: { kind: read.form, wrapper: read.wrapper.wrapper } } };
}

const READ_CACHE = new WeakMap<object, Map<string, ReadRequest>>();
const NO_WORLD = {};
/** `readRequest`, memoised per world on the request text (the n choices and samples of one meta-prompt read it once). */
function readMemo(text: string, world: SimWorld | undefined, request: string): ReadRequest {
  const key = world ?? NO_WORLD;
  let m = READ_CACHE.get(key);
  if (!m) READ_CACHE.set(key, (m = new Map()));
  const k = request === text ? text : `${request}\u0000${text}`;
  const hit = m.get(k);
  if (hit) return hit;
  const r = readRequest(text, world, request);
  if (m.size >= 256) m.delete(m.keys().next().value!);
  m.set(k, r);
  return r;
}

/** The text between `open` and `close` (first of each after `open`), trimmed of one newline at each end. */
function between(text: string, open: string, close: string): string | undefined {
  const a = text.indexOf(open);
  if (a < 0) return undefined;
  const b = text.indexOf(close, a + open.length);
  if (b < 0) return undefined;
  return text.slice(a + open.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

/**
 * A pairwise judge request (benchmarks/pairwise.ts): the question and the two
 * answers are read from the request; the judge recognises the question in the
 * world and sees whether each answer is right (the task's own extract and
 * score), correctly with probability ½ + ½·recognise per answer (an
 * independent draw for each answer and order). The better-seen answer wins;
 * when both are seen alike, the first one shown wins with probability
 * `positionBias`, else a tie. What produced an answer (which prompt, which
 * method) is never shown to it, so the verdict depends on the answers alone.
 */
function pairwiseAnswer(text: string, p: OptimizerParams, rng: Rng, world?: SimWorld): string {
  const question = between(text, '[User Question]', "[The Start of Assistant A's Answer]")?.trim() ?? '';
  const answers = [
    between(text, "[The Start of Assistant A's Answer]", "[The End of Assistant A's Answer]") ?? '',
    between(text, "[The Start of Assistant B's Answer]", "[The End of Assistant B's Answer]") ?? '',
  ];
  const found = world?.find(question);
  const seen = answers.map((a) => {
    const right = found ? found.task.score(found.task.extract(a, found.example), found.example) : false;
    return rng.next() < 0.5 + 0.5 * p.recognise ? right : !right;
  });
  const say = (ok: boolean) => (ok ? 'gives what the user asked for' : 'does not give what the user asked for');
  let verdict: 'A' | 'B' | 'C';
  if (seen[0] !== seen[1]) verdict = seen[0] ? 'A' : 'B';
  else verdict = rng.next() < p.positionBias ? 'A' : 'C';
  return `Assistant A ${say(seen[0]!)}; Assistant B ${say(seen[1]!)}.\n\n[[${verdict}]]`;
}

/** Lay out the policy's content in the request's form. The form never changes what the content is. */
function respond(model: string, text: string, read: ReadRequest, p: OptimizerParams, rng: Rng, world?: SimWorld): string {
  if (read.form === 'judge') return judgeAnswer(text, judgeParams(model), p, rng, world);
  if (read.form === 'pairwise') return pairwiseAnswer(text, p, rng, world);
  const { shown, wrapper: w } = read;
  const c = conclude(shown, p, rng, world);
  const one = () => candidate(chooseBase(shown, rng), c, p, rng);
  switch (read.form) {
    case 'reflect': {
      const items = reasons(c, read.count ?? Math.max(1, new Set(c.causes).size), p, rng);
      return w.wrapper === 'plain' ? items.map((s, i) => `${i + 1}. ${s}`).join('\n') : wrap(w, items);
    }
    case 'edit':
      return wrap(w, Array.from({ length: read.count ?? 1 }, one));
    case 'procedure':
      return wrap(w, [asSteps(one())]);
    case 'demonstrate': {
      // the layout asked for: each given step in turn, then the stated expected answer
      const steps = text
        .split('\n')
        .map((l) => /^\s*(\d+)[.)]\s+(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `Step ${m[1]}: ${m[2]!.trim()}`);
      const answer = /expected answer\s*:\s*([^\n]+)/i.exec(text)?.[1]?.trim() ?? '';
      return wrap(w, [[...steps, `So the answer is ${answer}.`].join('\n')]);
    }
    case 'evo_ga':
    case 'evo_de':
      return wrap(w.wrapper === 'plain' ? { wrapper: 'prompt' } : w, [one()]);
    case 'rewrite':
      return wrap(w, [`${read.query ?? ''}\n\n${one()}`]);
    default:
      return wrap(w, [one()]);
  }
}

