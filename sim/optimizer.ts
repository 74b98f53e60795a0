/**
 * Sim optimizer LLM (sim-opt-small, sim-opt-large): reads a meta-prompt,
 * recognises the kind of request by documented cues, and answers in the
 * wrapper the meta-prompt asks for (docs/sim.md, "Simulated optimizer").
 * It infers causes only from the text it is shown (the tells in model outputs).
 */
import { hash32 } from '../core/hash.js';
import { Rng } from '../core/rng.js';
import type { AnswerFormat, LLMChoice, LLMRequest } from '../core/types.js';
import { CAUSE_PHRASES, causeKind, parseCauses, TELLS, type CauseKind } from './causes.js';
import { COT_CUES, RELEVANT_VOCAB, sentences } from './features.js';
import { EVIDENCE_CLARITY, OPTIMIZER_PARAMS, PRIOR_CAUSES, type OptimizerParams } from './params.js';
import {
  CHECK_PHRASE,
  conceptHintPhrase,
  COT_PHRASES,
  FILLER,
  FORMAT_PHRASES,
  KNOWLEDGE_PHRASE,
  OPENERS,
  SYNONYMS,
  TIP_PHRASES,
} from './phrases.js';
import { requestText } from './target.js';

export type RequestKind =
  | 'judge'
  | 'reflect'
  | 'edit'
  | 'procedure'
  | 'demonstrate'
  | 'evo_de'
  | 'evo_ga'
  | 'opro'
  | 'induce'
  | 'paraphrase'
  | 'mipro'
  | 'rewrite'
  | 'create'
  | 'plain';

export type Wrapper = 'ins' | 'start' | 'prompt' | 'dspy' | 'brackets' | 'fence' | 'json' | 'plain';

/** The judge meta-prompt's distinctive wording (reports/judge.ts). */
export const JUDGE_CUE = /error-cause judge/i;

