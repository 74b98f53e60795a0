/**
 * Answer extraction and scoring for every answer type in GSM8K, BIG-Bench Hard
 * and MMLU (see docs/tasks.md, "Answer extraction").
 *
 * Strategy: look for explicit answer markers ("the answer is …", "Answer: …",
 * "#### …", "\boxed{…}") and parse the text after the last one that yields an
 * answer of the task's format; when no marker gives one, take the last
 * candidate of that format anywhere in the output.
 */
import type { AnswerFormat, Example } from '../core/types.js';

// ---------------------------------------------------------------- markers

interface Segment {
  at: number;
  text: string;
}

const BOXED = /\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}/g;
/** Phrases after which a model states its answer; the answer runs to the end of the line or the next marker. */
const MARKER_HEADS: readonly RegExp[] = [/####[ \t]*/g, /answer\s+is\b[ \t]*:?[ \t]*/gi, /\banswer(?:\*\*|__)?\s*:[ \t]*/gi];

/** Texts following an answer marker, ordered by where they start in the output. */
function markerSegments(output: string): Segment[] {
  const heads: { start: number; end: number }[] = [];
  // exec loops over the shared global patterns (none matches the empty string; exec
  // leaves lastIndex at 0 when it finds no more), as matchAll would, without its copy of each pattern
  for (const re of MARKER_HEADS) {
    re.lastIndex = 0;
    for (let m = re.exec(output); m !== null; m = re.exec(output)) heads.push({ start: m.index, end: m.index + m[0].length });
  }
  heads.sort((a, b) => a.start - b.start);
  const segs: Segment[] = [];
  heads.forEach((h, i) => {
    let stop = output.indexOf('\n', h.end);
    if (stop < 0) stop = output.length;
    const next = heads[i + 1];
    if (next && next.start >= h.end && next.start < stop) stop = next.start;
    segs.push({ at: h.end, text: output.slice(h.end, stop) });
  });
  BOXED.lastIndex = 0;
  for (let m = BOXED.exec(output); m !== null; m = BOXED.exec(output)) segs.push({ at: m.index + 7, text: m[1] ?? '' });
  return segs.sort((a, b) => a.at - b.at);
}

function lastNonEmptyLine(output: string): string | null {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  return lines.length ? lines[lines.length - 1]! : null;
}

/** Drop wrapping markup a model may put around a final answer. */
function cleanSegment(s: string): string {
  let t = s.trim();
  t = t.replace(/^\\boxed\{(.*)\}/, '$1');
  t = t.replace(/^\*\*(.*?)\*\*/, '$1').replace(/^\$\\text\{(.*?)\}\$/, '$1');
  // the rest of a Markdown emphasis around the marker ("**Answer:** B")
  t = t.replace(/^[*_]+\s*/, '').trim();
  // one trailing sentence period
  if (t.endsWith('.')) t = t.slice(0, -1);
  return t.replace(/[\s*]+$/, '').trim();
}

// ---------------------------------------------------------------- normalisers

/** Lowercase, punctuation to spaces (keeping & and apostrophes inside words), collapsed whitespace. */
export function normalizeText(s: string): string {
  return s
    .toLowerCase()
    .replace(/[’‘]/g, "'")
    .replace(/[^\p{L}\p{N}&'\s]/gu, ' ')
    .replace(/(^|\s)'+|'+(?=\s|$)/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

const LETTER_RE = /^\(?([A-Ra-r])\)?$/;

/** "(b)", "B", " (B) " → "B"; anything else → null. */
export function normalizeLetter(s: string): string | null {
  const m = LETTER_RE.exec(s.trim());
  return m ? m[1]!.toUpperCase() : null;
}

/** Canonical number string: commas, "$" and a zero fraction removed ("1,450,000" → "1450000", "42.0" → "42"). */
export function normalizeNumber(s: string): string | null {
  const m = /^\s*([-−]?)\s*\$?\s*(\d[\d,]*)(?:\.(\d+))?\s*$/.exec(s);
  if (!m) return null;
  const intPart = m[2]!.replace(/,/g, '');
  if (!/^\d+$/.test(intPart)) return null;
  const frac = (m[3] ?? '').replace(/0+$/, '');
  const digits = intPart.replace(/^0+(?=\d)/, '');
  const neg = m[1] !== '' && !(digits === '0' && frac === '');
  return `${neg ? '-' : ''}${digits}${frac ? '.' + frac : ''}`;
}

const BRACKETS = /[()[\]{}<>]/g;

/** Bracket characters only, one per token: "]]>" and "] ] >" → "] ] >". */
export function normalizeDyck(s: string): string {
  return (s.match(BRACKETS) ?? []).join(' ');
}

export function normalizeWords(s: string): string {
  return normalizeText(s);
}

// ---------------------------------------------------------------- per-format parsers

/** All numbers in a text, as canonical strings, in order. */
function numbersIn(s: string): string[] {
  const out: string[] = [];
  const re = /([-−]?)\$?(\d{1,3}(?:,\d{3})+(?![\d])|\d+)(?:\.(\d+))?/g;
  for (const m of s.matchAll(re)) {
    const start = m.index ?? 0;
    let sign = m[1] ?? '';
    // "5-3": the dash is an operator, not a sign
    if (sign && start > 0 && /[\p{L}\p{N})]/u.test(s[start - 1]!)) sign = '';
    const n = normalizeNumber(`${sign}${m[2]}${m[3] ? '.' + m[3] : ''}`);
    if (n !== null) out.push(n);
  }
  return out;
}

/** Compiled word patterns, by word list (a handful: one per choice format). */
const WORD_PATTERNS = new Map<string, RegExp>();

function wordsIn(s: string, words: readonly string[]): string[] {
  const alt = words.join('|');
  let re = WORD_PATTERNS.get(alt);
  if (!re) WORD_PATTERNS.set(alt, (re = new RegExp(`(?<![\\p{L}\\p{N}])(${alt})(?![\\p{L}\\p{N}])`, 'giu')));
  // matchAll works on a copy of the pattern, so the shared one keeps no state
  return [...s.matchAll(re)].map((m) => m[1]!);
}

const CANON: Record<string, string> = {
  true: 'True',
  false: 'False',
  yes: 'Yes',
  no: 'No',
  valid: 'valid',
  invalid: 'invalid',
};

function choiceParser(words: readonly string[]) {
  return (seg: string, fromMarker: boolean): string | null => {
    let text = seg;
    if (words.includes('invalid')) text = text.replace(/\bnot\s+valid\b/gi, 'invalid');
    const hits = wordsIn(text, words);
    if (!hits.length) return null;
    const w = (fromMarker ? hits[0]! : hits[hits.length - 1]!).toLowerCase();
    return CANON[w] ?? w;
  };
}

/** Option texts from an example, or parsed from its "(A) …" lines. */
export function optionsOf(example?: Example): string[] {
  if (!example) return [];
  if (example.options?.length) return example.options;
  const opts: string[] = [];
  for (const m of example.input.matchAll(/^\(([A-R])\)\s?(.*)$/gm)) opts.push(m[2]!.trim());
  return opts;
}

function isLetterTarget(target: string): boolean {
  return normalizeLetter(target) !== null;
}

/** Highest option letter allowed for an example: its option count when known, else R. */
function maxLetter(example?: Example): string {
  const n = optionsOf(example).length;
  return n > 0 ? String.fromCharCode(64 + Math.min(n, 18)) : 'R';
}

/** Parenthesised option letters in a text, in order, limited to the example's options. */
function parenLetters(text: string, example: Example | undefined, lowercase: boolean): string[] {
  const max = maxLetter(example);
  const re = lowercase ? /\(([A-Ra-r])\)/g : /\(([A-R])\)/g;
  return [...text.matchAll(re)].map((m) => m[1]!.toUpperCase()).filter((l) => l <= max);
}

function letterFromSegment(seg: string, example?: Example, allowBare = true): string | null {
  const clean = cleanSegment(seg);
  const normSeg = normalizeText(clean);
  const opts = optionsOf(example);
  // the whole answer is a letter: "(C)", "C", "(c)"
  const only = /^\(([A-Ra-r])\)$|^([A-Ra-r])$/.exec(clean);
  if (only) {
    const l = (only[1] ?? only[2])!.toUpperCase();
    if (l <= maxLetter(example)) return `(${l})`;
  }
  // gold given as option text (three upstream BBH examples)
  if (example && !isLetterTarget(example.target)) {
    const t = normalizeText(example.target);
    if (t && (normSeg === t || ` ${normSeg} `.includes(` ${t} `))) return example.target;
  }
  // the whole answer is one option's text (option texts may themselves contain "(i)", "(A)", "(g)")
  if (opts.length && normSeg) {
    const exact = opts.findIndex((o) => normalizeText(o) === normSeg);
    if (exact >= 0) return `(${String.fromCharCode(65 + exact)})`;
  }
  const max = maxLetter(example);
  // "B because (A) is wrong": a bare letter that opens the answer and is followed by
  // punctuation or a reason beats a parenthesised letter quoted later on.
  const leading = allowBare ? /^([A-R])(?=$|[.,:;!)]|\s+(?:because|since|as|-|—|–)\s)/.exec(clean) : null;
  if (leading && leading[1]! <= max) return `(${leading[1]})`;
  const paren = parenLetters(clean, example, true);
  if (paren.length) return `(${paren[0]})`;
  const bareM = allowBare ? /^([A-R])(?=$|[\s.,:;!)])/.exec(clean) : null;
  const bare = bareM && bareM[1]! <= max ? bareM[1]! : null;
  if (opts.length && normSeg && !bare) {
    let best = -1;
    let bestLen = 2;
    opts.forEach((o, i) => {
      const n = normalizeText(o);
      if (n.length > bestLen && ` ${normSeg} `.includes(` ${n} `)) [best, bestLen] = [i, n.length];
    });
    if (best >= 0) return `(${String.fromCharCode(65 + best)})`;
  }
  return bare ? `(${bare})` : null;
}

/**
 * A short reply that is an option label, alone or followed by that option's
 * text: "A", "a", "(b)", "B.", "A. 6", "(A) 6", "a) 6" (lowercase only alone or
 * with the matching option text, so the article "a" is never read as a letter).
 */
function labelledLetter(line: string, example?: Example): string | null {
  const m = /^\(?([A-Ra-r])(?:[.)]|\)?\.)?(?:\s+(.*))?$/.exec(line.trim());
  if (!m) return null;
  const letter = m[1]!;
  const upper = letter.toUpperCase();
  if (upper > maxLetter(example)) return null;
  const rest = (m[2] ?? '').trim();
  if (rest === '') return /^[A-Ra-r][.)]?$|^\([A-Ra-r]\)\.?$/.test(line.trim()) ? `(${upper})` : null;
  const opts = optionsOf(example);
  const option = opts[upper.charCodeAt(0) - 65];
  if (option !== undefined && normalizeText(rest) === normalizeText(option) && normalizeText(rest) !== '') return `(${upper})`;
  return null;
}

