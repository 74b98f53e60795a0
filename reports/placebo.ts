/**
 * Reflection placebo probes, scored (benchmarks/placebo.ts asks them; suite
 * option `placebo: true` or `popbench placebo <run dir>`). Per optimizer ×
 * optimizer model × condition (real, correct, shuffled, none):
 *
 *   precision, recall, hit   of the causes the reply names against the true
 *                            causes of the failures the *real* meta-prompt
 *                            showed (sim ground truth; causes read with the
 *                            sim's cause parser);
 *   cause overlap            Jaccard |A ∩ B| / |A ∪ B| of the causes named in
 *                            this condition and in the real one (1 when both
 *                            name none);
 *   text similarity          Jaccard of the two replies' word sets;
 *   Δ recall                 real − this condition, paired by reflection; 95%
 *                            percentile interval from a cluster bootstrap that
 *                            resamples cells (runs) with replacement (Field &
 *                            Welsh 2007, "Bootstrapping clustered data"),
 *                            B = 2000, seed 0, because reflections of one run
 *                            share its prompt history and dev set.
 *
 * Verdict per optimizer model: "depends on the evidence" when Δ recall's
 * interval lies above 0 for every placebo condition; "no dependence detected"
 * when every interval contains 0; "partly" otherwise. Replies of a model the
 * sim's parser cannot read (a real optimizer model) are scored by the report's
 * LLM judge when one is given (`judgePlacebo`), and otherwise listed as not scored.
 */
import path from 'node:path';
import { Rng } from '../core/rng.js';
import { readPlacebo, PLACEBO_CONDITIONS, type PlaceboCondition } from '../benchmarks/placebo.js';
import { isSimModel, parseCauses } from '../sim/index.js';
import type { LLM } from '../core/types.js';
import { judgeReflections, newJudgeMemo } from './judge.js';
import type { RunDir } from './load.js';
import type { Table } from './tables.js';

export interface PlaceboRow {
  optimizer: string;
  optimizerModel: string;
  condition: PlaceboCondition;
  cells: number;
  reflections: number;
  precision: number;
  recall: number;
  hit: number;
  overlap: number;
  textSimilarity: number;
  /** Real recall − this condition's, with its cluster-bootstrap interval (undefined for `real`). */
  dRecall?: { mean: number; lo: number; hi: number };
}

export interface PlaceboVerdict {
  optimizerModel: string;
  optimizers: string[];
  verdict: 'depends on the evidence' | 'no dependence detected' | 'partly';
  /** Per placebo condition: Δ recall and interval. */
  detail: string;
}

export interface PlaceboAnalysis {
  rows: PlaceboRow[];
  verdicts: PlaceboVerdict[];
  notes: string[];
}

