/**
 * Independent answer checkers for the generated families, used by the tests.
 * Each one works from the generated text (and, for like/gsm, the stored
 * parameters) with a different algorithm from its generator.
 */
import type { Example } from '../../core/types.js';
import { CATEGORIES } from './object_counting.js';

// ---------------------------------------------------------------- boolean_expressions

/** Recursive-descent evaluation of "<expr> is"; also reports literal count and paren depth. */
export function checkBoolean(input: string): { value: boolean; literals: number; depth: number } {
  const m = /^(.*) is$/.exec(input);
  if (!m) throw new Error(`bad boolean input: ${input}`);
  const toks = m[1]!.split(' ');
  let pos = 0;
  let literals = 0;
  let depth = 0;
  let maxDepth = 0;
  const peek = () => toks[pos];
  const eat = (t?: string) => {
    const x = toks[pos++];
    if (t !== undefined && x !== t) throw new Error(`expected ${t} at ${pos - 1} in ${input}`);
    return x;
  };
  function orExpr(): boolean {
    let v = andExpr();
    while (peek() === 'or') {
      eat();
      const r = andExpr();
      v = v || r;
    }
    return v;
  }
  function andExpr(): boolean {
    let v = notExpr();
    while (peek() === 'and') {
      eat();
      const r = notExpr();
      v = v && r;
    }
    return v;
  }
  function notExpr(): boolean {
    if (peek() === 'not') {
      eat();
      return !notExpr();
    }
    return atom();
  }
  function atom(): boolean {
    const t = eat();
    if (t === 'True' || t === 'False') {
      literals++;
      return t === 'True';
    }
    if (t === '(') {
      depth++;
      maxDepth = Math.max(maxDepth, depth);
      const v = orExpr();
      eat(')');
      depth--;
      return v;
    }
    throw new Error(`unexpected token ${t} in ${input}`);
  }
  const value = orExpr();
  if (pos !== toks.length) throw new Error(`trailing tokens in ${input}`);
  return { value, literals, depth: maxDepth };
}

// ---------------------------------------------------------------- navigate

/** Simulate the instruction text with a heading angle; true when it ends at the start. */
export function checkNavigate(input: string): { returns: boolean; instructions: number } {
  const body = input.split('\n')[0]!.replace(/^If you follow these instructions, do you return to the starting point\?\s*/, '');
  const faceForward = body.startsWith('Always face forward.');
  const sentences = body.replace(/^Always face forward\.\s*/, '').split(/(?<=\.)\s+/).filter(Boolean);
  let angle = 90; // degrees; 90 = initial facing (north)
  let x = 0;
  let y = 0;
  for (const s of sentences) {
    let m: RegExpExecArray | null;
    if ((m = /^Turn (left|right|around)\.$/.exec(s))) {
      if (faceForward) throw new Error('turn in face-forward input');
      angle += m[1] === 'left' ? 90 : m[1] === 'right' ? -90 : 180;
    } else if ((m = /^Take (\d+) steps?(?: (forward|backward|left|right))?\.$/.exec(s))) {
      const rel = { forward: 0, left: 90, backward: 180, right: -90 }[m[2] ?? 'forward']!;
      const a = ((angle + rel) * Math.PI) / 180;
      x += Number(m[1]) * Math.round(Math.cos(a));
      y += Number(m[1]) * Math.round(Math.sin(a));
    } else throw new Error(`unknown instruction "${s}"`);
  }
  return { returns: x === 0 && y === 0, instructions: sentences.length };
}

// ---------------------------------------------------------------- dyck

const OPEN = '([{<';
const CLOSE = ')]}>';

/** True when `answer` holds only closers and input + answer reduces to nothing by deleting adjacent pairs. */
export function checkDyck(input: string, answer: string): boolean {
  const seq = input.replace(/^.*Input: /, '').split(' ');
  const ans = answer.split(' ');
  if (ans.length === 0 || ans.some((t) => !CLOSE.includes(t) || t.length !== 1)) return false;
  let s = [...seq, ...ans].join('');
  for (;;) {
    const t = s.replace(/\(\)|\[\]|\{\}|<>/g, '');
    if (t === s) break;
    s = t;
  }
  return s === '' && seq.every((t) => t.length === 1 && (OPEN + CLOSE).includes(t));
}

