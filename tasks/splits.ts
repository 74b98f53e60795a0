/**
 * Seeded train/dev/test splits (sizes documented in docs/tasks.md, "Splits").
 * Every shuffle uses `new Rng(seed).derive('split/<task id>')`, so a task's
 * split depends only on (seed, task id).
 */
import { Rng } from '../core/rng.js';
import type { Example, TaskSplits } from '../core/types.js';

/** GSM8K: dev = this many examples drawn from train.jsonl; the rest of train.jsonl is train. */
export const GSM8K_DEV_SIZE = 200;

/**
 * BBH has no official split. OPRO (§5.1) optimizes on 20% of each BBH task
 * and tests on the other 80%; we take the same 20% as train and carve a
 * further 10% out as dev, leaving 70% for test.
 */
export const BBH_FRACTIONS = { train: 0.2, dev: 0.1 } as const;

export function splitRng(seed: number, taskId: string): Rng {
  return new Rng(seed).derive(`split/${taskId}`);
}

/** GSM8K: seeded dev of `GSM8K_DEV_SIZE` from train.jsonl; test.jsonl as test (file order). */
export function splitGsm8k(train: readonly Example[], test: readonly Example[], seed: number): TaskSplits {
  const shuffled = splitRng(seed, 'gsm8k').shuffle(train);
  const devSize = Math.min(GSM8K_DEV_SIZE, Math.floor(train.length / 2));
  return { train: shuffled.slice(devSize), dev: shuffled.slice(0, devSize), test: test.slice() };
}

/** Sizes of a fractional split of n examples: train = round(0.2 n), dev = round(0.1 n), test = the rest. */
export function fractionSizes(n: number, fr: { train: number; dev: number } = BBH_FRACTIONS): { train: number; dev: number; test: number } {
  const train = Math.round(n * fr.train);
  const dev = Math.round(n * fr.dev);
  return { train, dev, test: n - train - dev };
}

/** A seeded shuffle cut into train / dev / test by `BBH_FRACTIONS`. */
export function splitByFraction(examples: readonly Example[], seed: number, taskId: string): TaskSplits {
  const shuffled = splitRng(seed, taskId).shuffle(examples);
  const s = fractionSizes(examples.length);
  return {
    train: shuffled.slice(0, s.train),
    dev: shuffled.slice(s.train, s.train + s.dev),
    test: shuffled.slice(s.train + s.dev),
  };
}

/** MMLU: the official files: dev CSV (5 per subject, used for demos) → train, val → dev, test → test. */
export function splitMmlu(parts: { dev: Example[]; val: Example[]; test: Example[] }): TaskSplits {
  return { train: parts.dev, dev: parts.val, test: parts.test };
}
