/** "Did you mean …?" for names typed on the command line (flags, optimizer labels, task ids). */
import { closest, distance } from 'fastest-levenshtein';

/** The closest candidate when it is near enough to be a typo (edit distance ≤ max(2, a third of its length)), else undefined. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates as string[]);
  return distance(word, best) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** ` (did you mean "x"?)` or ''. */
export function suggestion(word: string, candidates: readonly string[]): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` (did you mean "${s}"?)`;
}
