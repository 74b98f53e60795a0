/**
 * The documented prompt feature extractor of the sim target models
 * (docs/sim.md, "Prompt features"). It reads the request text with every
 * registered example input removed; demo outputs (the text after a demo input
 * up to the next registered input) are judged separately.
 */
import { LRUCache } from 'lru-cache';
import type { AnswerFormat, Task } from '../core/types.js';
import type { Match } from './world.js';

export interface PromptFeatures {
  /** A step-by-step / chain-of-thought cue in the instruction text. */
  cot: boolean;
  /** Number of numbered procedure lines ("1. …", "2) …"), 0 when fewer than 2. */
  procedureSteps: number;
  /** Text of the procedure lines (concepts named there get an extra bonus). */
  procedureText: string;
  /** Answer-format instruction: absent, matching the task's format, or asking for another format. */
  formatInstruction: 'none' | 'match' | 'mismatch';
  /** Format asked for when it is not the task's own (for the output style of a mismatch). */
  askedFormat?: AnswerFormat;
  /** Task concepts named in the instruction text. */
  conceptHints: string[];
  /** A cue to recall background facts. */
  knowledgeCue: boolean;
  demos: number;
  demosCorrect: number;
  demosParseable: number;
  /** Some demo output shows reasoning. */
  demoCot: boolean;
  /** Words of instruction text (inputs and demo outputs removed). */
  instructionWords: number;
  /** Words in sentences that name nothing about the task (distraction). */
  distractionWords: number;
  /** First irrelevant sentence, for the trace of a DISTRACTION failure. */
  distractionSnippet?: string;
  /** Answer line style asked for, if any ("So the answer is", "####", "Answer:", "\boxed"). */
  answerStyle?: AnswerStyle;
  /** The instruction text (inputs and demo outputs removed): the key of a world's prompt quality term. */
  instructionText?: string;
}

export type AnswerStyle = 'so_the_answer_is' | 'hashes' | 'answer_colon' | 'boxed' | 'the_answer_is';

/** CoT cues (case-insensitive regexes). */
export const COT_CUES: readonly RegExp[] = [
  /step[- ]by[- ]step/i,
  /\bthink (it )?through\b/i,
  /\bshow (your|the) (work|reasoning|steps)\b/i,
  /\breason (carefully|through|about)\b/i,
  /\bchain of thought\b/i,
  /\bexplain your reasoning\b/i,
  /\bwork (it )?out\b/i,
];

/** Knowledge cues. */
export const KNOWLEDGE_CUES: readonly RegExp[] = [/\brecall\b/i, /\brelevant (facts|knowledge|definitions?)\b/i, /\bbackground knowledge\b/i];

/** Words that mark a sentence as a directive about the answer. */
const DIRECTIVE = /\b(answer|respond|reply|output|end|finish|format|write|give|return|conclude|choose|select|pick)\w*/i;

/** Format keyword sets (documented). Order matters: more specific first. */
export const FORMAT_KEYWORDS: ReadonlyArray<{ format: AnswerFormat; re: RegExp }> = [
  { format: 'valid_invalid', re: /\bvalid\b[^\n]*\binvalid\b|\binvalid\b[^\n]*\bvalid\b/i },
  { format: 'true_false', re: /\btrue\b[^\n]*\bfalse\b|\bfalse\b[^\n]*\btrue\b/i },
  { format: 'yes_no', re: /\byes\b[^\n]*\bno\b|\bno\b[^\n]*\byes\b/i },
  { format: 'letter', re: /\b(option|choice) letter\b|\bletter\b|\([A-R]\)|\(X\)/i },
  { format: 'dyck', re: /\bclosing (brackets?|parenthes[ie]s)\b/i },
  { format: 'words', re: /\b(sorted|alphabetical(ly)?)\b[^\n]*\bwords?\b|\bwords?\b[^\n]*\b(sorted|alphabetical(ly)?)\b/i },
  { format: 'integer', re: /\b(integer|whole number|number|numeric(al)?|digits)\b/i },
  { format: 'text', re: /\bshort (answer|phrase)\b/i },
];

/** Vocabulary that makes a sentence relevant to a task (besides task description, concept and format words). */
export const RELEVANT_VOCAB = new Set(
  (
    'answer question questions problem problems solve solving step steps think reason reasoning careful carefully check ' +
    'final format option options letter number numbers integer true false valid invalid yes no brackets words sort sorted ' +
    'concept concepts apply remember recall facts relevant read task given compute calculate result results explain ' +
    'choose select correct procedure each first then finally write output respond response instructions instruction ' +
    'important consider identify determine statement statements evaluate expression argument premises'
  ).split(' '),
);

