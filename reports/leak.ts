/**
 * Prompt-leak check: does an optimized prompt quote a test item, or a test
 * item together with its gold answer? An optimizer that sees test data (a bug,
 * or a split shared by mistake) or a model that memorised the benchmark can
 * write such a prompt, and its test accuracy then measures recall, not the
 * prompt. The check is the word n-gram overlap test used for benchmark
 * contamination (Brown et al. 2020, "Language Models are Few-Shot Learners",
 * appendix C, with 13-grams over documents; here 8-grams, or the whole input
 * when it is shorter, since prompts are short), restricted to n-grams that are
 * *distinctive*: they occur in exactly one item of the cell's dev and test
 * inputs, so a task's template sentence ("If you follow these instructions,
 * do you return to the starting point?") shared by every item never counts.
 *
 * Per cell, the best prompt's text (instruction and demos) is tokenised into
 * lowercase words (letters and digits); a test item is flagged when one of its
 * distinctive n-grams occurs in the prompt, and flagged "with gold" when its
 * gold answer's words follow that match within `goldWindow` words.
 */
import type { Cell } from './load.js';

export interface LeakOptions {
  /** Words per n-gram (default 8). Inputs shorter than n use the whole input, if it has at least `minWords` words. */
  n?: number;
  /** Shortest input checked (default 5 words). */
  minWords?: number;
  /** How many prompt words after a match are searched for the gold answer (default 40). */
  goldWindow?: number;
}

export interface LeakHit {
  exampleId: string;
  /** The distinctive n-gram found in the prompt. */
  ngram: string;
  /** The gold answer follows it in the prompt. */
  withGold: boolean;
}

export interface LeakRow {
  cell: string;
  optimizer: string;
  task: string;
  target: string;
  seed: number;
  /** Test items whose distinctive text is in the prompt. */
  items: number;
  /** Of those, items whose gold answer follows their text. */
  withGold: number;
  hits: LeakHit[];
}

export interface LeakReport {
  n: number;
  goldWindow: number;
  /** Cells checked (finished cells with test inputs in samples.jsonl). */
  checked: number;
  /** Finished cells that could not be checked (no test inputs recorded). */
  unchecked: number;
  flagged: LeakRow[];
}

/** Lowercase words of letters and digits. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

const grams = (w: readonly string[], n: number): string[] => {
  if (w.length < n) return [];
  const out: string[] = [];
  for (let i = 0; i + n <= w.length; i++) out.push(w.slice(i, i + n).join(' '));
  return out;
};

/** Every position where `needle` (words) starts in `hay` (words). */
function positions(hay: readonly string[], needle: readonly string[]): number[] {
  const out: number[] = [];
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    out.push(i);
  }
  return out;
}

/** The text of a cell's best prompt that the check reads: instruction, then each demo's input and output. */
export function promptText(cell: Cell): string {
  const best = cell.result.best as { instruction?: string; demos?: Array<{ input?: string; output?: string }> } | undefined;
  const parts = [best?.instruction ?? ''];
  for (const d of best?.demos ?? []) parts.push(d.input ?? '', d.output ?? '');
  return parts.join('\n');
}

/** Check one cell: the test items its best prompt quotes. */
export function checkCell(cell: Cell, opts: LeakOptions = {}): LeakHit[] | undefined {
  const n = opts.n ?? 8;
  const minWords = opts.minWords ?? 5;
  const goldWindow = opts.goldWindow ?? 40;
  const items = [...cell.dev, ...cell.test].flatMap((s) => {
    const input = (s as { input?: unknown }).input;
    return typeof input === 'string' ? [{ split: s.split, id: s.exampleId, gold: s.gold ?? '', w: words(input) }] : [];
  });
  if (!items.some((i) => i.split === 'test')) return undefined;
  const keyOf = (w: readonly string[]) => (w.length >= n ? grams(w, n) : w.length >= minWords ? [w.join(' ')] : []);
  // How many distinct items each n-gram occurs in (an item's repeats count once).
  const df = new Map<string, number>();
  const seen = new Set<string>();
  for (const it of items) {
    const k = `${it.split}/${it.id}`;
    if (seen.has(k)) continue;
    seen.add(k);
    for (const g of new Set(keyOf(it.w))) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const prompt = words(promptText(cell));
  const promptGrams = new Set(grams(prompt, n));
  const hits: LeakHit[] = [];
  const done = new Set<string>();
  for (const it of items) {
    if (it.split !== 'test' || done.has(it.id)) continue;
    done.add(it.id);
    const distinctive = [...new Set(keyOf(it.w))].filter((g) => df.get(g) === 1);
    const found = distinctive.find((g) => (g.split(' ').length === n ? promptGrams.has(g) : positions(prompt, g.split(' ')).length > 0));
    if (!found) continue;
    const gw = words(it.gold);
    const fw = found.split(' ');
    const withGold =
      gw.length > 0 &&
      positions(prompt, fw).some((p) => {
        const after = prompt.slice(p + fw.length, p + fw.length + goldWindow + gw.length);
        return positions(after, gw).length > 0;
      });
    hits.push({ exampleId: it.id, ngram: found, withGold });
  }
  return hits;
}

/** Check every finished cell of a run; only cells with a hit are listed. */
export function leakCheck(cells: readonly Cell[], opts: LeakOptions = {}): LeakReport {
  const report: LeakReport = { n: opts.n ?? 8, goldWindow: opts.goldWindow ?? 40, checked: 0, unchecked: 0, flagged: [] };
  for (const c of cells) {
    const hits = checkCell(c, opts);
    if (!hits) {
      report.unchecked++;
      continue;
    }
    report.checked++;
    if (hits.length === 0) continue;
    report.flagged.push({
      cell: c.id,
      optimizer: c.label,
      task: c.spec.task,
      target: c.spec.target,
      seed: c.spec.seed,
      items: hits.length,
      withGold: hits.filter((h) => h.withGold).length,
      hits,
    });
  }
  return report;
}
