/**
 * Shared vocabulary of the generated "-like" task families: the record every
 * generator returns, the generator interface, and small text helpers.
 */
import type { AnswerFormat } from '../../core/types.js';
import type { Rng } from '../../core/rng.js';

export interface LikeMeta {
  /** The difficulty (0..1) this example was generated at. */
  difficulty: number;
  /** The concepts (a subset of the task's concept list) this example needs. */
  concepts: string[];
  [key: string]: unknown;
}

/** One generated example before it gets a split id. */
export interface LikeRecord {
  input: string;
  target: string;
  options?: string[];
  rationale?: string;
  meta: LikeMeta;
}

export interface LikeGenerator {
  /** Name without the "like/" prefix. */
  name: string;
  description: string;
  answerFormat: AnswerFormat;
  /** Generate one example at `difficulty` (0..1) from `rng` (deterministic). */
  generate(rng: Rng, difficulty: number): LikeRecord;
}

/** Linear interpolation of an integer knob: lo at difficulty 0, hi at difficulty 1. */
export function knob(difficulty: number, lo: number, hi: number): number {
  return Math.round(lo + (hi - lo) * difficulty);
}

/** Integer knob with a little jitter (±spread), clamped to [lo, hi]. */
export function jitterKnob(rng: Rng, difficulty: number, lo: number, hi: number, spread = 1): number {
  const v = knob(difficulty, lo, hi) + rng.int(-spread, spread);
  return Math.max(lo, Math.min(hi, v));
}

export const NUMBER_WORDS = [
  'zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten',
  'eleven', 'twelve',
] as const;

/** Keep only the concepts that are in `allowed`, in the order of `allowed`. */
export function pickConcepts(allowed: readonly string[], wanted: Iterable<string>): string[] {
  const w = new Set(wanted);
  for (const c of w) {
    if (!allowed.includes(c)) throw new Error(`internal: concept "${c}" is not in the task's concept list`);
  }
  return allowed.filter((c) => w.has(c));
}

/** Option letters A.. for multiple choice. */
export function letter(i: number): string {
  return String.fromCharCode(65 + i);
}
