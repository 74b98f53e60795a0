/**
 * The sim optimizer's ONE content policy (docs/sim.md, "The policy"). It sees
 * only what the reader extracted (`Shown`, sim/reader.ts), never the form of
 * the request, so every optimizer pays the same recognition, guess and harm
 * draws and explores the same way. The form decides only how the content is
 * laid out (sim/optimizer.ts).
 */
import type { AnswerFormat } from '../core/types.js';
import type { Rng } from '../core/rng.js';
import { CAUSE_PHRASES, causeKind, type CauseKind } from './causes.js';
import { COT_CUES, RELEVANT_VOCAB, sentences } from './features.js';
import { EVIDENCE_CLARITY, type OptimizerParams } from './params.js';
import { CHECK_PHRASE, conceptHintPhrase, COT_PHRASES, FILLER, FORMAT_PHRASES, KNOWLEDGE_PHRASE, OPENERS, SYNONYMS } from './phrases.js';
import type { Shown } from './reader.js';
import type { SimWorld } from './world.js';

/** What the optimizer concludes from what it was shown. */
export interface Conclusions {
  /** One cause per shown failure (recognised from a tell, or drawn from the prior). */
  causes: string[];
  /** Concepts it believes matter, with multiplicity (votes). */
  concepts: string[];
  format?: AnswerFormat;
}

const FALLBACK_CONCEPT = 'the key idea in the question';

/** A cause drawn from the prior; MISSING_CONCEPT takes a concept the optimizer believes in. */
export function priorCause(p: OptimizerParams, rng: Rng, concepts: readonly string[]): string {
  const i = rng.weighted(p.prior.map((x) => x.weight));
  const kind = p.prior[i]!.cause;
  if (kind !== 'MISSING_CONCEPT') return kind;
  return `MISSING_CONCEPT:${concepts.length ? rng.pick(concepts) : FALLBACK_CONCEPT}`;
}

/** Concept guesses: one per shown question and per shown task description; every concept a shown trace names. */
export function conceptGuesses(shown: Shown, p: OptimizerParams, rng: Rng, world?: SimWorld): string[] {
  const out: string[] = [...shown.traceConcepts];
  if (!world) return out;
  for (const q of shown.questions.slice(0, 10)) {
    const task = world.getTask(q.taskId);
    if (!task) continue;
    const r = rng.next();
    const needed = world.latent(task, q.example).concepts;
    if (r < p.conceptAccuracy && needed.length) out.push(rng.pick(needed));
    else if (r < p.conceptAccuracy + (1 - p.conceptAccuracy) / 2 && task.concepts.length) out.push(rng.pick(task.concepts));
    else {
      const decoys = (q.example.input.match(/\b[a-z]{7,}\b/gi) ?? []).filter((w) => !RELEVANT_VOCAB.has(w.toLowerCase()));
      if (decoys.length) out.push(rng.pick(decoys).toLowerCase());
    }
  }
  for (const id of shown.descriptions) {
    const task = world.getTask(id);
    if (task?.concepts.length) out.push(rng.pick(task.concepts));
  }
  return out;
}

/**
 * The evidence rule, the same for every request: concept guesses first, then
 * one cause per shown failure — the cause of tell i with probability
 * recognise × clarity(kind), otherwise a prior draw. Causes already named in
 * the request (a reflection quoted back for an edit) are taken as given.
 */
export function conclude(shown: Shown, p: OptimizerParams, rng: Rng, world?: SimWorld): Conclusions {
  const concepts = conceptGuesses(shown, p, rng, world);
  const causes: string[] = [];
  if (shown.namedCauses.length) causes.push(...shown.namedCauses);
  else
    for (let i = 0; i < shown.failures; i++) {
      const e = shown.tells[i];
      if (e && rng.next() < p.recognise * (EVIDENCE_CLARITY[causeKind(e.cause)] ?? 0.5)) causes.push(e.cause);
      else causes.push(priorCause(p, rng, concepts));
    }
  return { causes, concepts, ...(shown.format ? { format: shown.format } : {}) };
}

