import type { ReflectionRecord } from '../optimizers/types.js';
import { PRIOR_CAUSES } from '../sim/params.js';
import { successiveSamplingOverlap } from './stats/successiveSamplingOverlap.js';

/** Turns a reflection text into cause codes (sim: `parseCauses`; real models: an LLM judge). */
export type CauseParser = (text: string) => string[];

export interface ReflectionScore {
  step: number;
  /** Distinct true causes among the shown failures (only failures with a known cause). */
  trueCauses: string[];
  /** Causes the reflection names. */
  named: string[];
  /** Does it name at least one true cause? */
  hit: boolean;
  /** Share of named causes that are true causes (0 when it names none). */
  precision: number;
  /** Share of true causes that it names. */
  recall: number;
  /** Best share of shown failures fixed by one edit that followed (undefined when edits were not checked). */
  fixRate?: number;
  /** Expected hit / precision / recall of as many causes as `named`, drawn from the prior (`chanceDraw`). */
  chanceHit: number;
  chancePrecision: number;
  chanceRecall: number;
}

/** A prior over cause kinds (weights need not sum to 1); MISSING_CONCEPT draws take a concept (`chanceDraw`). */
export type CausePrior = ReadonlyArray<{ cause: string; weight: number }>;

export interface ReflectionSummary {
  /** Reflections with at least one known true cause among their shown failures. */
  n: number;
  hitRate: number;
  meanPrecision: number;
  meanRecall: number;
  /** Mean over reflections whose edits were checked. */
  meanFixRate?: number;
  scores: ReflectionScore[];
}

const norm = (c: string) => c.trim().toLowerCase();
const MC = 'missing_concept';

/**
 * The chance baseline of one reflection: k = |named| distinct causes drawn
 * from `prior` by successive sampling without replacement (reports/stats/
 * successiveSamplingOverlap.ts), scored against the same true causes. The
 * prior's MISSING_CONCEPT weight is split over concepts in proportion to how
 * often the run's own reflections name each concept (`conceptCounts`; a run
 * that names none draws a concept that matches nothing). So chance credits
 * the run's concept vocabulary but not the matching of causes to the
 * failures shown. Exact: chance hit = P(S ∩ T ≠ ∅), precision = E|S ∩ T|/k,
 * recall = E|S ∩ T|/|T| (0, 0, 0 when k = 0).
 */
export function chanceDraw(
  trueCauses: readonly string[],
  k: number,
  prior: CausePrior,
  conceptCounts: ReadonlyMap<string, number>,
): { hit: number; precision: number; recall: number } {
  if (k === 0 || trueCauses.length === 0) return { hit: 0, precision: 0, recall: 0 };
  const items: Array<{ cause: string; w: number }> = [];
  const totalConcepts = [...conceptCounts.values()].reduce((a, b) => a + b, 0);
  for (const { cause, weight } of prior) {
    const c = norm(cause);
    if (c !== MC) items.push({ cause: c, w: weight });
    else if (totalConcepts === 0) items.push({ cause: `${MC}:`, w: weight });
    else for (const [concept, n] of conceptCounts) items.push({ cause: `${MC}:${concept}`, w: (weight * n) / totalConcepts });
  }
  const truth = new Set(trueCauses.map(norm));
  const ov = successiveSamplingOverlap(
    items.map((x) => x.w),
    items.map((x) => truth.has(x.cause)),
    k,
  );
  return { hit: ov.pAny, precision: ov.expected / k, recall: ov.expected / truth.size };
}

/**
 * Reflection quality (paper 000, §3: does the optimizer's error reflection find
 * the true cause of the target's mistakes?). For each reflection with known
 * true causes: hit = names ≥ 1 true cause; precision = |named ∩ true| / |named|;
 * recall = |named ∩ true| / |true|; fix rate = the best edit's fixed shown
 * failures / shown failures; and each rate's chance baseline (`chanceDraw`,
 * with the concept shares of all reflections in `records`: pass one run).
 * `prior` defaults to the sim optimizer's prior over generic causes
 * (PRIOR_CAUSES, sim/params.ts).
 */
export function scoreReflections(records: readonly ReflectionRecord[], parse: CauseParser, prior: CausePrior = PRIOR_CAUSES): ReflectionSummary {
  const scores: ReflectionScore[] = [];
  const namedOf = new Map<string, string[]>();
  const conceptCounts = new Map<string, number>();
  for (const r of records) {
    if (namedOf.has(r.text)) continue;
    const named = [...new Set(parse(r.text).map(norm))];
    namedOf.set(r.text, named);
  }
  for (const r of records)
    for (const c of namedOf.get(r.text)!)
      if (c.startsWith(`${MC}:`)) conceptCounts.set(c.slice(MC.length + 1), (conceptCounts.get(c.slice(MC.length + 1)) ?? 0) + 1);
  for (const r of records) {
    const trueCauses = [...new Set(r.shown.map((s) => s.trueCause).filter((c): c is string => !!c).map(norm))];
    if (trueCauses.length === 0) continue;
    const named = namedOf.get(r.text)!;
    const chance = chanceDraw(trueCauses, named.length, prior, conceptCounts);
    const both = named.filter((c) => trueCauses.includes(c)).length;
    const fixed = r.fixed ? Object.values(r.fixed).map((ids) => ids.length / Math.max(1, r.shown.length)) : [];
    scores.push({
      step: r.step,
      trueCauses,
      named,
      hit: both > 0,
      precision: named.length ? both / named.length : 0,
      recall: both / trueCauses.length,
      ...(fixed.length ? { fixRate: Math.max(...fixed) } : {}),
      chanceHit: chance.hit,
      chancePrecision: chance.precision,
      chanceRecall: chance.recall,
    });
  }
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const fixRates = scores.map((s) => s.fixRate).filter((x): x is number => x !== undefined);
  return {
    n: scores.length,
    hitRate: mean(scores.map((s) => (s.hit ? 1 : 0))),
    meanPrecision: mean(scores.map((s) => s.precision)),
    meanRecall: mean(scores.map((s) => s.recall)),
    ...(fixRates.length ? { meanFixRate: mean(fixRates) } : {}),
    scores,
  };
}