const norm = (c: string) => c.trim().toLowerCase();
const jaccard = (a: ReadonlySet<string>, b: ReadonlySet<string>) => {
  if (a.size === 0 && b.size === 0) return 1;
  let both = 0;
  for (const x of a) if (b.has(x)) both++;
  return both / (a.size + b.size - both);
};
const wordSet = (t: string) => new Set(t.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Percentile interval of the mean over all items, resampling clusters with replacement. */
export function clusterBootstrapMean(clusters: ReadonlyArray<readonly number[]>, B = 2000, seed = 0, level = 0.95): { mean: number; lo: number; hi: number } {
  const all = clusters.flat();
  const m = mean(all);
  if (clusters.length === 0) return { mean: NaN, lo: NaN, hi: NaN };
  const rng = new Rng(seed);
  const reps: number[] = [];
  for (let b = 0; b < B; b++) {
    let sum = 0;
    let n = 0;
    for (let j = 0; j < clusters.length; j++) {
      const c = clusters[rng.int(0, clusters.length - 1)]!;
      for (const x of c) sum += x;
      n += c.length;
    }
    reps.push(n ? sum / n : 0);
  }
  reps.sort((a, b) => a - b);
  const q = (p: number) => {
    const h = (reps.length - 1) * p;
    const lo = Math.floor(h);
    return reps[lo]! + (h - lo) * ((reps[Math.min(lo + 1, reps.length - 1)] ?? reps[lo]!) - reps[lo]!);
  };
  return { mean: m, lo: q((1 - level) / 2), hi: q(1 - (1 - level) / 2) };
}

interface Item {
  cell: string;
  named: Set<string>;
  text: string;
  precision: number;
  recall: number;
  hit: number;
}

/** The judge's reading of one cell's placebo replies: causes named per reply text, true causes per reflection. */
export interface JudgedPlacebo {
  parse: (text: string) => string[];
  truth: (reflection: number) => string[];
}

/**
 * Judge the placebo replies of cells whose optimizer model the sim's parser
 * cannot read (real models): every reply's named causes and every shown
 * failure's cause (its ground truth when the target is sim), with the report's
 * LLM judge (reports/judge.ts), each distinct text once.
 */
export async function judgePlacebo(run: RunDir, judge: LLM, conceptsOf: (taskId: string) => readonly string[] = () => []): Promise<Map<string, JudgedPlacebo>> {
  const memo = newJudgeMemo();
  const out = new Map<string, JudgedPlacebo>();
  for (const c of run.cells) {
    if (isSimModel(c.spec.optimizerModel ?? '')) continue;
    const recs = readPlacebo(run.dir, c.id).filter((r) => c.trajectory.reflections[r.reflection]);
    if (recs.length === 0) continue;
    const records = recs.map((r) => ({ ...c.trajectory.reflections[r.reflection]!, text: r.text }));
    const j = await judgeReflections(records, judge, conceptsOf(c.spec.task), { labelFailures: true, memo });
    const truth = new Map<number, string[]>();
    recs.forEach((r, i) => truth.set(r.reflection, j.records[i]!.shown.map((s) => s.trueCause).filter((x): x is string => !!x)));
    out.set(c.id, { parse: j.parser, truth: (k) => truth.get(k) ?? [] });
  }
  return out;
}

export function placeboAnalysis(run: RunDir, B = 2000, judged?: ReadonlyMap<string, JudgedPlacebo>): PlaceboAnalysis {
  const notes: string[] = [];
  // (optimizer, model) → condition → reflection key → item
  const groups = new Map<string, { optimizer: string; model: string; byCond: Map<PlaceboCondition, Map<string, Item>> }>();
  for (const c of run.cells) {
    const recs = readPlacebo(run.dir, c.id);
    if (recs.length === 0) continue;
    const model = c.spec.optimizerModel ?? '';
    const j = judged?.get(c.id);
    if (!isSimModel(model) && !j) {
      notes.push(`${c.label} (${model}): placebo replies recorded but not scored (the sim's cause parser reads only sim optimizer models; give the report a --judge-model).`);
      continue;
    }
    const key = JSON.stringify([c.label, model]);
    if (!groups.has(key)) groups.set(key, { optimizer: c.label, model, byCond: new Map() });
    const g = groups.get(key)!;
    for (const r of recs) {
      const refl = c.trajectory.reflections[r.reflection];
      if (!refl) continue;
      const truth = new Set((j ? j.truth(r.reflection) : refl.shown.map((s) => s.trueCause).filter((x): x is string => !!x)).map(norm));
      if (truth.size === 0) continue;
      const named = new Set((j ? j.parse(r.text) : parseCauses(r.text)).map(norm));
      let both = 0;
      for (const x of named) if (truth.has(x)) both++;
      if (!g.byCond.has(r.condition)) g.byCond.set(r.condition, new Map());
      g.byCond.get(r.condition)!.set(`${c.id}#${r.reflection}`, {
        cell: c.id,
        named,
        text: r.text,
        precision: named.size ? both / named.size : 0,
        recall: both / truth.size,
        hit: both > 0 ? 1 : 0,
      });
    }
  }
  const rows: PlaceboRow[] = [];
  const verdicts: PlaceboVerdict[] = [];
  const byModel = new Map<string, { optimizers: string[]; d: Map<PlaceboCondition, Map<string, number[]>> }>();
  for (const g of groups.values()) {
    const real = g.byCond.get('real');
    if (!real) continue;
    for (const cond of PLACEBO_CONDITIONS) {
      const items = g.byCond.get(cond);
      if (!items) continue;
      const paired = [...items.entries()].filter(([k]) => real.has(k));
      const vals = paired.map(([, v]) => v);
      const row: PlaceboRow = {
        optimizer: g.optimizer,
        optimizerModel: g.model,
        condition: cond,
        cells: new Set(vals.map((v) => v.cell)).size,
        reflections: vals.length,
        precision: mean(vals.map((v) => v.precision)),
        recall: mean(vals.map((v) => v.recall)),
        hit: mean(vals.map((v) => v.hit)),
        overlap: mean(paired.map(([k, v]) => jaccard(v.named, real.get(k)!.named))),
        textSimilarity: mean(paired.map(([k, v]) => jaccard(wordSet(v.text), wordSet(real.get(k)!.text)))),
      };
      if (cond !== 'real') {
        const clusters = new Map<string, number[]>();
        for (const [k, v] of paired) {
          if (!clusters.has(v.cell)) clusters.set(v.cell, []);
          clusters.get(v.cell)!.push(real.get(k)!.recall - v.recall);
        }
        row.dRecall = clusterBootstrapMean([...clusters.values()], B);
        if (!byModel.has(g.model)) byModel.set(g.model, { optimizers: [], d: new Map() });
        const m = byModel.get(g.model)!;
        if (!m.optimizers.includes(g.optimizer)) m.optimizers.push(g.optimizer);
        if (!m.d.has(cond)) m.d.set(cond, new Map());
        for (const [cell, ds] of clusters) m.d.get(cond)!.set(`${g.optimizer}/${cell}`, ds);
      }
      rows.push(row);
    }
  }
  for (const [model, m] of byModel) {
    const parts: string[] = [];
    const above: boolean[] = [];
    const zero: boolean[] = [];
    for (const cond of PLACEBO_CONDITIONS) {
      const d = m.d.get(cond);
      if (!d) continue;
      const ci = clusterBootstrapMean([...d.values()], B);
      above.push(ci.lo > 0);
      zero.push(ci.lo <= 0 && ci.hi >= 0);
      parts.push(`${cond}: Δ recall ${(100 * ci.mean).toFixed(1)} [${(100 * ci.lo).toFixed(1)}, ${(100 * ci.hi).toFixed(1)}] pts`);
    }
    const verdict = above.length && above.every(Boolean) ? 'depends on the evidence' : zero.length && zero.every(Boolean) ? 'no dependence detected' : 'partly';
    verdicts.push({ optimizerModel: model, optimizers: m.optimizers.sort(), verdict, detail: parts.join('; ') });
  }
  rows.sort((a, b) => a.optimizer.localeCompare(b.optimizer) || a.optimizerModel.localeCompare(b.optimizerModel) || PLACEBO_CONDITIONS.indexOf(a.condition) - PLACEBO_CONDITIONS.indexOf(b.condition));
  return { rows, verdicts, notes };
}

export function placeboTables(a: PlaceboAnalysis): Table[] {
  return [
    {
      id: 'placebo',
      title: 'Reflection placebo probes',
      note:
        'Recorded reflection meta-prompts asked again of the same optimizer model (temperature 0, outside the budget) with the evidence changed: real = unchanged; correct = examples the target got right shown as failures; shuffled = gold labels permuted among the shown failures; none = no examples. Precision, recall and hit against the true causes of the failures the real prompt showed (sim ground truth and the sim\'s cause parser for sim optimizer models; the report\'s LLM judge for others when given). Overlap = Jaccard of named causes with the real reply; text sim = Jaccard of word sets. Δ recall = real − condition, paired by reflection; 95% interval from a cluster bootstrap over cells (runs), B = 2000. n = reflections (cells).' +
        (a.notes.length ? ' ' + a.notes.join(' ') : ''),
      columns: [
        { key: 'optimizer', header: 'optimizer', kind: 'text' },
        { key: 'model', header: 'optimizer model', kind: 'text' },
        { key: 'condition', header: 'condition', kind: 'text' },
        { key: 'n', header: 'n (cells)', kind: 'text' },
        { key: 'precision', header: 'precision %', kind: 'pct' },
        { key: 'recall', header: 'recall %', kind: 'pct' },
        { key: 'hit', header: 'hit %', kind: 'pct' },
        { key: 'overlap', header: 'overlap', kind: 'num' },
        { key: 'text', header: 'text sim', kind: 'num' },
        { key: 'd', header: 'Δ recall pts', kind: 'pct' },
        { key: 'lo', header: 'lo', kind: 'pct' },
        { key: 'hi', header: 'hi', kind: 'pct' },
      ],
      rows: a.rows.map((r) => ({
        optimizer: r.optimizer,
        model: r.optimizerModel,
        condition: r.condition,
        n: `${r.reflections} (${r.cells})`,
        precision: r.precision,
        recall: r.recall,
        hit: r.hit,
        overlap: r.overlap,
        text: r.textSimilarity,
        d: r.dRecall?.mean ?? null,
        lo: r.dRecall?.lo ?? null,
        hi: r.dRecall?.hi ?? null,
      })),
    },
    {
      id: 'placebo-verdict',
      title: 'Do reflections depend on the evidence?',
      note: 'Per optimizer model, pooling its reflecting optimizers: "depends on the evidence" when real recall exceeds every placebo condition\'s (cluster-bootstrap interval of Δ recall above 0); "no dependence detected" when every interval contains 0; "partly" otherwise.',
      columns: [
        { key: 'model', header: 'optimizer model', kind: 'text' },
        { key: 'optimizers', header: 'optimizers', kind: 'text' },
        { key: 'verdict', header: 'verdict', kind: 'text' },
        { key: 'detail', header: 'Δ recall (real − placebo)', kind: 'text' },
      ],
      rows: a.verdicts.map((v) => ({ model: v.optimizerModel, optimizers: v.optimizers.join(', '), verdict: v.verdict, detail: v.detail })),
    },
  ];
}

/** Path of a cell's probes (for docs and tests). */
export const placeboPath = (runDir: string, id: string) => path.join(runDir, 'cells', id, 'placebo.jsonl');
