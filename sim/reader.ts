/**
 * The sim optimizer's READER: classifies a meta-prompt's form (what shape of
 * reply it asks for) and extracts what the meta-prompt SHOWS into one
 * method-neutral structure (`Shown`). The content policy (sim/policy.ts) sees
 * only that structure, never the form, so no optimizer's wording can reach a
 * reward another's cannot (docs/sim.md, "Simulated optimizer").
 *
 * Extending the reader: when an optimizer's reference meta-prompt is not
 * understood, add a cue to `FORMS` (a regex; the first form with a matching
 * cue wins, in table order), a wrapper to `WRAPPERS`, a gold label to
 * `GOLD_LABELS`, or a prompt label to `PROMPT_LABELS`. Never reword the
 * meta-prompt to suit the sim. Every table is documented in docs/sim.md.
 */
import type { AnswerFormat, Example, LLMRequest } from '../core/types.js';
import { parseCauses, TELLS } from './causes.js';
import type { Match, SimWorld } from './world.js';

/** The form of reply a request asks for. It decides only the reply's shape, never its content. */
export type RequestKind =
  | 'judge'
  | 'pairwise'
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
  | 'plain';
export type Form = RequestKind;

export type Wrapper = 'ins' | 'start' | 'start_close' | 'prompt' | 'dspy' | 'brackets' | 'fence' | 'json' | 'plain';

/** The judge meta-prompt's distinctive wording (reports/judge.ts). */
export const JUDGE_CUE = /error-cause judge/i;
/** A pairwise judge request: two assistants' answers to one user question (BPO's evaluation, FastChat's "pair-v2"; benchmarks/pairwise.ts). */
export const PAIRWISE_CUE = /\[The Start of Assistant A's Answer\][\s\S]*\[The Start of Assistant B's Answer\]/;

export interface FormCues {
  form: Form;
  /** Any cue matching the request text selects this form (case-insensitive regexes). */
  cues: readonly RegExp[];
  /** What the form's reply looks like (documentation; the content is the policy's). */
  reply: string;
}

/**
 * Form cues, checked in this order; the first form with a matching cue wins.
 * Order matters where a request quotes text of another form (a judge request
 * quotes reflections; a scored history quotes candidates that say "reason …").
 */
