/**
 * like/word_sorting: "Sort the following words alphabetically: List: …".
 * Words are invented, pronounceable letter strings (never dictionary words, so
 * no list can have been seen before); hard lists share long prefixes.
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { jitterKnob, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/word_sorting');
const HEAD = 'Sort the following words alphabetically: List:';
const ONSETS = ['b', 'br', 'c', 'ch', 'cl', 'd', 'dr', 'f', 'fl', 'g', 'gr', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'pl', 'pr', 'qu', 'r', 's', 'sh', 'sk', 'st', 't', 'th', 'tr', 'v', 'w', 'y', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ea', 'ou', 'y'];
const CODAS = ['', '', 'n', 'r', 's', 't', 'l', 'm', 'nd', 'rk', 'st', 'x'];

function syllable(rng: Rng): string {
  return rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
}

function word(rng: Rng): string {
  const n = rng.next() < 0.6 ? 2 : rng.pick([1, 3]);
  let w = '';
  for (let i = 0; i < n; i++) w += syllable(rng);
  return w;
}

/** Length of the longest common prefix of two strings. */
function lcp(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

export const wordSorting: LikeGenerator = {
  name: 'word_sorting',
  description: 'Sort a list of words alphabetically.',
  answerFormat: 'words',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const count = jitterKnob(rng, difficulty, 2, 20, 2);
    const clusterRate = 0.6 * difficulty;
    const words: string[] = [];
    const seen = new Set<string>();
    let guard = 0;
    while (words.length < count && guard++ < 1000) {
      let w: string;
      if (words.length > 0 && rng.next() < clusterRate) {
        // a word sharing a prefix with an existing one (or extending it)
        const base = rng.pick(words);
        const cut = rng.int(Math.min(2, base.length), base.length);
        w = base.slice(0, cut) + (rng.next() < 0.5 ? syllable(rng) : rng.pick(VOWELS) + rng.pick(CODAS));
      } else w = word(rng);
      if (w.length < 2 || seen.has(w)) continue;
      seen.add(w);
      words.push(w);
    }
    const sorted = words.slice().sort();
    let shared = 0;
    for (let i = 1; i < sorted.length; i++) shared = Math.max(shared, lcp(sorted[i - 1]!, sorted[i]!));
    const concepts = new Set<string>(['alphabetical order by letters', 'keep every word exactly once']);
    if (shared >= 1) concepts.add('compare words letter by letter');
    return {
      input: `${HEAD} ${words.join(' ')}`,
      target: sorted.join(' '),
      meta: {
        difficulty,
        concepts: pickConcepts(CONCEPTS, concepts),
        words: words.length,
        sharedPrefix: shared,
      },
    };
  },
};
