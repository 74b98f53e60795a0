import type { ReflectionRecord } from '../optimizers/types.js';

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
}

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

/**
 * Reflection quality (paper 000, §3: does the optimizer's error reflection find
 * the true cause of the target's mistakes?). For each reflection with known
 * true causes: hit = names ≥ 1 true cause; precision = |named ∩ true| / |named|;
 * recall = |named ∩ true| / |true|; fix rate = the best edit's fixed shown
 * failures / shown failures.
 */
export function scoreReflections(records: readonly ReflectionRecord[], parse: CauseParser): ReflectionSummary {
  const scores: ReflectionScore[] = [];
  for (const r of records) {
    const trueCauses = [...new Set(r.shown.map((s) => s.trueCause).filter((c): c is string => !!c).map(norm))];
    if (trueCauses.length === 0) continue;
    const named = [...new Set(parse(r.text).map(norm))];
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
