/**
 * The fixed taxonomy of error causes, the "tells" sim targets leave in their
 * outputs, and the cause phrases the sim optimizer writes in reflections
 * (docs/sim.md, "Causes and evidence").
 */

export const CAUSE_KINDS = [
  'INSTRUCTION_IGNORED',
  'DISTRACTION',
  'MISSING_CONCEPT',
  'KNOWLEDGE_GAP',
  'REASONING_SLIP',
  'FORMAT',
] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];

/** "MISSING_CONCEPT:<concept>" → "MISSING_CONCEPT". */
export function causeKind(cause: string): CauseKind {
  return cause.split(':')[0] as CauseKind;
}

/**
 * Phrases the sim optimizer writes for each cause in its reflections; the
 * `{concept}` slot is filled with a concept name. `parseCauses` maps any of
 * them back to the cause code.
 */
export const CAUSE_PHRASES: Readonly<Record<CauseKind, readonly string[]>> = {
  INSTRUCTION_IGNORED: ['the model did not follow the instruction', 'the model misunderstood the question'],
  DISTRACTION: ['the model was distracted by irrelevant text in the prompt'],
  MISSING_CONCEPT: ['the model did not apply the concept of {concept}', 'the prompt does not remind the model of {concept}'],
  KNOWLEDGE_GAP: ['the model lacks the background knowledge needed', 'the model recalled a fact incorrectly'],
  REASONING_SLIP: ['the model made a slip in its reasoning steps', 'the prompt lacks reasoning steps'],
  FORMAT: ['the final answer was not written in the required format'],
};

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const PARSERS: Array<{ kind: CauseKind; re: RegExp }> = [];
for (const kind of CAUSE_KINDS) {
  for (const phrase of CAUSE_PHRASES[kind]) {
    const re = escapeRe(phrase).replace(escapeRe('{concept}'), '"?([^".;\\n]+?)"?(?=[.;,\\n]|$)');
    PARSERS.push({ kind, re: new RegExp(re, 'gi') });
  }
}

/**
 * Cause codes named in a reflection text, in order of appearance, without
 * duplicates: "MISSING_CONCEPT:<concept>" carries the concept as written.
 */
export function parseCauses(text: string): string[] {
  const hits: Array<{ at: number; cause: string }> = [];
  for (const { kind, re } of PARSERS) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const cause = kind === 'MISSING_CONCEPT' ? `MISSING_CONCEPT:${(m[1] ?? '').trim()}` : kind;
      hits.push({ at: m.index, cause });
    }
  }
  hits.sort((a, b) => a.at - b.at);
  const out: string[] = [];
  for (const h of hits) if (!out.includes(h.cause)) out.push(h.cause);
  return out;
}

/** Does a parsed cause name the true cause (concept compared case-insensitively)? */
export function sameCause(a: string, b: string): boolean {
  return a.toLowerCase().trim() === b.toLowerCase().trim();
}

/**
 * Tells: sentences a sim target writes when a stage fails (only in a
 * reasoning trace, except FORMAT and INSTRUCTION_IGNORED which show in any
 * output). The sim optimizer recognises causes from these, and only these.
 */
export const TELLS = {
  concept: (c: string) => `I do not think ${c} matters here, so I leave it out.`,
  conceptRe: /I do not think (.+?) matters here, so I leave it out\./g,
  conceptApplied: (c: string) => `Applying ${c} to the details given.`,
  distraction: (snippet: string) => `The remark "${snippet}" seems important, so I follow it.`,
  distractionRe: /The remark ".*?" seems important, so I follow it\./,
  knowledge: 'I am not sure I remember the relevant fact, so I go with my best recollection.',
  slip: 'Combining these quickly, without checking the intermediate results.',
  careful: 'Combining these and checking each intermediate result.',
  ignored: 'Here is my answer.',
  format: 'My answer would be',
} as const;