// ---------------------------------------------------------------- word_sorting

function lessThan(a: string, b: string): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca !== cb) return ca < cb;
  }
  return a.length < b.length;
}

/** The words of "List: …", sorted by insertion with a letter-by-letter comparison. */
export function checkWordSorting(input: string): string[] {
  const words = input.replace(/^Sort the following words alphabetically: List: /, '').split(' ');
  const out: string[] = [];
  for (const w of words) {
    let i = out.length;
    while (i > 0 && lessThan(w, out[i - 1]!)) i--;
    out.splice(i, 0, w);
  }
  return out;
}

// ---------------------------------------------------------------- object_counting

const WORD_NUM: Record<string, number> = { a: 1, an: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10 };

/** Parse "I have …. How many <noun> do I have?" and count the matching items. */
export function checkObjectCounting(input: string): { count: number; items: number } {
  const m = /^I have (.*)\. How many (.+) do I have\?$/.exec(input);
  if (!m) throw new Error(`bad counting input: ${input}`);
  const noun = m[2]!;
  const cat = Object.values(CATEGORIES).find((c) => c.noun === noun);
  if (!cat) throw new Error(`unknown noun ${noun}`);
  const parts = m[1]!.split(/, and |, | and /);
  let count = 0;
  for (const p of parts) {
    const sp = p.indexOf(' ');
    const qty = WORD_NUM[p.slice(0, sp)];
    if (qty === undefined) throw new Error(`no quantity in "${p}"`);
    const surface = p.slice(sp + 1);
    const known = Object.values(CATEGORIES).some((c) => c.items.some(([s, pl]) => (qty === 1 ? s : pl) === surface));
    if (!known) throw new Error(`unknown item "${surface}"`);
    if (cat.items.some(([s, pl]) => (qty === 1 ? s : pl) === surface)) count += qty;
  }
  return { count, items: parts.length };
}

// ---------------------------------------------------------------- date

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function utc(y: number, m: number, d: number): Date {
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t;
}

