/**
 * Reflection placebo probes (paper 000's question: does an optimizer's error
 * reflection look at the errors at all?). Each recorded reflection meta-prompt
 * of a finished cell is asked again — outside the budget, through the call
 * cache, of the cell's optimizer model — in four conditions:
 *
 *   real      the recorded meta-prompt unchanged (the reference, asked with the
 *             same settings as the placebos, so only the evidence differs);
 *   correct   each shown failure replaced by an example the target got right
 *             (input, output and gold from the cell's dev samples), still
 *             presented as a failure;
 *   shuffled  the shown failures' gold labels permuted among them (a
 *             derangement where labels differ), outputs and inputs unchanged;
 *   none      the shown examples removed (the lines that held them).
 *
 * The substitution is textual: each shown failure's input, output and gold
 * strings are located in the meta-prompt in order (input first, then its
 * output and gold within its block) and replaced there, so every optimizer's
 * own meta-prompt layout is kept. A reflection whose shown strings cannot all
 * be found is skipped with that reason. Replies are written to
 * cells/<id>/placebo.jsonl; reports/placebo.ts scores them.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { cellWorld, type Session } from './session.js';
import { Rng } from '../core/rng.js';
import type { UsageMeter } from '../llm/index.js';
import type { ReflectionRecord } from '../optimizers/types.js';
import { cellDir, readJson, writeAtomic, type CellResult } from './runner.js';
import type { CellSpec } from './suite.js';

export const PLACEBO_CONDITIONS = ['real', 'correct', 'shuffled', 'none'] as const;
export type PlaceboCondition = (typeof PLACEBO_CONDITIONS)[number];

export interface PlaceboRecord {
  /** Index of the reflection in the cell's trajectory. */
  reflection: number;
  step: number;
  condition: PlaceboCondition;
  metaPrompt: string;
  text: string;
}

type Field = 'input' | 'output' | 'gold' | 'pred';

/** What a meta-prompt may show of one example: a shown failure, with its extracted answer when known. */
export interface ShownExample {
  input: string;
  output: string;
  gold: string;
  /** The target's extracted answer, which some layouts show instead of the output (ProTeGi's "Prediction"). */
  pred?: string | null;
}

interface Block {
  start: number;
  end: number;
  /** [start, end) of input, output and gold inside the text. */
  spans: Array<{ field: Field; at: number; len: number }>;
}

const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}]/u.test(c);

/**
 * First occurrence of `v` in [from, limit) that is a whole token run (no letter
 * or digit glued to either end, so gold "No" is not found inside "Now") and
 * overlaps none of `taken`; -1 when there is none.
 */
function findWhole(text: string, v: string, from: number, limit: number, taken: ReadonlyArray<{ at: number; len: number }>): number {
  for (let p = text.indexOf(v, from); p >= 0 && p + v.length <= limit; p = text.indexOf(v, p + 1)) {
    if (isWordChar(v[0]) && isWordChar(text[p - 1])) continue;
    if (isWordChar(v[v.length - 1]) && isWordChar(text[p + v.length])) continue;
    if (taken.some((t) => p < t.at + t.len && t.at < p + v.length)) continue;
    return p;
  }
  return -1;
}

/** Locate each shown failure's input, output and gold in the meta-prompt, in order; undefined when one is missing. */
export function locateShown(meta: string, shown: readonly ShownExample[]): Block[] | undefined {
  const blocks: Block[] = [];
  let from = 0;
  for (let i = 0; i < shown.length; i++) {
    const s = shown[i]!;
    const at = s.input ? meta.indexOf(s.input, from) : -1;
    if (at < 0) return undefined;
    const nextInput = i + 1 < shown.length ? meta.indexOf(shown[i + 1]!.input, at + s.input.length) : -1;
    const limit = nextInput >= 0 ? nextInput : meta.length;
    const spans: Block['spans'] = [{ field: 'input', at, len: s.input.length }];
    let end = at + s.input.length;
    for (const field of ['output', 'gold', 'pred'] as const) {
      const v = s[field];
      if (!v) continue;
      const p = findWhole(meta, v, at + s.input.length, limit, spans);
      if (p < 0) continue; // a layout that does not show this field
      spans.push({ field, at: p, len: v.length });
      end = Math.max(end, p + v.length);
    }
    blocks.push({ start: at, end, spans });
    from = end;
  }
  return blocks;
}

/** Replace spans (non-overlapping) from the end backwards. */
function splice(text: string, edits: Array<{ at: number; len: number; value: string }>): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.at - a.at)) out = out.slice(0, e.at) + e.value + out.slice(e.at + e.len);
  return out;
}

/**
 * A random permutation of the gold labels that moves as many as can move: the
 * indices (shuffled, then grouped by label) each take the label m places on,
 * m = the largest label count. Every position gets a different label when no
 * label holds more than half of them; otherwise 2m − n keep theirs (the fewest
 * possible).
 */
export function shuffleGolds(golds: readonly string[], rng: Rng): string[] {
  const n = golds.length;
  const counts = new Map<string, number>();
  for (const g of golds) counts.set(g, (counts.get(g) ?? 0) + 1);
  const m = Math.max(0, ...counts.values());
  const idx = rng.shuffle([...golds.keys()]);
  const order = [...counts.keys()].sort();
  idx.sort((a, b) => order.indexOf(golds[a]!) - order.indexOf(golds[b]!));
  const out = golds.slice();
  for (let i = 0; i < n; i++) out[idx[i]!] = golds[idx[(i + m) % n]!]!;
  return out;
}