export const FORMS: readonly FormCues[] = [
  // first: the answers it quotes may contain any other form's wording
  { form: 'pairwise', cues: [PAIRWISE_CUE], reply: 'a short comparison, then the verdict "[[A]]", "[[B]]" or "[[C]]" (tie) as the last paragraph' },
  { form: 'judge', cues: [JUDGE_CUE], reply: 'JSON {"causes": [...]} for one reflection or one model output' },
  { form: 'evo_de', cues: [/different parts/i], reply: 'one prompt (recombined from the shown prompts) in <prompt> tags unless another wrapper is shown' },
  {
    form: 'evo_ga',
    cues: [
      /cross ?over|crossover/i,
      /^(?=[\s\S]*\bmutate\b)(?=[\s\S]*prompt 1)/i,
      // CAPO's crossover (promptolution templates.py:163-169): "merge the two prompts" with Prompt 1 / Prompt 2
      /^(?=[\s\S]*\bmerge the two prompts\b)(?=[\s\S]*prompt 1)/i,
    ],
    reply: 'one prompt (recombined from the shown prompts) in <prompt> tags unless another wrapper is shown',
  },
  {
    form: 'edit',
    cues: [
      /problem with (this|the) prompt is|based on (these|the above|this|the) (examples|information|reasons|feedback|reflection|analysis)[^\n]*(improv|edit|revis|refin|wrote|new prompt)/i,
      /(improved|revised|refined|edited) (prompt|instruction)s?\b[^\n]*(are|is|:)/i,
      // GPO's update request (RUCAIBox/GPO generate_without_gradient.py): "write a new improved prompt to replace <Prompt> …"
      /\bwrite an? (new )?(improved|better) (prompt|instruction) to replace\b/i,
      // a request to write a new instruction from shown responses and feedback (GEPA's reflection prompt)
      /\bwrite a new instruction\b/i,
      // a request to refine the prompt after a reasoning turn (PE2's step 2)
      /\bhelp (?:edit|refine|improve) the prompt\b|\brefining the prompt\b/i,
      // a request to write N prompts for a described task (CAPO's initial population, promptolution templates.py:141-147)
      /\bcreate\b[^\n]{0,40}\bprompts\b[^\n]{0,40}\bfor the following task\b/i,
    ],
    reply: 'N improved prompts (N from "N … prompts", default 1)',
  },
  {
    // a request to carry out given numbered steps on one input whose expected answer it states (ABO's demonstration)
    form: 'demonstrate',
    cues: [/^(?=[\s\S]*carry out (every|each) step on (this|the) input)(?=[\s\S]*expected answer\s*:)/i],
    reply: 'each numbered step shown, as "Step N: …", then "So the answer is <the expected answer shown>."',
  },
  {
    form: 'procedure',
    cues: [/(step-by-step|explicit|numbered) (procedure|behaviou?r|steps?)/i, /\bprocedure\b[^\n]*(target|model) should/i],
    reply: 'one prompt written as numbered steps (1., 2., …), the answer-format step last',
  },
  {
    form: 'opro',
    cues: [/text:\s*[\s\S]{1,2000}?score:\s*-?\d/i, /(instruction|prompt)s? (with|and) (their )?(scores|accurac)/i],
    reply: 'one new prompt',
  },
  {
    form: 'reflect',
    // within one line: a reason word and a failure word, either order
    cues: [
      /\b(reasons?|why|causes?|feedback|reflect\w*|analy[sz]e|diagnos\w*)\b[^\n]{0,120}\b(wrong|incorrect|fail\w*|mistakes?|errors?)\b/i,
      /\b(wrong|incorrect|fail\w*|mistakes?|errors?)\b[^\n]{0,120}\b(reasons?|why|causes?|analy[sz]e|diagnos\w*)\b/i,
      // a per-example reasoning template about the output and the prompt (PE2's step 1)
      /\bis the output correct\b[^\n]{0,80}\breasoning\b/i,
    ],
    reply: 'N reasons (N from "give N reasons", default one per distinct inferred cause), one sentence each',
  },
  { form: 'induce', cues: [/i gave a friend an instruction|input-output pairs|the instruction was to/i], reply: 'one instruction' },
  { form: 'paraphrase', cues: [/generate a variation|keeping the semantic meaning|paraphrase|rephrase/i], reply: 'one prompt' },
  {
    form: 'mipro',
    cues: [/dataset[_ ](summary|description)|program[_ ](code|description)|proposed[_ ]instruction|basic[_ ]instruction/i],
    reply: 'one instruction',
  },
  {
    form: 'rewrite',
    cues: [/(rewrite|optimi[sz]e|improve|refine)\b[^\n]{0,60}\b(user'?s? )?(query|prompt|request)/i],
    reply: 'the user query verbatim, a blank line, then the guidance (the policy’s prompt)',
  },
];

export function detectKind(text: string): RequestKind {
  for (const { form, cues } of FORMS) if (cues.some((re) => re.test(text))) return form;
  return 'plain';
}

export interface WrapperSpec {
  wrapper: Wrapper;
  field?: string;
}

/** Wrappers, checked in this order. */
export const WRAPPERS: ReadonlyArray<{ wrapper: Wrapper; test: (t: string) => boolean }> = [
  { wrapper: 'ins', test: (t) => /<INS>/i.test(t) && /<\/INS>/i.test(t) },
  // OPRO's GPT text at A_begin asks for a sentence that "should begin with <Start> and end with </Start>".
  { wrapper: 'start_close', test: (t) => /<Start>/i.test(t) && /<\/Start>/i.test(t) },
  { wrapper: 'start', test: (t) => /<START>/i.test(t) },
  { wrapper: 'prompt', test: (t) => /<prompt>/i.test(t) && /<\/prompt>/i.test(t) },
  { wrapper: 'dspy', test: (t) => /\[\[ ## (\w+) ## \]\]/.test(t) },
  { wrapper: 'fence', test: (t) => /within ``` blocks|between ``` (?:fences|blocks)|in a ``` block/i.test(t) },
  { wrapper: 'json', test: (t) => /\bjson\b[^\n]{0,80}\barray\b|\bas an? (?:json )?array\b/i.test(t) },
  { wrapper: 'brackets', test: (t) => /square brackets|\[\s*\]/i.test(t) },
];

export function detectWrapper(text: string): WrapperSpec {
  for (const { wrapper, test } of WRAPPERS) {
    if (!test(text)) continue;
    if (wrapper === 'dspy') {
      const fields = [...text.matchAll(/\[\[ ## (\w+) ## \]\]/g)].map((m) => m[1]!).filter((f) => f !== 'completed');
      if (!fields.length) continue;
      return { wrapper, field: fields[fields.length - 1]! };
    }
    return { wrapper };
  }
  return { wrapper: 'plain' };
}

const NUM_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };

/** "N (different|new|improved|distinct) <what>" → N in 1..10. */
export function requestedCount(text: string, what: RegExp): number | undefined {
  const re = new RegExp(`\\b(\\d+|${Object.keys(NUM_WORDS).join('|')})\\s+(?:different\\s+|new\\s+|improved\\s+|distinct\\s+)*${what.source}`, 'i');
  const m = re.exec(text);
  if (!m) return undefined;
  const n = /^\d+$/.test(m[1]!) ? Number(m[1]) : NUM_WORDS[m[1]!.toLowerCase()]!;
  return Math.max(1, Math.min(10, n));
}

// ------------------------------------------------------------------ evidence tables

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

/** Labels that introduce a gold answer shown beside an example. */
export const GOLD_LABELS = /\b(label|gold|correct answer|expected(?: answer| output)?|target|ground truth|true answer)\s*[:=]|\bthe correct answer is\s*(?=['"])/gi;

/** Words that say the shown examples were answered wrongly (then the golds shown are failures). */
export const FAILURE_CONTEXT = /\b(wrong|incorrect|fail(?:s|ed|ure|ures)?|mistakes?|errors?)\b/i;

/** Answer format guessed from the gold answers / outputs shown (the majority type). */
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

// ------------------------------------------------------------------ prompts shown

function firstQuoted(text: string, label: RegExp): string | undefined {
  const m = new RegExp(label.source + String.raw`\s*:?\s*\n?\s*"([^"]*)"`, 'i').exec(text);
  return m ? m[1]! : undefined;
}

/** The (text, score) pairs of a scored history (OPRO's `text:/score:`, GPO's `Prompt:/Score:`), best first (stable for ties). */
export function scoredHistory(text: string): { t: string; s: number }[] {
  // Line-aware: an empty text ("text:\n\nscore:") must not run on into the next pair.
  const pairs = [...text.matchAll(/(?:^|\n)[ \t]*(?:text|prompt):[ \t]*\n?([\s\S]*?)\n?[ \t]*score:[ \t]*\n?[ \t]*(-?[\d.]+)/gi)].map((m) => ({
    t: m[1]!.trim().replace(/^<INS>|<\/INS>$/g, ''),
    s: Number(m[2]),
  }));
  return pairs.sort((a, b) => b.s - a.s);
}

/** Labels that introduce the prompt to improve, tried in order (a quoted prompt first, then the rest of the line). */
export const PROMPT_LABELS: readonly RegExp[] = [/(?:current|original|old|given|existing) (?:prompt|instruction)(?: is)?/];

/**
 * The prompt(s) the meta-prompt shows as the ones to improve: a scored
 * history best first; EvoPrompt's parents (`Prompt N:` / `Basic Prompt:` of
 * the last task block); an `Input:` to paraphrase; DSPy's basic instruction;
 * a procedure the model "was told to follow"; else a labelled current prompt.
 */
export function currentPrompts(text: string, kind: RequestKind): string[] {
  if (kind === 'evo_ga' || kind === 'evo_de') {
    // after a worked demonstration (EvoPrompt's templates have one), the task is the last block
    const head = text.toLowerCase().lastIndexOf('please follow the instruction');
    const task = head > 0 ? text.slice(head) : text;
    const ps: string[] = [];
    for (const m of task.matchAll(/(?:prompt \d|basic prompt)\s*:\s*([^\n]*)/gi)) ps.push(m[1]!.trim());
    return ps.length ? ps : [''];
  }
  const history = scoredHistory(text);
  if (history.length) {
    // A labelled current prompt, when also shown, comes first.
    const cur = labelledPrompt(text);
    const rest = history.map((h) => h.t);
    return cur !== undefined ? [cur, ...rest.filter((t) => t !== cur)] : rest;
  }
  if (kind === 'paraphrase') {
    const m = /input:\s*([\s\S]*?)\s*\n\s*output:/i.exec(text);
    if (m) return [m[1]!.trim()];
    // "Prompt: <text>" on a line of its own (CAPO's mutation, promptolution templates.py:171-176)
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
  const told = /(?:was told to follow|told to follow) this procedure:\s*\n+([\s\S]*?)\n\s*\n/i.exec(text);
  if (told) return [told[1]!.trim()];
  const cur = labelledPrompt(text);
  return [cur ?? ''];
}

function labelledPrompt(text: string): string | undefined {
  for (const label of PROMPT_LABELS) {
    const q = firstQuoted(text, label);
    if (q !== undefined) return q;
    const m = new RegExp(label.source + String.raw`\s*:\s*\n?([^\n]+)`, 'i').exec(text);
    if (m) return m[1]!.trim();
  }
  return undefined;
}

/** The user query inside a rewrite request: the text after the request paragraph, minus a leading label. */
export function bpoQuery(text: string): string {
  const paras = text.split(/\n\s*\n/);
  const rewrite = FORMS.find((k) => k.form === 'rewrite')!;
  const i = paras.findIndex((pp) => rewrite.cues.some((re) => re.test(pp)));
  let rest = (i >= 0 ? paras.slice(i + 1) : paras).join('\n\n');
  if (i >= 0) {
    // a cue line ending in ":" introduces the query on the next line (BPO's template: "…response:\n{query} [/INST]"),
    // which may run on over several paragraphs
    const lines = paras[i]!.split('\n');
    const j = lines.findIndex((l) => rewrite.cues.some((re) => re.test(l)));
    const after = j >= 0 && j < lines.length - 1 && /:\s*$/.test(lines[j]!) ? lines.slice(j + 1).join('\n') : '';
    if (after.trim()) rest = [after, rest].filter((x) => x.trim()).join('\n\n');
  }
  const body = rest.trim() || (i >= 0 ? paras[i]!.replace(/^[^\n]*\n?/, '') : text);
  return body
    .replace(/^\s*(?:\[INST\]\s*)?(?:original |user(?:'s)? )?(?:query|prompt|request|input)\s*:\s*/i, '')
    .replace(/\s*\[\/INST\]\s*$/i, '')
    .replace(/\n\s*(?:rewritten|optimi[sz]ed|improved) (?:query|prompt)\s*:\s*$/i, '')
    .trim();
}

// ------------------------------------------------------------------ the neutral structure

/** One example input the request shows, as the world knows it. */
export interface ShownQuestion {
  taskId: string;
  example: Example;
}

/**
 * What a meta-prompt shows, method-neutral. The policy reads only this.
 * Equal-information rule (docs/sim.md): every field is filled the same way
 * from any meta-prompt that shows the thing, whatever its wording.
 */
export interface Shown {
  /** Prompts shown as the ones to build on, best first when scores are shown. */
  prompts: string[];
  /** Were scores shown beside the prompts? */
  scored: boolean;
  /** Registered example inputs shown (any role: demo, failure, query), without repeats. */
  questions: ShownQuestion[];
  /** Task ids whose description text is shown. */
  descriptions: string[];
  /** Failures shown: gold labels under a failure context (0 when the request shows none). */
  failures: number;
  /** Tells visible in shown model outputs, in order. */
  tells: Evidence[];
  /** Concepts named in shown model traces (applied or skipped). */
  traceConcepts: string[];
  /** Causes already named in the request (a reflection quoted back), parsed by `parseCauses`. */
  namedCauses: string[];
  /** Answer format inferred from the golds / outputs shown, else from a task's format instruction shown verbatim. */
  format?: AnswerFormat;
}

/** Everything the reader extracts: the form (shape of reply) and the shown information (content). */
export interface ReadRequest {
  form: Form;
  wrapper: WrapperSpec;
  /** Items requested ("N prompts", "N reasons"), when the request says. */
  count?: number;
  /** The user query (rewrite form only; the reply must keep it verbatim). */
  query?: string;
  shown: Shown;
}

/**
 * Read a meta-prompt. `world` (optional) identifies the example inputs and
 * task descriptions shown. `request` is the text that states the request (the
 * last user turn of a conversation, see `requestTurn`): it decides the form
 * and wrapper; everything shown anywhere in `text` is content.
 */
export function readRequest(text: string, world?: SimWorld, request = text): ReadRequest {
  const form = detectKind(request);
  const wrapper = detectWrapper(request);
  const count =
    form === 'reflect'
      ? requestedCount(request, /(reasons?|causes?|feedbacks?)/)
      : form === 'edit'
        ? requestedCount(request, /(prompts?|instructions?|candidates?)/)
        : undefined;
  const query = form === 'rewrite' ? bpoQuery(text) : undefined;
  const tells = readEvidence(text);
  const labels = (text.match(GOLD_LABELS) ?? []).length;
  const failures = labels > 0 && FAILURE_CONTEXT.test(text) ? labels : tells.length;
  const questions: ShownQuestion[] = [];
  const descriptions: string[] = [];
  if (world) {
    const seen = new Set<string>();
    const matches: Match[] = text.length > 400_000 ? [] : world.findAll(text);
    for (const m of matches) {
      const key = `${m.task.id}\u0000${m.example.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
      questions.push({ taskId: m.task.id, example: m.example });
    }
    for (const id of world.taskIds()) {
      const d = world.getTask(id)!.description.trim();
      if (d.length >= 12 && text.includes(d)) descriptions.push(id);
    }
  }
  const history = scoredHistory(text);
  let format = inferFormat(text);
  if (!format && questions.length) {
    // a shown question reveals its answer format (the majority over the questions shown)
    const votes = new Map<AnswerFormat, number>();
    for (const q of questions) {
      const f = world!.getTask(q.taskId)!.answerFormat;
      votes.set(f, (votes.get(f) ?? 0) + 1);
    }
    format = [...votes].sort((a, b) => b[1] - a[1])[0]![0];
  }
  if (!format && world)
    for (const id of world.taskIds()) {
      const t = world.getTask(id)!;
      const fi = t.formatInstruction?.trim();
      if (fi && fi.length >= 12 && text.includes(fi)) {
        format = t.answerFormat;
        break;
      }
    }
  return {
    form,
    wrapper,
    ...(count !== undefined ? { count } : {}),
    ...(query !== undefined ? { query } : {}),
    shown: {
      prompts: form === 'rewrite' ? [] : currentPrompts(text, form),
      scored: history.length > 0,
      questions,
      descriptions,
      failures: Math.min(10, failures),
      tells,
      traceConcepts: seenConcepts(text),
      namedCauses: form === 'judge' || form === 'pairwise' ? [] : parseCauses(text),
      ...(format ? { format } : {}),
    },
  };
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

function requestText(req: LLMRequest): string {
  return req.messages.map((m) => m.content).join('\n');
}