export function causeSentence(cause: string, rng: Rng): string {
  const kind = causeKind(cause) as CauseKind;
  const phrase = rng.pick(CAUSE_PHRASES[kind]);
  const concept = cause.includes(':') ? cause.slice(cause.indexOf(':') + 1) : '';
  return phrase.replace('{concept}', concept).replace(/^./, (c) => c.toUpperCase()) + '.';
}

/** `k` reasons: the distinct concluded causes in order, topped up with prior draws. */
export function reasons(c: Conclusions, k: number, p: OptimizerParams, rng: Rng): string[] {
  const uniq = [...new Set(c.causes)];
  return Array.from({ length: k }, (_, i) => causeSentence(uniq[i] ?? priorCause(p, rng, c.concepts), rng));
}

// ------------------------------------------------------------------ the base prompt

/**
 * The base to build on (one rule): no prompt shown → an opener; one → it;
 * several with scores → one of the three best (weights 0.6 / 0.25 / 0.15),
 * with p 0.3 plus one sentence of another shown prompt; several without
 * scores → a recombination keeping each sentence of each with p 0.5 (at least one).
 */
export function chooseBase(shown: Shown, rng: Rng): string {
  const ps = [...new Set(shown.prompts)];
  if (ps.length <= 1) return ps[0] ?? '';
  if (shown.scored) {
    const top = ps.slice(0, 3);
    let base = top[rng.weighted([0.6, 0.25, 0.15].slice(0, top.length))]!;
    const others = ps.filter((t) => t !== base && t.trim());
    if (others.length && rng.next() < 0.3) {
      const borrowed = sentences(rng.pick(others));
      if (borrowed.length) base = [...new Set([...stepless(base), rng.pick(borrowed)])].join(' ');
    }
    return base;
  }
  const pool = [...new Set(ps.flatMap(stepless))];
  const kept = pool.filter(() => rng.next() < 0.5);
  return (kept.length ? kept : [rng.pick(pool.length ? pool : [''])]).join(' ');
}

// ------------------------------------------------------------------ edits

function isRelevant(s: string): boolean {
  return s
    .toLowerCase()
    .split(/[^a-z]+/)
    .some((w) => RELEVANT_VOCAB.has(w));
}

const hasCot = (s: string): boolean => COT_CUES.some((re) => re.test(s));

function addSentence(ss: string[], s: string): void {
  if (!ss.includes(s)) ss.push(s);
}

/** Sentences of a prompt with any step numbering removed. */
export function stepless(text: string): string[] {
  return sentences(text)
    .map((s) => s.replace(/^\s*(?:step\s*)?\d{1,2}[.):]\s+/i, '').trim())
    .filter(Boolean);
}

function reword(ss: string[], rng: Rng): string[] {
  let text = ss.join('\n');
  const opts = SYNONYMS.filter(([a, b]) => text.includes(a) || text.includes(b));
  if (opts.length === 0) return [rng.pick(OPENERS), ...ss];
  const [a, b] = rng.pick(opts);
  text = text.includes(a) ? text.replace(a, b) : text.replace(b, a);
  return text.split('\n');
}

/** Exploratory moves and their weights (docs/sim.md). */
export const EXPLORE_MOVES: ReadonlyArray<{ move: 'cot' | 'format' | 'concept' | 'knowledge' | 'reword' | 'drop' | 'steps'; weight: number }> = [
  { move: 'cot', weight: 0.2 },
  { move: 'format', weight: 0.2 },
  { move: 'concept', weight: 0.2 },
  { move: 'knowledge', weight: 0.05 },
  { move: 'reword', weight: 0.2 },
  { move: 'drop', weight: 0.1 },
  { move: 'steps', weight: 0.05 },
];

/** A prompt laid out as numbered steps, the answer-format sentence last. */
export function asSteps(prompt: string | string[]): string {
  const ss = Array.isArray(prompt) ? prompt : stepless(prompt);
  const isFormat = (s: string) => /^End with /.test(s) || Object.values(FORMAT_PHRASES).includes(s);
  const ordered = [...ss.filter((s) => !isFormat(s)), ...ss.filter(isFormat)];
  return ordered.map((s, i) => `${i + 1}. ${s}`).join('\n');
}

