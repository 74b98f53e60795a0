/**
 * Concept lists: the task-specific skills an example of a task may need. The
 * sim draws each example's needed concepts from its task's list and checks
 * whether a prompt names them. This file is the one place they live.
 */

export const GSM8K_CONCEPTS: readonly string[] = [
  'multi-step arithmetic',
  'unit conversion',
  'percentages',
  'fractions and ratios',
  'rates and time',
  'money and prices',
  'track quantities across steps',
  'identify the quantity asked for',
];

export const BBH_CONCEPTS: Readonly<Record<string, readonly string[]>> = {
  boolean_expressions: ['operator precedence (not, and, or)', 'evaluate parentheses first', 'negation of booleans', 'short-circuit logic'],
  causal_judgement: ['intentional vs accidental actions', 'necessary vs sufficient causes', 'counterfactual reasoning', 'typical human judgement of blame'],
  date_understanding: ['add and subtract days', 'month lengths and leap years', 'MM/DD/YYYY formatting', 'relative dates (yesterday, one week ago)'],
  disambiguation_qa: ['pronoun antecedent resolution', 'world knowledge about roles', 'recognise ambiguous references', 'grammatical agreement'],
  dyck_languages: ['stack of open brackets', 'match bracket types', 'close in reverse order', 'output only the missing closers'],
  formal_fallacies: ['syllogism structure', 'negation and quantifiers', 'deductive validity vs truth', 'spot affirming the consequent'],
  geometric_shapes: ['parse SVG path commands', 'count vertices', 'recognise closed vs open paths', 'shape names from side count'],
  hyperbaton: ['English adjective order', 'opinion-size-age-shape-color-origin-material-purpose', 'classify adjective categories'],
  logical_deduction_five_objects: ['ordering constraints', 'place fixed positions first', 'eliminate candidate orders', 'check every constraint'],
  logical_deduction_seven_objects: ['ordering constraints', 'place fixed positions first', 'eliminate candidate orders', 'check every constraint'],
  logical_deduction_three_objects: ['ordering constraints', 'place fixed positions first', 'eliminate candidate orders', 'check every constraint'],
  movie_recommendation: ['genre of each movie', 'era and style similarity', 'recall well-known films', 'compare candidates to the set'],
  multistep_arithmetic_two: ['operator precedence', 'negative numbers', 'evaluate inner parentheses first', 'multiplication of signed numbers'],
  navigate: ['track position on a grid', 'turn left/right/around', 'sum signed steps', 'check return to start'],
  object_counting: ['count multiples of one item', 'ignore non-matching items', 'recognise category membership', 'add counts across mentions'],
  penguins_in_a_table: ['read table rows and columns', 'apply filters to rows', 'handle added or removed rows', 'compare numeric attributes'],
  reasoning_about_colored_objects: ['track object colors', 'spatial order of objects', 'count objects by property', 'handle removal of objects'],
  ruin_names: ['spot one-letter edits', 'recognise puns', 'recall the original name', 'judge humour'],
  salient_translation_error_detection: ['compare source and translation', 'named entities', 'numerical values', 'negation and modifiers', 'dropped content'],
  snarks: ['detect irony', 'contrast literal and intended meaning', 'world knowledge of norms', 'tone cues'],
  sports_understanding: ['athlete and sport association', 'sport-specific actions', 'plausibility judgement'],
  temporal_sequences: ['timeline of events', 'find free time slots', 'closing times', 'eliminate busy intervals'],
  tracking_shuffled_objects_five_objects: ['track swaps step by step', 'maintain an assignment table', 'final state lookup'],
  tracking_shuffled_objects_seven_objects: ['track swaps step by step', 'maintain an assignment table', 'final state lookup'],
  tracking_shuffled_objects_three_objects: ['track swaps step by step', 'maintain an assignment table', 'final state lookup'],
  web_of_lies: ['propagate truth values along a chain', 'negation of statements', 'start from the known speaker'],
  word_sorting: ['alphabetical order by letters', 'compare words letter by letter', 'keep every word exactly once', 'lowercase comparison'],
};

/** A generic list for MMLU subjects (pooled or per subject). */
export const MMLU_CONCEPTS: readonly string[] = [
  'recall domain facts',
  'eliminate wrong options',
  'apply domain principles',
  'read the question stem carefully',
  'compare close options',
];

/** like/instruct (short user requests; no real counterpart). */
export const INSTRUCT_CONCEPTS: readonly string[] = [
  'answer exactly what is asked',
  'use only the given text',
  'ignore details that were not asked for',
  'sort items into the right category',
];

/** Generated ("like/…") task → the real task whose concepts it shares. */
export const LIKE_COUNTERPARTS: Readonly<Record<string, string>> = {
  gsm: 'gsm8k',
  object_counting: 'bbh/object_counting',
  boolean_expressions: 'bbh/boolean_expressions',
  navigate: 'bbh/navigate',
  dyck: 'bbh/dyck_languages',
  word_sorting: 'bbh/word_sorting',
  date: 'bbh/date_understanding',
  mmlu: 'mmlu',
};

/** Concepts for a task id ("gsm8k", "bbh/<task>", "mmlu", "mmlu/<subject>", "like/<name>"). */
export function conceptsFor(taskId: string): readonly string[] {
  if (taskId === 'gsm8k') return GSM8K_CONCEPTS;
  if (taskId === 'mmlu') return MMLU_CONCEPTS;
  const slash = taskId.indexOf('/');
  const family = slash < 0 ? taskId : taskId.slice(0, slash);
  const name = slash < 0 ? '' : taskId.slice(slash + 1);
  if (family === 'bbh' && BBH_CONCEPTS[name]) return BBH_CONCEPTS[name]!;
  if (family === 'mmlu' && name) {
    const subject = name.replace(/_/g, ' ');
    return [`recall ${subject} facts`, ...MMLU_CONCEPTS.slice(1)];
  }
  if (family === 'like') {
    if (name === 'instruct') return INSTRUCT_CONCEPTS;
    const real = LIKE_COUNTERPARTS[name];
    if (real) return conceptsFor(real);
  }
  return [];
}