/** The meta-prompt of one condition, or undefined when the shown examples cannot be located. */
export function placeboPrompt(
  meta: string,
  shown: readonly ShownExample[],
  condition: PlaceboCondition,
  opts: { correct?: readonly ShownExample[]; rng: Rng },
): string | undefined {
  if (condition === 'real') return meta;
  const blocks = locateShown(meta, shown);
  if (!blocks || blocks.length === 0) return undefined;
  if (condition === 'none') {
    // Remove the whole lines from the first example to the last.
    const first = meta.lastIndexOf('\n', blocks[0]!.start - 1) + 1;
    const lastEnd = blocks[blocks.length - 1]!.end;
    const nl = meta.indexOf('\n', lastEnd);
    const stop = nl < 0 ? meta.length : nl + 1;
    return meta.slice(0, first) + meta.slice(stop);
  }
  if (condition === 'shuffled') {
    const golds = shown.map((s) => s.gold);
    const perm = shuffleGolds(golds, opts.rng);
    return splice(
      meta,
      blocks.flatMap((b, i) => b.spans.filter((s) => s.field === 'gold').map((s) => ({ at: s.at, len: s.len, value: perm[i]! }))),
    );
  }
  const pool = opts.correct ?? [];
  if (pool.length === 0) return undefined;
  const picks = opts.rng.shuffle(pool.slice());
  return splice(
    meta,
    blocks.flatMap((b, i) => {
      const c = picks[i % picks.length]!;
      return b.spans.map((s) => ({ at: s.at, len: s.len, value: (s.field === 'pred' ? (c.pred ?? c.gold) : c[s.field]) ?? '' }));
    }),
  );
}

export interface PlaceboSummary {
  probed: string[];
  skipped: Array<{ id: string; reason: string }>;
}

const placeboFile = (out: string, id: string) => path.join(cellDir(out, id), 'placebo.jsonl');

/** Read a cell's placebo.jsonl (empty when absent). */
export function readPlacebo(out: string, id: string): PlaceboRecord[] {
  const f = placeboFile(out, id);
  if (!existsSync(f)) return [];
  return readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as PlaceboRecord);
}

/**
 * Probe every finished cell with reflections (at most `maxPerCell` reflections
 * each, the first ones; default 8): four conditions per reflection, each one
 * call of the cell's optimizer model, outside the budget. Resumable.
 */
export async function runPlacebo(out: string, cells: readonly CellSpec[], session: Session, usage: UsageMeter, opts: { maxPerCell?: number } = {}): Promise<PlaceboSummary> {
  const summary: PlaceboSummary = { probed: [], skipped: [] };
  const max = opts.maxPerCell ?? 8;
  for (const spec of cells) {
    const dir = cellDir(out, spec.id);
    const resultFile = path.join(dir, 'result.json');
    if (!existsSync(resultFile) || existsSync(placeboFile(out, spec.id))) continue;
    const result = readJson<CellResult>(resultFile);
    const reflections: ReflectionRecord[] = result.trajectory?.reflections ?? [];
    if (reflections.length === 0) continue;
    const samplesFile = path.join(dir, 'samples.jsonl');
    const correct = existsSync(samplesFile)
      ? readFileSync(samplesFile, 'utf8')
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as { split: string; correct: boolean; input?: string; output?: string; gold?: string; pred?: string | null })
          .filter((s) => s.split === 'dev' && s.correct && s.input && s.output !== undefined && s.gold !== undefined)
          .map((s) => ({ input: s.input!, output: s.output!, gold: s.gold!, pred: s.pred ?? null }))
      : [];
    const llm = session.model(spec.optimizerModel, undefined, usage, cellWorld(session, spec));
    const task = session.task(spec.task);
    const shownOf = (r: ReflectionRecord): ShownExample[] => r.shown.map((f) => ({ input: f.input, output: f.output, gold: f.gold, pred: task.extract(f.output) }));
    const records: PlaceboRecord[] = [];
    let located = 0;
    for (let k = 0; k < Math.min(max, reflections.length); k++) {
      const r = reflections[k]!;
      const rng = new Rng(spec.seed).derive(`placebo:${spec.id}:${k}`);
      const shown = shownOf(r);
      const prompts = PLACEBO_CONDITIONS.map((condition) => ({ condition, meta: placeboPrompt(r.metaPrompt, shown, condition, { correct, rng }) }));
      if (prompts.some((p) => p.meta === undefined)) continue;
      located++;
      for (const p of prompts) {
        const res = await llm.complete({ messages: [{ role: 'user', content: p.meta! }], temperature: 0, role: 'optimizer', sampleIndex: 0 });
        records.push({ reflection: k, step: r.step, condition: p.condition, metaPrompt: p.meta!, text: res.choices[0]?.text ?? '' });
      }
    }
    if (located === 0) {
      summary.skipped.push({ id: spec.id, reason: correct.length ? 'shown examples not found verbatim in the meta-prompts' : 'no correct dev examples to use as placebo failures' });
      continue;
    }
    writeAtomic(placeboFile(out, spec.id), records.map((x) => JSON.stringify(x)).join('\n') + '\n');
    summary.probed.push(spec.id);
  }
  return summary;
}