const NUMBERED_LINE = /^\s*(?:step\s*)?\d{1,2}[.):]\s+\S/gim;

/**
 * One candidate prompt from a base (the same process for every request):
 * fix each concluded cause (a base laid out as numbered steps stays so); explore (always when the fixes changed nothing,
 * else with p `explore`); then the guess draw (p `guessConcept`: a hint for
 * an unsupported word of the base) and the harm draw (p `harm`: drop a
 * sentence 0.4, insert filler 0.4, a wrong-format instruction 0.2).
 */
export function candidate(base: string, c: Conclusions, p: OptimizerParams, rng: Rng): string {
  let ss = stepless(base);
  let numbered = (base.match(NUMBERED_LINE) ?? []).length >= 2;
  // an empty base is written from scratch: an opener, plus the format phrase when a format is known
  if (ss.length === 0) ss = [rng.pick(OPENERS), ...(c.format ? [FORMAT_PHRASES[c.format]] : [])];
  const before = ss.join(' ');
  for (const cause of new Set(c.causes)) {
    const kind = causeKind(cause);
    if (kind === 'FORMAT') {
      ss = ss.filter((s) => !/^End with /.test(s));
      addSentence(ss, c.format ? FORMAT_PHRASES[c.format] : 'End with "So the answer is" followed by the answer.');
    } else if (kind === 'MISSING_CONCEPT') addSentence(ss, conceptHintPhrase(cause.slice(cause.indexOf(':') + 1)));
    else if (kind === 'REASONING_SLIP') {
      if (!ss.some(hasCot)) ss.unshift(rng.pick(COT_PHRASES));
      else addSentence(ss, CHECK_PHRASE);
    } else if (kind === 'KNOWLEDGE_GAP') addSentence(ss, KNOWLEDGE_PHRASE);
    else if (kind === 'DISTRACTION') ss = ss.filter(isRelevant);
    else if (kind === 'INSTRUCTION_IGNORED') ss = ss.filter(isRelevant).slice(0, 4);
  }
  if (ss.join(' ') === before || rng.next() < p.explore) {
    const move = EXPLORE_MOVES[rng.weighted(EXPLORE_MOVES.map((m) => m.weight))]!.move;
    const was = ss.join(' ');
    const wasNumbered = numbered;
    if (move === 'cot' && !ss.some(hasCot)) ss.unshift(rng.pick(COT_PHRASES));
    else if (move === 'format' && c.format) addSentence(ss, FORMAT_PHRASES[c.format]);
    else if (move === 'concept' && c.concepts.length) addSentence(ss, conceptHintPhrase(rng.pick(c.concepts)));
    else if (move === 'knowledge') addSentence(ss, KNOWLEDGE_PHRASE);
    else if (move === 'drop' && ss.length > 1) ss.splice(rng.int(0, ss.length - 1), 1);
    else if (move === 'steps' && !numbered && ss.length >= 2) numbered = true;
    else ss = reword(ss, rng);
    // a move that would change nothing (CoT already there, no format known, …) becomes a rewording
    if (ss.join(' ') === was && numbered === wasNumbered) ss = reword(ss, rng);
  }
  if (rng.next() < p.guessConcept) {
    const words = (base.match(/\b[a-z]{7,}\b/gi) ?? []).filter((w) => !RELEVANT_VOCAB.has(w.toLowerCase()));
    if (words.length) addSentence(ss, conceptHintPhrase(rng.pick(words).toLowerCase()));
  }
  if (rng.next() < p.harm) {
    const h = rng.weighted([0.4, 0.4, 0.2]);
    if (h === 0 && ss.length > 1) ss.splice(rng.int(0, ss.length - 1), 1);
    else if (h === 1 || ss.length <= 1) ss.splice(rng.int(0, ss.length), 0, rng.pick(FILLER));
    else addSentence(ss, rng.pick(Object.values(FORMAT_PHRASES).filter((f) => f !== (c.format ? FORMAT_PHRASES[c.format] : ''))));
  }
  const out = (numbered ? asSteps(ss) : ss.join(' ')).trim();
  return out || rng.pick(OPENERS);
}