function letterFallback(output: string, example?: Example): string | null {
  const last = lastNonEmptyLine(output);
  if (last) {
    const labelled = labelledLetter(last, example);
    if (labelled) return labelled;
    // a last line that is just a letter ("B", "(B)") is the answer
    const c = cleanSegment(last);
    const l = normalizeLetter(c);
    if (l !== null && l <= maxLetter(example) && /^[A-R]$|^\([A-Ra-r]\)$/.test(c)) return `(${l})`;
  }
  const parens = parenLetters(output, example, false);
  if (parens.length) return `(${parens[parens.length - 1]})`;
  // no letter at all: the last line may give the option text
  return last ? letterFromSegment(last, example, false) : null;
}

// ---------------------------------------------------------------- reasoning and run-on text

/** What the server said about a reply besides its text. */
export interface ReplyInfo {
  /** "length" = cut off at maxTokens. */
  finishReason?: string;
}

/** Tags reasoning models wrap their thinking in (DeepSeek-R1, Qwen3, QwQ, ...: think; others: thinking, reasoning). */
const THINK_TAGS = ['think', 'thinking', 'reasoning', 'thought'] as const;

/**
 * The output with reasoning blocks removed: every `<think>…</think>` (and the
 * other THINK_TAGS); text before a lone closing tag (templates that open the
 * block in the prompt); and an opening tag never closed, with all after it
 * (the model was still thinking when it stopped).
 */
