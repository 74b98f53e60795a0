/**
 * The sim optimizer's phrase bank (docs/sim.md, "Phrase bank"). Every
 * sentence here is chosen so that the target's feature extractor reads it the
 * documented way (CoT cue, format instruction, concept hint, distraction …).
 */
import type { AnswerFormat } from '../core/types.js';

export const COT_PHRASES = ["Let's think step by step.", 'Work through the problem step by step.', 'Reason through the question step by step before answering.'];

export const FORMAT_PHRASES: Readonly<Record<AnswerFormat, string>> = {
  letter: 'End with "So the answer is (X)." where X is the option letter.',
  true_false: 'End with "So the answer is True." or "So the answer is False."',
  yes_no: 'End with "So the answer is yes." or "So the answer is no."',
  valid_invalid: 'End with "So the answer is valid." or "So the answer is invalid."',
  integer: 'End with "The answer is N." where N is a whole number.',
  dyck: 'End with "So the answer is" followed by the closing brackets separated by spaces.',
  words: 'End with "So the answer is" followed by the sorted words separated by spaces.',
  text: 'End with "So the answer is" followed by a short answer.',
};

export const conceptHintPhrase = (c: string): string => `Remember to apply ${c}.`;
export const KNOWLEDGE_PHRASE = 'Recall the relevant facts before answering.';
export const CHECK_PHRASE = 'Check each intermediate result before the final answer.';

/** Openers for induced instructions. */
export const OPENERS = ['Answer the question.', 'Solve the problem and give the final answer.', 'Read the question carefully and answer it.'];

/** Irrelevant sentences (distraction) a careless edit may add. */
export const FILLER = [
  'The weather in the mountains is pleasant during the summer months.',
  'Many people enjoy gardening on quiet weekends with their friends.',
  'Historic libraries often keep rare manuscripts behind glass cabinets.',
  'Coffee tastes best when the beans were roasted recently.',
];

/** Word swaps used to paraphrase without changing features. */
export const SYNONYMS: ReadonlyArray<[string, string]> = [
  ['Answer the question.', 'Respond to the question.'],
  ['carefully', 'with care'],
  ['Read the question', 'Look at the question'],
  ['Solve the problem', 'Tackle the problem'],
  ['give the final answer', 'state the final answer'],
  ["Let's think step by step.", 'Work through the problem step by step.'],
];
