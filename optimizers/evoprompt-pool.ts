/**
 * EvoPrompt's curated starting pool for BBH: the 20 lines of
 * beeevita/EvoPrompt BBH/prompts.txt at 94caff336555df99acc5c338c7930c40cc550ad9,
 * read as the reference reads them (BBH/evoluter.py:114-119 `read_lines("prompts.txt")`
 * for `--initial cot`, the setting of BBH/scripts/run_ga_cot.sh:9 and run_de_cot.sh:10).
 * The reference scores every line, keeps the top popsize // 2 and adds one
 * paraphrase of each (evoluter.py:123-134, 192-204; utils.py:57-58).
 *
 * The text is from EvoPrompt, MIT License, Copyright (c) Microsoft Corporation
 * (LICENSE.txt of that repository), reproduced here under its terms.
 */
export const EVOPROMPT_BBH_POOL: readonly string[] = [
  "Let's think step by step.",
  "Let’s work this out in a step by step way to be sure we have the right answer.",
  "First,",
  "Let’s think about this logically.",
  "Let’s solve this problem by splitting it into steps.",
  "Let’s be realistic and think step by step.",
  "Let’s think like a detective step by step.",
  "Let’s think",
  "Before we dive into the answer,",
  "The answer is after the proof.",
  "Let's break this problem down step by step.",
  "We'll tackle this math task one piece at a time.",
  "Let's approach this logically, step by step.",
  "We'll solve this by analyzing each part of the problem.",
  "Let's unravel this mathematical challenge gradually.",
  "We'll methodically work through this problem together.",
  "Let's systematically dissect this math task.",
  "We'll take this mathematical reasoning challenge one step at a time.",
  "Let's meticulously examine each aspect of this problem.",
  "We'll thoughtfully progress through this task step by step."
];