export function stripReasoning(output: string): string {
  // every tag pattern starts with "<"
  if (!output.includes('<')) return output;
  let out = output;
  for (const { open, close, block, lastClose: lastCloseRe } of THINK_PATTERNS) {
    if (!open.test(out) && !close.test(out)) continue;
    out = out.replace(block, '\n');
    const lastClose = out.search(lastCloseRe);
    if (lastClose >= 0) out = out.slice(lastClose).replace(close, '');
    const openAt = out.search(open);
    if (openAt >= 0) out = out.slice(0, openAt);
  }
  return out;
}

/** The patterns of each tag, compiled once (test/search/replace leave no state in them: non-global, or reset by replace). */
const THINK_PATTERNS = THINK_TAGS.map((tag) => ({
  open: new RegExp(`<${tag}>`, 'i'),
  close: new RegExp(`</${tag}>`, 'i'),
  block: new RegExp(`<${tag}>[\\s\\S]*?</${tag}>`, 'gi'),
  lastClose: new RegExp(`</${tag}>(?![\\s\\S]*</${tag}>)`, 'i'),
}));

/**
 * Where a reply starts a new exemplar of its own after answering (few-shot
 * run-on: "…#### 18\n\nQuestion: Tom has …"): a line opening with a question
 * label after some text. Returns the index, or -1.
 */
export function runOnStart(output: string): number {
  if (!output.includes(':')) return -1;
  const re = /\n[ \t]*(?:Q|Question|Problem|Input)[ \t]*:/g;
  for (let m = re.exec(output); m !== null; m = re.exec(output)) {
    const at = m.index;
    if (output.slice(0, at).trim() !== '') return at;
  }
  return -1;
}