/** Concept keywords: the concept's own words of 4+ letters, compared by their first 5 letters. */
export function conceptKeys(concept: string): string[] {
  const words = concept
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length >= 4);
  return [...new Set(words.map((w) => w.slice(0, 5)))];
}

function wordStems(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().split(/[^a-z0-9]+/)) if (w) out.add(w.length >= 4 ? w.slice(0, 5) : w);
  return out;
}

/** Is the concept named in the text: the concept string itself, or all of its keywords. */
export function namesConcept(text: string, concept: string): boolean {
  const norm = (s: string) => s.toLowerCase().replace(/[_\-/]+/g, ' ');
  if (norm(text).includes(norm(concept))) return true;
  const keys = conceptKeys(concept);
  if (keys.length === 0) return false;
  const stems = wordStems(text);
  return keys.every((k) => stems.has(k));
}

export function detectAnswerStyle(text: string): AnswerStyle | undefined {
  if (/so the answer is/i.test(text)) return 'so_the_answer_is';
  if (/####/.test(text)) return 'hashes';
  if (/\\boxed/.test(text)) return 'boxed';
  if (/\banswer:\s*/i.test(text) && /\bwith\s+"?answer:/i.test(text)) return 'answer_colon';
  if (/the answer is/i.test(text)) return 'the_answer_is';
  return undefined;
}

/** Split into sentences / lines; a step number ("2.") stays with its step. */
export function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?]["']?)(?<!(?:^|\s)\d{1,2}[.)])\s+(?=[A-Z0-9"'(])|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

export function words(text: string): number {
  const m = text.match(/[A-Za-z0-9']+/g);
  return m ? m.length : 0;
}

const NUMBERED = /^\s*(?:step\s*)?(\d{1,2})[.):]\s+\S/i;

export interface ExtractInput {
  text: string;
  task: Task;
  /** All registered inputs found in the text (last one is the query). */
  matches: readonly Match[];
}

/** The request text cut into the instruction text and the demo outputs (with the demo each follows). */
interface Cut {
  instr: string;
  demoOutputs: { output: string; match: Match }[];
}

/** Extract the documented features of the prompt around the query. */
export function extractFeatures(input: ExtractInput): PromptFeatures {
  return featuresOfCut(cutText(input), input.task);
}

/** A small number per object (task, example), for memo keys. */
const objectIds = new WeakMap<object, number>();
let nextObjectId = 0;
function objectId(o: object): number {
  let id = objectIds.get(o);
  if (id === undefined) objectIds.set(o, (id = nextObjectId++));
  return id;
}

/** A memoized feature set, and per world the prompt's quality draw (sim/target.ts). */
export interface FeatureEntry {
  features: Readonly<PromptFeatures>;
  /** Per world number: the standard normal of the prompt's quality term. */
  quality: Map<number, number>;
  /** The features when the instruction is ignored (sim/target.ts), once needed. */
  ignored?: PromptFeatures;
  /** The features as annotated (no instruction text), once needed. */
  annotated?: Readonly<Omit<PromptFeatures, 'instructionText'>>;
}

/**
 * Features depend only on the query's task, the instruction text and the demo
 * outputs (with the demos they follow), not on the query: one extraction
 * serves a prompt's every example. Bounded: at most 4096 entries and 2^25
 * characters of keys (the least recently used go first).
 */
const FEATURE_MEMO = new LRUCache<string, FeatureEntry>({ max: 4096, maxSize: 2 ** 25, sizeCalculation: (_v, k) => Math.max(1, k.length) });

/**
 * `extractFeatures`, memoized. The features object is frozen (it is shared by
 * every call with the same instruction text and demos).
 */
export function memoFeatures(input: ExtractInput): FeatureEntry {
  const cut = cutText(input);
  let key = `${objectId(input.task)}\u0001${cut.instr}`;
  for (const d of cut.demoOutputs) key += `\u0002${objectId(d.match.task)}:${objectId(d.match.example)}\u0003${d.output}`;
  let entry = FEATURE_MEMO.get(key);
  if (!entry) {
    const f = featuresOfCut(cut, input.task);
    Object.freeze(f.conceptHints);
    entry = { features: Object.freeze(f), quality: new Map() };
    FEATURE_MEMO.set(key, entry);
  }
  return entry;
}

function cutText({ text, matches }: ExtractInput): Cut {
  // Cut the text into instruction parts and demo outputs.
  const parts: string[] = [];
  const demoOutputs: { output: string; match: Match }[] = [];
  let cursor = 0;
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    parts.push(text.slice(cursor, m.start));
    if (i < matches.length - 1) {
      const next = matches[i + 1]!;
      const seg = text.slice(m.end, next.start);
      // The demo output is the segment up to the first "Q:"/"Question:" label or blank-line + label; the rest is instruction text.
      const cut = seg.search(/\n\s*(Q|Question|Input)\s*:/);
      const out = cut > 0 ? seg.slice(0, cut) : seg;
      demoOutputs.push({ output: out, match: m });
      parts.push(cut > 0 ? seg.slice(cut) : '');
      cursor = next.start;
    } else cursor = m.end;
  }
  parts.push(text.slice(cursor));
  return { instr: parts.join('\n'), demoOutputs };
}

function featuresOfCut({ instr, demoOutputs }: Cut, task: Task): PromptFeatures {

  const cot = COT_CUES.some((re) => re.test(instr));
  const knowledgeCue = KNOWLEDGE_CUES.some((re) => re.test(instr));

  const lines = instr.split('\n');
  const proc = lines.filter((l) => NUMBERED.test(l));
  const procedureSteps = proc.length >= 2 ? proc.length : 0;
  const procedureText = procedureSteps ? proc.join('\n') : '';

  // Format instruction: the task's own instruction verbatim, or a directive sentence with a format keyword set.
  let formatInstruction: PromptFeatures['formatInstruction'] = 'none';
  let askedFormat: AnswerFormat | undefined;
  const fi = task.formatInstruction?.trim();
  if (fi && instr.includes(fi)) formatInstruction = 'match';
  else {
    for (const s of sentences(instr)) {
      if (!DIRECTIVE.test(s)) continue;
      const own = FORMAT_KEYWORDS.find((k) => k.format === task.answerFormat);
      if (own && own.re.test(s)) {
        formatInstruction = 'match';
        break;
      }
      const other = FORMAT_KEYWORDS.find((k) => k.format !== task.answerFormat && k.re.test(s));
      if (other && formatInstruction === 'none') {
        formatInstruction = 'mismatch';
        askedFormat = other.format;
      }
    }
  }

  const conceptHints = task.concepts.filter((c) => namesConcept(instr, c));

  // Distraction: sentences sharing no stem with the relevant vocabulary, the task description, concepts or format words.
  const relevant = new Set<string>();
  for (const w of RELEVANT_VOCAB) relevant.add(w.length >= 4 ? w.slice(0, 5) : w);
  for (const s of wordStems(task.description)) if (s.length >= 4) relevant.add(s);
  for (const c of task.concepts) for (const k of conceptKeys(c)) relevant.add(k);
  if (fi) for (const s of wordStems(fi)) if (s.length >= 4) relevant.add(s);
  let distractionWords = 0;
  let distractionSnippet: string | undefined;
  for (const s of sentences(instr)) {
    const st = [...wordStems(s)].filter((w) => /[a-z]/.test(w) && w.length >= 4);
    if (st.length < 3) continue; // labels like "Q:" or "A:" are not distraction
    if (st.some((w) => relevant.has(w))) continue;
    distractionWords += words(s);
    distractionSnippet ??= s.split(/\s+/).slice(0, 8).join(' ');
  }

  let demosCorrect = 0;
  let demosParseable = 0;
  let demoCot = false;
  for (const d of demoOutputs) {
    const pred = safeExtract(d.match.task, d.output, d.match.example);
    if (pred !== null) demosParseable++;
    if (pred !== null && safeScore(d.match.task, pred, d.match.example)) demosCorrect++;
    if (COT_CUES.some((re) => re.test(d.output)) || words(d.output) >= 25) demoCot = true;
  }

  return {
    cot,
    procedureSteps,
    procedureText,
    formatInstruction,
    ...(askedFormat ? { askedFormat } : {}),
    conceptHints,
    knowledgeCue,
    demos: demoOutputs.length,
    demosCorrect,
    demosParseable,
    demoCot,
    instructionWords: words(instr),
    instructionText: instr.replace(/\s+/g, ' ').trim(),
    distractionWords,
    ...(distractionSnippet ? { distractionSnippet } : {}),
    ...(detectAnswerStyle(instr) ? { answerStyle: detectAnswerStyle(instr)! } : {}),
  };
}

export function safeExtract(task: Task, output: string, example: import('../core/types.js').Example): string | null {
  try {
    return task.extract(output, example);
  } catch {
    return null;
  }
}

export function safeScore(task: Task, pred: string | null, example: import('../core/types.js').Example): boolean {
  try {
    return task.score(pred, example);
  } catch {
    return false;
  }
}