/** Today's date and the asked-for date, recomputed with JS Date from the question text; returns MM/DD/YYYY. */
export function checkDate(input: string): string {
  const [first] = input.split('\nOptions:');
  const qm = /What is the date (.+) in MM\/DD\/YYYY\?$/.exec(first!);
  if (!qm) throw new Error(`no question in ${input}`);
  const ref = first!.slice(0, qm.index).trim();
  let today: Date;
  let m: RegExpExecArray | null;
  if ((m = /^Today is (\d\d)\/(\d\d)\/(\d{4})\.$/.exec(ref))) today = utc(+m[3]!, +m[1]!, +m[2]!);
  else if ((m = /^It is (\d+)\/(\d+)\/(\d{4}) today\.$/.exec(ref))) today = utc(+m[3]!, +m[1]!, +m[2]!);
  else if ((m = /^Today is (\w+) (\d+), (\d{4})\.$/.exec(ref))) today = utc(+m[3]!, MONTH_NAMES.indexOf(m[1]!) + 1, +m[2]!);
  else if ((m = /^Yesterday was (\d\d)\/(\d\d)\/(\d{4})\.$/.exec(ref))) today = utc(+m[3]!, +m[1]!, +m[2]! + 1);
  else if ((m = /^Tomorrow is (\d\d)\/(\d\d)\/(\d{4})\.$/.exec(ref))) today = utc(+m[3]!, +m[1]!, +m[2]! - 1);
  else if ((m = /today is (\d\d)\/(\d\d)\/(\d{4}) to them\.$/.exec(ref))) today = utc(+m[3]!, +m[2]!, +m[1]!);
  else if ((m = /^\w+ was born on (\w+) (\d+), (\d{4})\. Today is \w+'s (\d+)(?:st|nd|rd|th) birthday\.$/.exec(ref))) {
    today = utc(+m[3]! + +m[4]!, MONTH_NAMES.indexOf(m[1]!) + 1, +m[2]!);
  } else if ((m = /^Today is the last day of (\w+) (\d{4})\.$/.exec(ref))) today = utc(+m[2]!, MONTH_NAMES.indexOf(m[1]!) + 2, 0);
  else throw new Error(`unknown reference "${ref}"`);
  const q = qm[1]!;
  const WN: Record<string, number> = { two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12 };
  let days = 0;
  let months = 0;
  if (q === 'today') days = 0;
  else if (q === 'tomorrow' || q === '24 hours later') days = 1;
  else if (q === 'yesterday') days = -1;
  else if (q === 'one week ago') days = -7;
  else if (q === 'one week from today') days = 7;
  else if (q === 'a month ago') months = -1;
  else if (q === 'one year ago') months = -12;
  else if ((m = /^(\d+) days (ago|later)$/.exec(q))) days = +m[1]! * (m[2] === 'ago' ? -1 : 1);
  else if ((m = /^(\w+) weeks (ago|from today)$/.exec(q))) days = 7 * WN[m[1]!]! * (m[2] === 'ago' ? -1 : 1);
  else throw new Error(`unknown offset "${q}"`);
  const r = new Date(today.getTime());
  if (months) r.setUTCMonth(r.getUTCMonth() + months);
  r.setUTCDate(r.getUTCDate() + days);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(r.getUTCMonth() + 1)}/${p2(r.getUTCDate())}/${r.getUTCFullYear()}`;
}

/** Option texts parsed from an "Options:\n(A) …" block. */
export function parseOptions(input: string): string[] {
  return [...input.matchAll(/^\(([A-Z])\) (.*)$/gm)].map((m) => m[2]!);
}

// ---------------------------------------------------------------- gsm

/** Closed-form answer from a like/gsm example's template and parameters. */
export function checkGsmParams(template: string, p: Record<string, number>): number {
  switch (template) {
    case 'produce':
      return (p.a! - p.b! - p.c!) * p.price! * p.days!;
    case 'shopping':
      return p.bill! - ((p.n1! * p.p1! + p.n2! * p.p2!) * (100 - p.discount!)) / 100;
    case 'reading':
      return (p.pages! * 60 * p.hours! * p.days!) / p.every!;
    case 'flour': {
      const left = p.kg! * 1000 - p.per! * p.loaves!;
      return p.half ? left / 2 : left;
    }
    case 'wages':
      return (p.wage! * p.hours! * p.days! * p.weeks! * p.pct!) / 100;
    case 'collection':
      return p.x! * (1 + p.k!) + (p.third ? p.x! * p.k! - p.fewer! : 0);
    case 'travel':
      return p.v1! * p.h1! + (p.speed2! * p.mins!) / 60;
    default:
      throw new Error(`unknown gsm template ${template}`);
  }
}

/** Evaluate "a+b*c/d-e" (integers, + - * /) by precedence climbing. */
export function evalArith(expr: string): number {
  const toks = expr.match(/\d+|[-+*/()]/g) ?? [];
  let i = 0;
  const prim = (): number => {
    const t = toks[i++]!;
    if (t === '(') {
      const v = sum();
      i++;
      return v;
    }
    if (t === '-') return -prim();
    return Number(t);
  };
  const prod = (): number => {
    let v = prim();
    while (toks[i] === '*' || toks[i] === '/') v = toks[i++] === '*' ? v * prim() : v / prim();
    return v;
  };
  const sum = (): number => {
    let v = prod();
    while (toks[i] === '+' || toks[i] === '-') v = toks[i++] === '+' ? v + prod() : v - prod();
    return v;
  };
  return sum();
}

/** Every "<<expr=value>>" in a rationale evaluates to its value; returns the value after "####". */
export function checkGsmRationale(rationale: string): { ok: boolean; final: number } {
  let ok = true;
  for (const m of rationale.matchAll(/<<([^=]+)=(-?\d+)>>/g)) {
    if (evalArith(m[1]!) !== Number(m[2])) ok = false;
  }
  const f = /#### (-?\d+)$/.exec(rationale);
  return { ok: ok && !!f, final: f ? Number(f[1]) : NaN };
}

// ---------------------------------------------------------------- mmlu

/** Answer a like/mmlu question from the facts written in its own text. */
export function checkMmlu(input: string): string {
  const [stem] = input.split('\nOptions:');
  const sentences = stem!.split(/(?<=[.?])\s+/);
  const question = sentences.pop()!;
  const facts: { attr: string; ent: string; val: string }[] = [];
  for (const s of sentences) {
    const m = /^The (.+) of (.+?) is (.+)\.$/.exec(s);
    if (!m) throw new Error(`bad fact "${s}"`);
    facts.push({ attr: m[1]!, ent: m[2]!, val: m[3]! });
  }
  const options = parseOptions(input);
  const val = (attr: string, ent: string) => facts.find((f) => f.attr === attr && f.ent === ent)?.val;
  const holders = (attr: string, v: string) => facts.filter((f) => f.attr === attr && f.val === v).map((f) => f.ent);
  let m: RegExpExecArray | null;
  if ((m = /^What is the (.+) of the \w+ whose (.+) is (.+)\?$/.exec(question))) {
    const h = holders(m[2]!, m[3]!);
    if (h.length !== 1) throw new Error('two-hop key is not unique');
    return val(m[1]!, h[0]!)!;
  }
  if ((m = /^What is the (.+) of (.+)\?$/.exec(question))) return val(m[1]!, m[2]!)!;
  if ((m = /^Which \w+ has (.+) as its (.+)\?$/.exec(question))) {
    const h = holders(m[2]!, m[1]!);
    if (h.length !== 1) throw new Error('inverse key is not unique');
    return h[0]!;
  }
  if ((m = /^Which of the following \w+ does NOT have (.+) as its (.+)\?$/.exec(question))) {
    const odd = options.filter((o) => val(m![2]!, o) !== m![1]);
    if (odd.length !== 1) throw new Error('negation answer is not unique');
    return odd[0]!;
  }
  if ((m = /^Which of the following \w+ has the (highest|lowest) (.+)\?$/.exec(question))) {
    const n = (o: string) => parseFloat(val(m![2]!, o) ?? 'NaN');
    const sorted = options.slice().sort((a, b) => n(a) - n(b));
    return m[1] === 'highest' ? sorted[sorted.length - 1]! : sorted[0]!;
  }
  throw new Error(`unknown question "${question}"`);
}

/** The option text a "(X)" target points to. */
export function optionAt(ex: Example, target = ex.target): string | undefined {
  const i = target.charCodeAt(1) - 65;
  return parseOptions(ex.input)[i];
}

/** Members of like/instruct's categories, written out again here (not imported) so the classification check is independent. */
const INSTRUCT_MEMBERS: Record<string, readonly string[]> = {
  fruit: ['apple', 'mango', 'pear', 'plum', 'cherry', 'apricot'],
  vegetable: ['carrot', 'leek', 'spinach', 'celery', 'turnip', 'radish'],
  'musical instrument': ['violin', 'oboe', 'cello', 'banjo', 'flute', 'harp'],
  tool: ['hammer', 'chisel', 'wrench', 'trowel', 'pliers', 'saw'],
  fish: ['salmon', 'trout', 'cod', 'herring', 'mackerel', 'perch'],
  bird: ['sparrow', 'heron', 'robin', 'finch', 'owl', 'crane'],
};

/** like/instruct: the answer read from the request text (the message's first sentence, the passage's first sentence, or the one list member of the category); null when the text does not parse. */
export function checkInstruct(input: string): string | null {
  const cls = /^Which of these is an? ([a-z ]+): ([^?]+)\? Name the one that is\.$/.exec(input);
  if (cls) {
    const members = INSTRUCT_MEMBERS[cls[1]!] ?? [];
    const hits = cls[2]!.split(', ').filter((w) => members.includes(w));
    return hits.length === 1 ? hits[0]! : null;
  }
  const msg = /moves from (\w+) to (\w+) and takes place on (\w+) in [^,]+, hosted by (\w+)\./.exec(input);
  if (msg) {
    if (input.includes('In which city does the workshop now take place?')) return msg[2]!;
    if (input.includes('On which day is the workshop?')) return msg[3]!;
    if (input.includes('Who is hosting the workshop?')) return msg[4]!;
    return null;
  }
  const q = /^(Where did|Who taught|In which city was) (\w+)/.exec(input);
  const bio = /Passage: (\w+) was born in (\w+) and studied in (\w+) under (\w+)\./.exec(input);
  if (q && bio && q[2] === bio[1]) return q[1] === 'Where did' ? bio[3]! : q[1] === 'Who taught' ? bio[4]! : bio[2]!;
  return null;
}