/** Request-kind cues, checked in this order (case-insensitive). */
export const KIND_CUES: ReadonlyArray<{ kind: RequestKind; test: (t: string) => boolean }> = [
  // First: a judge meta-prompt quotes reflections and failures, whose words must not read as a request.
  { kind: 'judge', test: (t) => JUDGE_CUE.test(t) },
  { kind: 'evo_de', test: (t) => /different parts/i.test(t) },
  {
    kind: 'evo_ga',
    test: (t) =>
      /cross ?over|crossover/i.test(t) || (/\bmutate\b/i.test(t) && /prompt 1/i.test(t)) || (/\bmerge the two prompts\b/i.test(t) && /prompt 1/i.test(t)),
  },
  {
    kind: 'edit',
    test: (t) =>
      /problem with (this|the) prompt is|based on (these|the above|this|the) (examples|information|reasons|feedback|reflection|analysis)[^\n]*(improv|edit|revis|refin|wrote|new prompt)/i.test(t) ||
      /(improved|revised|refined|edited) (prompt|instruction)s?\b[^\n]*(are|is|:)/i.test(t) ||
      // GPO's update request (RUCAIBox/GPO generate_without_gradient.py): "write a new improved prompt to replace <Prompt> …"
      /\bwrite an? (new )?(improved|better) (prompt|instruction) to replace\b/i.test(t) ||
      // a request to write a new instruction from shown responses and feedback (GEPA's reflection prompt)
      /\bwrite a new instruction\b/i.test(t) ||
      // a request to refine the prompt after a reasoning turn (PE2's step 2)
      /\bhelp (?:edit|refine|improve) the prompt\b|\brefining the prompt\b/i.test(t),
  },
  // A request to carry out given numbered steps on one input whose expected answer it states (ABO's demonstration).
  { kind: 'demonstrate', test: (t) => /carry out (every|each) step on (this|the) input/i.test(t) && /expected answer\s*:/i.test(t) },
  { kind: 'procedure', test: (t) => /(step-by-step|explicit|numbered) (procedure|behaviou?r|steps?)|\bprocedure\b[^\n]*(target|model) should/i.test(t) },
  // A scored instruction history is checked before reflection: the history quotes
  // candidate instructions, whose own words ("Reason …", "avoid mistakes") are not a request.
  { kind: 'opro', test: (t) => /text:\s*[\s\S]{1,2000}?score:\s*-?\d/i.test(t) || /(instruction|prompt)s? (with|and) (their )?(scores|accurac)/i.test(t) },
  {
    kind: 'reflect',
    // The request asks, within one line, for reasons/causes of wrong answers.
    test: (t) =>
      /\b(reasons?|why|causes?|feedback|reflect\w*|analy[sz]e|diagnos\w*)\b[^\n]{0,120}\b(wrong|incorrect|fail\w*|mistakes?|errors?)\b/i.test(t) ||
      // a per-example reasoning template about the output and the prompt (PE2's step 1)
      /\bis the output correct\b[^\n]{0,80}\breasoning\b/i.test(t) ||
      /\b(wrong|incorrect|fail\w*|mistakes?|errors?)\b[^\n]{0,120}\b(reasons?|why|causes?|analy[sz]e|diagnos\w*)\b/i.test(t),
  },
  { kind: 'induce', test: (t) => /i gave a friend an instruction|input-output pairs|the instruction was to/i.test(t) },
  { kind: 'paraphrase', test: (t) => /generate a variation|keeping the semantic meaning|paraphrase|rephrase/i.test(t) },
  { kind: 'mipro', test: (t) => /dataset[_ ](summary|description)|program[_ ](code|description)|proposed[_ ]instruction|basic[_ ]instruction/i.test(t) },
  { kind: 'rewrite', test: (t) => /(rewrite|optimi[sz]e|improve|refine)\b[^\n]{0,60}\b(user'?s? )?(query|prompt|request)/i.test(t) },
  // a request to write several prompts from a task description (CAPO's initial population)
  { kind: 'create', test: (t) => /\bcreate\b[^\n]{0,40}\bprompts\b[^\n]{0,40}\bfor the following task\b/i.test(t) },
];

export function detectKind(text: string): RequestKind {
  for (const { kind, test } of KIND_CUES) if (test(text)) return kind;
  return 'plain';
}

export function detectWrapper(text: string): { wrapper: Wrapper; field?: string } {
  if (/<INS>/i.test(text) && /<\/INS>/i.test(text)) return { wrapper: 'ins' };
  if (/<START>/i.test(text)) return { wrapper: 'start' };
  if (/<prompt>/i.test(text) && /<\/prompt>/i.test(text)) return { wrapper: 'prompt' };
  const fields = [...text.matchAll(/\[\[ ## (\w+) ## \]\]/g)].map((m) => m[1]!).filter((f) => f !== 'completed');
  if (fields.length) return { wrapper: 'dspy', field: fields[fields.length - 1]! };
  if (/within ``` blocks|between ``` (?:fences|blocks)|in a ``` block/i.test(text)) return { wrapper: 'fence' };
  if (/\bjson\b[^\n]{0,80}\barray\b|\bas an? (?:json )?array\b/i.test(text)) return { wrapper: 'json' };
  if (/square brackets|\[\s*\]/i.test(text)) return { wrapper: 'brackets' };
  return { wrapper: 'plain' };
}

export function wrap(w: { wrapper: Wrapper; field?: string }, items: string[]): string {
  switch (w.wrapper) {
    case 'ins':
      return items.map((x) => `<INS>${x}</INS>`).join('\n');
    case 'start':
      return items.map((x) => `<START>${x}<END>`).join('\n');
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

const NUM_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };
function requestedCount(text: string, what: RegExp): number | undefined {
  const re = new RegExp(`\\b(\\d+|${Object.keys(NUM_WORDS).join('|')})\\s+(?:different\\s+|new\\s+|improved\\s+|distinct\\s+)*${what.source}`, 'i');
  const m = re.exec(text);
  if (!m) return undefined;
  const n = /^\d+$/.test(m[1]!) ? Number(m[1]) : NUM_WORDS[m[1]!.toLowerCase()]!;
  return Math.max(1, Math.min(10, n));
}

// ------------------------------------------------------------------ evidence

export interface Evidence {
  at: number;
  cause: string;
}

/** The tells visible in the shown text, in order of appearance. */
export function readEvidence(text: string): Evidence[] {
  const out: Evidence[] = [];
  const re = new RegExp(TELLS.conceptRe.source, 'g');
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ at: m.index, cause: `MISSING_CONCEPT:${m[1]}` });
  const scan = (needle: string, cause: string) => {
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) out.push({ at, cause });
  };
  scan(TELLS.knowledge, 'KNOWLEDGE_GAP');
  scan(TELLS.slip, 'REASONING_SLIP');
  scan(TELLS.ignored, 'INSTRUCTION_IGNORED');
  scan(TELLS.format, 'FORMAT');
  const dre = new RegExp(TELLS.distractionRe.source, 'g');
  for (let m = dre.exec(text); m; m = dre.exec(text)) out.push({ at: m.index, cause: 'DISTRACTION' });
  return out.sort((a, b) => a.at - b.at);
}

/** Concept names the shown outputs mention (applied or skipped). */
export function seenConcepts(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/Applying (.+?) to the details given\./g)) out.add(m[1]!);
  for (const m of text.matchAll(new RegExp(TELLS.conceptRe.source, 'g'))) out.add(m[1]!);
  return [...out];
}

const LABEL_RE = /\b(label|gold|correct answer|expected(?: answer| output)?|target|ground truth|true answer)\s*[:=]|\bthe correct answer is\s*(?=['"])/gi;

function priorCause(rng: Rng, concepts: string[]): string {
  const i = rng.weighted(PRIOR_CAUSES.map((p) => p.weight));
  const kind = PRIOR_CAUSES[i]!.cause;
  if (kind !== 'MISSING_CONCEPT') return kind;
  return `MISSING_CONCEPT:${concepts.length ? rng.pick(concepts) : 'the key idea in the question'}`;
}

/**
 * One named cause per shown failure: the true cause with probability
 * r(size) × clarity(evidence) when a tell is visible, else a prior-biased generic cause.
 */
export function inferCauses(text: string, p: OptimizerParams, rng: Rng): string[] {
  const ev = readEvidence(text);
  const labels = (text.match(LABEL_RE) ?? []).length;
  const n = Math.min(10, Math.max(labels, ev.length, 1));
  const concepts = seenConcepts(text);
  const causes: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = ev[i];
    if (e && rng.next() < p.recognise * (EVIDENCE_CLARITY[causeKind(e.cause)] ?? 0.5)) causes.push(e.cause);
    else causes.push(priorCause(rng, concepts));
  }
  return causes;
}

export function causeSentence(cause: string, rng: Rng): string {
  const kind = causeKind(cause) as CauseKind;
  const phrase = rng.pick(CAUSE_PHRASES[kind]);
  const concept = cause.includes(':') ? cause.slice(cause.indexOf(':') + 1) : '';
  return phrase.replace('{concept}', concept).replace(/^./, (c) => c.toUpperCase()) + '.';
}

// ------------------------------------------------------------------ reading prompts

/** Answer format guessed from the gold answers / outputs shown. */
export function inferFormat(text: string): AnswerFormat | undefined {
  const values: string[] = [];
  for (const m of text.matchAll(/\b(?:label|gold|correct answer|expected(?: answer| output)?|target|ground truth|true answer|output|answer)\s*[:=]\s*([^\n]{1,60})/gi))
    values.push(m[1]!.trim());
  // feedback sentences: "The correct answer is 'X'."
  for (const m of text.matchAll(/\bcorrect answer is\s*'([^'\n]{1,60})'/gi)) values.push(m[1]!.trim());
  const votes = new Map<AnswerFormat, number>();
  const vote = (f: AnswerFormat) => votes.set(f, (votes.get(f) ?? 0) + 1);
  for (const v of values) {
    const x = v.replace(/[".]+$/g, '').trim();
    if (/^\(?[A-R]\)?$/.test(x)) vote('letter');
    else if (/^(true|false)$/i.test(x)) vote('true_false');
    else if (/^(yes|no)$/i.test(x)) vote('yes_no');
    else if (/^(valid|invalid)$/i.test(x)) vote('valid_invalid');
    else if (/^-?[\d,]+$/.test(x)) vote('integer');
    else if (/^[)\]}>](\s+[)\]}>])*$/.test(x)) vote('dyck');
  }
  let best: AnswerFormat | undefined;
  let bestN = 0;
  for (const [f, n] of votes) if (n > bestN) [best, bestN] = [f, n];
  return best;
}

function firstQuoted(text: string, label: RegExp): string | undefined {
  const m = new RegExp(label.source + String.raw`\s*:?\s*\n?\s*"([^"]*)"`, 'i').exec(text);
  return m ? m[1]! : undefined;
}

/** The (text, score) pairs of an OPRO-style history, best first (stable for ties). */
export function scoredHistory(text: string): { t: string; s: number }[] {
  // Line-aware: an empty text ("text:\n\nscore:") must not run on into the next pair.
  const pairs = [...text.matchAll(/text:[ \t]*\n?([\s\S]*?)\n?[ \t]*score:[ \t]*\n?[ \t]*(-?[\d.]+)/gi)].map((m) => ({
    t: m[1]!.trim().replace(/^<INS>|<\/INS>$/g, ''),
    s: Number(m[2]),
  }));
  return pairs.sort((a, b) => b.s - a.s);
}

/** The prompt(s) the meta-prompt asks to improve. */
export function currentPrompts(text: string, kind: RequestKind): string[] {
  if (kind === 'opro') {
    const pairs = scoredHistory(text);
    return pairs.length ? [pairs[0]!.t] : [''];
  }
  if (kind === 'evo_ga' || kind === 'evo_de') {
    // after a worked demonstration (EvoPrompt's templates have one), the task is the last block
    const head = text.toLowerCase().lastIndexOf('please follow the instruction');
    const task = head > 0 ? text.slice(head) : text;
    const ps: string[] = [];
    for (const m of task.matchAll(/(?:prompt \d|basic prompt)\s*:\s*([^\n]*)/gi)) ps.push(m[1]!.trim());
    return ps.length ? ps : [''];
  }
  if (kind === 'paraphrase') {
    const m = /input:\s*([\s\S]*?)\s*\n\s*output:/i.exec(text);
    if (m) return [m[1]!.trim()];
    // "Prompt: <text>" on its own line (CAPO's mutation)
    const p = /^prompt:[ \t]*([^\n]*)$/im.exec(text);
    if (p) return [p[1]!.trim()];
  }
  if (kind === 'mipro') {
    // DSPy ChatAdapter (dspy 3.x): the value follows the field header; the system message only describes the field
    const values = [...text.matchAll(/\[\[ ## basic_instruction ## \]\]\n([^\n]+)/g)].map((x) => x[1]!.trim()).filter((v) => v !== '{basic_instruction}');
    if (values.length) return [values[values.length - 1]!];
    const m = /basic[_ ]instruction[^\n]*:\s*\n?([^\n]+)/i.exec(text);
    if (m) return [m[1]!.trim()];
  }
  // an instruction in a ``` block after "the following instruction(s)" (GEPA's reflection prompt)
  const fenced = /following instructions?[^\n]*:\s*\n```[^\n]*\n([\s\S]*?)\n```/i.exec(text);
  if (fenced) return [fenced[1]!.trim()];
  // "## Current Prompt" heading followed by the prompt (PE2); the last one is the latest
  const headed = [...text.matchAll(/^#+[ \t]*(?:current )?prompt[ \t]*\n([\s\S]*?)(?=\n[ \t]*\n|\n#|$)/gim)];
  if (headed.length) return [headed[headed.length - 1]![1]!.trim()];
  const q = firstQuoted(text, /(?:current|original|old|given|existing) (?:prompt|instruction)(?: is)?/);
  if (q !== undefined) return [q];
  const m = /(?:current|original|old|given|existing) (?:prompt|instruction)(?: is)?\s*:\s*\n?([^\n]+)/i.exec(text);
  return [m ? m[1]!.trim() : ''];
}

// ------------------------------------------------------------------ editing

function isRelevant(s: string): boolean {
  return s
    .toLowerCase()
    .split(/[^a-z]+/)
    .some((w) => RELEVANT_VOCAB.has(w));
}

function hasCot(s: string): boolean {
  return COT_CUES.some((re) => re.test(s));
}

function addSentence(ss: string[], s: string): void {
  if (!ss.includes(s)) ss.push(s);
}

/** Edit an instruction for the given causes (+ exploration and possible harm). */
export function editInstruction(
  base: string,
  causes: readonly string[],
  ctx: { format?: AnswerFormat; concepts: string[]; p: OptimizerParams; rng: Rng; explore: boolean },
): string {
  const { rng, p } = ctx;
  let ss = sentences(base);
  for (const c of causes) {
    const kind = causeKind(c);
    if (kind === 'FORMAT') {
      ss = ss.filter((s) => !/^End with /.test(s));
      addSentence(ss, ctx.format ? FORMAT_PHRASES[ctx.format] : 'End with "So the answer is" followed by the answer.');
    } else if (kind === 'MISSING_CONCEPT') addSentence(ss, conceptHintPhrase(c.slice(c.indexOf(':') + 1)));
    else if (kind === 'REASONING_SLIP') {
      if (!ss.some(hasCot)) ss.unshift(rng.pick(COT_PHRASES));
      else addSentence(ss, CHECK_PHRASE);
    } else if (kind === 'KNOWLEDGE_GAP') addSentence(ss, KNOWLEDGE_PHRASE);
    else if (kind === 'DISTRACTION') ss = ss.filter(isRelevant);
    else if (kind === 'INSTRUCTION_IGNORED') ss = ss.filter(isRelevant).slice(0, 4);
  }
  if (ctx.explore || causes.length === 0) {
    const moves = ['cot', 'format', 'concept', 'paraphrase', 'procedure', 'drop'] as const;
    const move = moves[rng.weighted([0.25, 0.2, 0.15, 0.25, 0.05, 0.1])]!;
    if (move === 'cot' && !ss.some(hasCot)) ss.unshift(rng.pick(COT_PHRASES));
    else if (move === 'format' && ctx.format) addSentence(ss, FORMAT_PHRASES[ctx.format]);
    else if (move === 'concept' && ctx.concepts.length) addSentence(ss, conceptHintPhrase(rng.pick(ctx.concepts)));
    else if (move === 'procedure') ss = [procedure(ss.join(' '), causes, ctx.format, ctx.concepts)];
    else if (move === 'drop' && ss.length > 1) ss.splice(rng.int(0, ss.length - 1), 1);
    else ss = paraphrase(ss, rng);
  }
  if (rng.next() < p.guessConcept) {
    const words = (base.match(/\b[a-z]{7,}\b/gi) ?? []).filter((w) => !RELEVANT_VOCAB.has(w.toLowerCase()));
    if (words.length) addSentence(ss, conceptHintPhrase(rng.pick(words).toLowerCase()));
  }
  if (rng.next() < p.harm) {
    const h = rng.weighted([0.4, 0.4, 0.2]);
    if (h === 0 && ss.length > 1) ss.splice(rng.int(0, ss.length - 1), 1);
    else if (h === 1 || ss.length <= 1) ss.splice(rng.int(0, ss.length), 0, rng.pick(FILLER));
    else addSentence(ss, rng.pick(Object.values(FORMAT_PHRASES).filter((f) => f !== (ctx.format ? FORMAT_PHRASES[ctx.format] : ''))));
  }
  const out = ss.join(' ').trim();
  return out || rng.pick(OPENERS);
}

function paraphrase(ss: string[], rng: Rng): string[] {
  let text = ss.join('\n');
  const opts = SYNONYMS.filter(([a, b]) => text.includes(a) || text.includes(b));
  if (opts.length === 0) return [rng.pick(OPENERS), ...ss];
  const [a, b] = rng.pick(opts);
  text = text.includes(a) ? text.replace(a, b) : text.replace(b, a);
  return text.split('\n');
}

/** A numbered procedure (what ABO writes) built from the inferred causes. */
export function procedure(base: string, causes: readonly string[], format: AnswerFormat | undefined, concepts: string[]): string {
  const steps = ['Read the question and identify what is asked.'];
  const named = new Set<string>();
  for (const c of causes) if (causeKind(c) === 'MISSING_CONCEPT') named.add(c.slice(c.indexOf(':') + 1));
  for (const c of concepts) if (named.size < 3) named.add(c);
  for (const c of named) steps.push(`Apply ${c} to the relevant details.`);
  if (causes.some((c) => causeKind(c) === 'KNOWLEDGE_GAP')) steps.push('Recall the relevant facts.');
  steps.push('Work through the problem step by step and check each intermediate result.');
  steps.push(format ? FORMAT_PHRASES[format] : 'Write the final answer on the last line.');
  const head = base && !/^\s*\d+\./.test(base) ? `${sentences(base).filter((s) => !/^\d+\./.test(s))[0] ?? ''}\n` : '';
  return head + steps.map((s, i) => `${i + 1}. ${s}`).join('\n');
}

// ------------------------------------------------------------------ answering

export function optimizerParams(model: string): OptimizerParams {
  const p = OPTIMIZER_PARAMS[model];
  if (!p) throw new Error(`not a sim optimizer model: ${model}`);
  return p;
}

/** Answer one meta-prompt for one choice; `previous` are earlier choices of the same request (kept distinct). */
export function answerOptimizer(model: string, req: LLMRequest, choiceIndex: number, previous: string[]): LLMChoice {
  const p = optimizerParams(model);
  const text = requestText(req);
  const request = requestTurn(req);
  const T = req.temperature ?? 0;
  let out = '';
  for (let attempt = 0; attempt < 24; attempt++) {
    const rng = new Rng(hash32([model, text, T, T > 0 ? (req.sampleIndex ?? 0) : 0, choiceIndex, attempt]) | 0);
    out = respond(text, p, rng, request);
    if (!previous.includes(out)) break;
  }
  return { text: out, finishReason: 'stop', annotations: { simOptimizer: { kind: detectKind(request), wrapper: detectWrapper(request).wrapper } } };
}

/**
 * The text that states the request: in a conversation with earlier assistant
 * turns, the last user turn (earlier turns are context: shown failures, the
 * optimizer's own reasoning); otherwise the whole request.
 */
export function requestTurn(req: LLMRequest): string {
  if (!req.messages.some((m) => m.role === 'assistant')) return requestText(req);
  for (let i = req.messages.length - 1; i >= 0; i--) if (req.messages[i]!.role === 'user') return req.messages[i]!.content;
  return requestText(req);
}

/** The text between the first `open` and the last `close` tag, minus one newline at each end. */
function tagged(text: string, open: string, close: string): string | undefined {
  const a = text.indexOf(open);
  const b = text.lastIndexOf(close);
  if (a < 0 || b < a + open.length) return undefined;
  return text.slice(a + open.length, b).replace(/^\n/, '').replace(/\n$/, '');
}

/**
 * A judge request (reports/judge.ts) answered as JSON `{"causes": [...]}`:
 * for a `<reflection>`, the causes `parseCauses` finds in it; for a
 * `<model_output>`, the one cause the reflection logic infers from the tells
 * in that output (`inferCauses`: recognised with p recognise × clarity, else
 * a prior-biased guess).
 */
function judgeAnswer(text: string, p: OptimizerParams, rng: Rng): string {
  const reflection = tagged(text, '<reflection>', '</reflection>');
  if (reflection !== undefined) return JSON.stringify({ causes: parseCauses(reflection) });
  const output = tagged(text, '<model_output>', '</model_output>');
  if (output !== undefined) return JSON.stringify({ causes: [inferCauses(output, p, rng)[0]!] });
  return JSON.stringify({ causes: [] });
}

function respond(text: string, p: OptimizerParams, rng: Rng, request = text): string {
  const kind = detectKind(request);
  if (kind === 'judge') return judgeAnswer(text, p, rng);
  const w = detectWrapper(request);
  const format = inferFormat(text);
  const concepts = seenConcepts(text);
  const shownFailures = readEvidence(text).length > 0 || LABEL_RE.test(text);
  LABEL_RE.lastIndex = 0;
  const causes = shownFailures ? inferCauses(text, p, rng) : [];
  const given = parseCauses(text);
  const ctx = { format, concepts, p, rng, explore: false };

  switch (kind) {
    case 'reflect': {
      const k = requestedCount(text, /(reasons?|causes?|feedbacks?)/) ?? Math.max(1, new Set(causes).size);
      const uniq = [...new Set(causes)];
      const items: string[] = [];
      for (let i = 0; i < k; i++) items.push(causeSentence(uniq[i] ?? priorCause(rng, concepts), rng));
      if (w.wrapper === 'plain') return items.map((s, i) => `${i + 1}. ${s}`).join('\n');
      return wrap(w, items);
    }
    case 'edit': {
      const base = currentPrompts(text, kind)[0]!;
      const use = given.length ? given : causes;
      const k = requestedCount(text, /(prompts?|instructions?|candidates?)/) ?? 1;
      const items = Array.from({ length: k }, (_, i) => editInstruction(base, use, { ...ctx, explore: i > 0 }));
      return wrap(w, items);
    }
    case 'demonstrate': {
      // the form asked for: each given step in turn, then the stated expected answer
      const steps = text
        .split('\n')
        .map((l) => /^\s*(\d+)[.)]\s+(.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => `Step ${m[1]}: ${m[2]!.trim()}`);
      const answer = /expected answer\s*:\s*([^\n]+)/i.exec(text)?.[1]?.trim() ?? '';
      return wrap(w, [[...steps, `So the answer is ${answer}.`].join('\n')]);
    }
    case 'procedure': {
      const base = currentPrompts(text, kind)[0]!;
      const use = given.length ? given : causes;
      return wrap(w, [procedure(base, use, format, concepts)]);
    }
    case 'evo_ga': {
      const [a = '', b = ''] = currentPrompts(text, kind);
      const pool = [...new Set([...sentences(a), ...sentences(b)])];
      const kept = pool.filter(() => rng.next() < 0.7);
      const child = (kept.length ? kept : pool).join(' ');
      return wrap(w.wrapper === 'plain' ? { wrapper: 'prompt' } : w, [editInstruction(child, [], { ...ctx, explore: true })]);
    }
    case 'evo_de': {
      const [a = '', b = '', c = '', basic = ''] = currentPrompts(text, kind);
      const diff = sentences(a).filter((s) => !sentences(b).includes(s));
      const mixed = [...new Set([...sentences(c), ...diff, ...sentences(basic).filter(() => rng.next() < 0.5)])].join(' ');
      return wrap(w.wrapper === 'plain' ? { wrapper: 'prompt' } : w, [editInstruction(mixed, [], { ...ctx, explore: true })]);
    }
    case 'opro': {
      // One of the three best texts (weights 0.6 / 0.25 / 0.15); with p 0.3 it also takes
      // one sentence from another text of the history; then one exploratory edit.
      const history = scoredHistory(text);
      const top = history.slice(0, 3);
      let base = top.length ? top[rng.weighted([0.6, 0.25, 0.15].slice(0, top.length))]!.t : '';
      const others = history.map((h) => h.t).filter((t) => t !== base && t.trim());
      if (others.length && rng.next() < 0.3) {
        const borrowed = sentences(rng.pick(others));
        if (borrowed.length) base = [...new Set([...sentences(base), rng.pick(borrowed)])].join(' ');
      }
      return wrap(w, [editInstruction(base, causes, { ...ctx, explore: true })]);
    }
    case 'induce':
    case 'mipro': {
      const base = kind === 'mipro' ? currentPrompts(text, kind)[0]! : '';
      const ss = base ? sentences(base) : [rng.pick(OPENERS)];
      const showsReasoning = /step by step|because|therefore|so the answer is/i.test(text);
      if (showsReasoning && rng.next() < 0.5 + 0.3 * p.recognise) ss.push(rng.pick(COT_PHRASES));
      if (format && rng.next() < 0.3 + 0.4 * p.recognise) ss.push(FORMAT_PHRASES[format]);
      if (concepts.length && rng.next() < p.recognise) ss.push(conceptHintPhrase(rng.pick(concepts)));
      if (kind === 'mipro') {
        if (/persona/i.test(text)) ss.unshift(TIP_PHRASES.persona!);
        if (/high[- ]stakes/i.test(text)) ss.push(TIP_PHRASES.stakes!);
        if (/creative/i.test(text)) ss.push(TIP_PHRASES.creative!);
      }
      const ins = editInstruction(ss.join(' '), causes, ctx);
      return wrap(w, [ins]);
    }
    case 'paraphrase': {
      const base = currentPrompts(text, kind)[0]!;
      let out = paraphrase(sentences(base), rng).join(' ');
      if (rng.next() < p.harm) out = editInstruction(out, [], { ...ctx, explore: true });
      return wrap(w, [out]);
    }
    case 'rewrite': {
      const query = bpoQuery(text);
      const guide: string[] = [];
      if (rng.next() < 0.5 + 0.3 * p.recognise) guide.push(rng.pick(COT_PHRASES));
      const fmt = format ?? formatFromQuery(query);
      if (fmt && rng.next() < 0.4 + 0.4 * p.recognise) guide.push(FORMAT_PHRASES[fmt]);
      if (rng.next() < p.harm) guide.push(rng.pick(FILLER));
      return wrap(w, [`${query}\n\n${guide.join(' ') || 'Please answer clearly.'}`]);
    }
    case 'create': {
      // k prompts written from the task description: an opener, a reasoning cue and the
      // format sentence the request states, each kept with a probability that grows with size
      const k = requestedCount(text, /(prompts?|instructions?)/) ?? 1;
      const stated = /\b(End (?:your answer )?with [^\n]*)/.exec(text)?.[1]?.trim();
      const items: string[] = [];
      for (let i = 0; i < k; i++) {
        const ss = [rng.pick(OPENERS)];
        if (rng.next() < 0.3 + 0.3 * p.recognise) ss.push(rng.pick(COT_PHRASES));
        if (stated && rng.next() < 0.3 + 0.5 * p.recognise) ss.push(stated);
        items.push(editInstruction(ss.join(' '), [], { ...ctx, explore: rng.next() < 0.5 }));
      }
      return wrap(w, items);
    }
    case 'plain':
    default:
      return wrap(w, [editInstruction(rng.pick(OPENERS), causes, { ...ctx, explore: true })]);
  }
}

/** The user query inside a rewrite request: the text after the request paragraph, minus a leading label. */
export function bpoQuery(text: string): string {
  const paras = text.split(/\n\s*\n/);
  const i = paras.findIndex((pp) => KIND_CUES.find((k) => k.kind === 'rewrite')!.test(pp));
  const rest = (i >= 0 ? paras.slice(i + 1) : paras).join('\n\n');
  const body = rest.trim() || (i >= 0 ? paras[i]!.replace(/^[^\n]*\n?/, '') : text);
  return body
    .replace(/^\s*(?:\[INST\]\s*)?(?:original |user(?:'s)? )?(?:query|prompt|request|input)\s*:\s*/i, '')
    .replace(/\s*\[\/INST\]\s*$/i, '')
    .replace(/\n\s*(?:rewritten|optimi[sz]ed|improved) (?:query|prompt)\s*:\s*$/i, '')
    .trim();
}

function formatFromQuery(q: string): AnswerFormat | undefined {
  if (/\([A-D]\)/.test(q)) return 'letter';
  if (/\b(True|False)\b/.test(q) && /\bis\s*$/.test(q)) return 'true_false';
  if (/plausible|\?\s*$/.test(q) && /\b(is|does|did|can)\b/i.test(q) && !/how many|how much/i.test(q)) return undefined;
  if (/how many|how much|what is the total/i.test(q)) return 'integer';
  return undefined;
}