/** The part of a reply that holds its answer: reasoning removed, run-on exemplars cut off. */
export function answerPart(output: string): { text: string; cutRunOn: boolean } {
  const text = stripReasoning(output ?? '');
  const at = runOnStart(text);
  return at >= 0 ? { text: text.slice(0, at), cutRunOn: true } : { text, cutRunOn: false };
}

// ---------------------------------------------------------------- public API

/**
 * The final answer in a model output, in a canonical form for the format
 * ("(B)", "True", "Yes", "valid", "1450000", "] ) >", "apple banana", text),
 * or null when the output contains none. Reasoning blocks (`<think>…</think>`)
 * and a run-on exemplar after the answer are ignored (`answerPart`); a reply
 * cut off at maxTokens (`reply.finishReason === "length"`) yields only a
 * marked answer that is followed by more text, never a fallback guess.
 */
export function extractAnswer(output: string, format: AnswerFormat, example?: Example, reply: ReplyInfo = {}): string | null {
  const { text, cutRunOn } = answerPart(output);
  if (!text) return null;
  // A reply cut off at maxTokens may end mid-answer ("9 * 2 = 1"): only a marked
  // answer followed by more text is trusted, and there is no fallback.
  const truncated = reply.finishReason === 'length' && !cutRunOn;
  const segs = markerSegments(text);
  const parse = segmentParser(format, example);
  for (let i = segs.length - 1; i >= 0; i--) {
    const seg = segs[i]!;
    if (truncated && seg.at + seg.text.length >= text.trimEnd().length) continue;
    const got = parse(seg.text, true);
    if (got !== null && got !== '') return got;
  }
  if (truncated) return null;
  return fallbackAnswer(text, format, example, parse);
}

function fallbackAnswer(
  output: string,
  format: AnswerFormat,
  example: Example | undefined,
  parse: (seg: string, fromMarker: boolean) => string | null,
): string | null {
  switch (format) {
    case 'letter':
      return letterFallback(output, example);
    case 'integer': {
      const nums = numbersIn(output);
      return nums.length ? nums[nums.length - 1]! : null;
    }
    case 'true_false':
    case 'yes_no':
    case 'valid_invalid':
      return parse(output, false);
    case 'dyck': {
      const last = lastNonEmptyLine(output);
      if (!last) return null;
      const cleaned = cleanSegment(last);
      return /^[\s()[\]{}<>]+$/.test(cleaned) ? normalizeDyck(cleaned) : null;
    }
    case 'words':
    case 'text': {
      const last = lastNonEmptyLine(output);
      return last ? cleanSegment(last) || null : null;
    }
  }
}

function segmentParser(format: AnswerFormat, example?: Example): (seg: string, fromMarker: boolean) => string | null {
  switch (format) {
    case 'letter':
      return (seg) => letterFromSegment(seg, example);
    case 'integer':
      return (seg, fromMarker) => {
        const nums = numbersIn(seg);
        if (!nums.length) return null;
        return fromMarker ? nums[0]! : nums[nums.length - 1]!;
      };
    case 'true_false':
      return choiceParser(['true', 'false']);
    case 'yes_no':
      return choiceParser(['yes', 'no']);
    case 'valid_invalid':
      return choiceParser(['invalid', 'valid']);
    case 'dyck':
      return (seg) => {
        const d = normalizeDyck(cleanSegment(seg));
        return d === '' ? null : d;
      };
    case 'words':
    case 'text':
      return (seg) => {
        const c = cleanSegment(seg);
        return c === '' ? null : c;
      };
  }
}

/** Canonical comparison key of an answer (prediction or gold) for a format. */
export function answerKey(answer: string, format: AnswerFormat): string {
  switch (format) {
    case 'letter': {
      const l = normalizeLetter(answer);
      return l !== null ? `letter:${l}` : `text:${normalizeText(answer)}`;
    }
    case 'integer': {
      const n = normalizeNumber(answer);
      return n !== null ? n : `text:${normalizeText(answer)}`;
    }
    case 'true_false':
    case 'yes_no':
    case 'valid_invalid':
      return answer.trim().toLowerCase().replace(/[.!]$/, '');
    case 'dyck':
      return normalizeDyck(answer);
    case 'words':
      return normalizeWords(answer);
    case 'text':
      return normalizeText(answer);
  }
}

/** Is an extracted answer correct for this example? A null prediction is wrong. */
export function scoreAnswer(pred: string | null, example: Example, format: AnswerFormat): boolean {
  if (pred === null) return false;
  const gold = answerKey(example.target, format);
  if (gold === '' || gold === 'text:') return false;
  return answerKey(pred, format) === gold;
}
