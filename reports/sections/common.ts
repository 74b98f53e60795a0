/**
 * Helpers shared by the report sections (reports/sections/*): grouping by
 * block (task × target), the colour palette, target sizes, minimum detectable
 * effects. No I/O.
 */
import type { CellGroup } from '../load.js';
import { normalQuantile } from '../stats/index.js';

export const blockKey = (r: { task: string; target: string }) => JSON.stringify([r.task, r.target]);

/** Distinct (task, target) blocks in first-seen order. */
export function blocksOf<T extends { task: string; target: string }>(rows: readonly T[]): Array<{ task: string; target: string }> {
  return [...new Map(rows.map((r) => [blockKey(r), { task: r.task, target: r.target }])).values()];
}

export const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : Number.NaN);
export const sd = (xs: readonly number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
};

/** Distinct test example ids of a group (examples shared across seeds are one unit). */
export function distinctExamples(g: CellGroup, split: 'test' | 'dev' = 'test'): number {
  const ids = new Set<string>();
  for (const c of g.cells) for (const s of split === 'test' ? c.test : c.dev) ids.add(s.exampleId);
  return ids.size;
}

/**
 * 24 colours that stay distinguishable side by side: Kelly's (1965) 22 colours
 * of maximum contrast without white (strong hues first, pale ones last), plus
 * three darker tones. Used for every
 * optimizer-coloured plot so the same optimizer has the same colour.
 */
export const PALETTE = [
  '#222222', '#0067A5', '#BE0032', '#008856', '#F38400', '#875692', '#A1CAF1', '#C2B280',
  '#848482', '#E68FAC', '#F99379', '#604E97', '#F6A600', '#B3446C', '#DCD300', '#882D17',
  '#8DB600', '#654522', '#E25822', '#2B3D26', '#1F77B4', '#17BECF', '#7F7F00', '#F3C300',
];

/** A stable colour scale for the given optimizer labels (sorted); past 24 labels the palette repeats. */
export function colourScale(labels: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(labels)].sort();
  return { domain, range: domain.map((_, i) => PALETTE[i % PALETTE.length]!) };
}

/**
 * Parameter count in billions read from a model name ("sim-8b" → 8,
 * "llama-3.1-70b-instruct" → 70, "qwen2.5-0.5B" → 0.5); undefined when the
 * name carries none.
 */
export function targetSize(name: string): number | undefined {
  const m = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)\s*b(?![a-z])/i.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * Minimum detectable effect (two-sided level α, power 1 − β) of a paired
 * comparison of two 0/1 outcomes on n distinct examples with discordance
 * rate d = (b + c)/n: δ ≈ (z₁₋α/₂ + z₁₋β) · √(d/n) (Connor 1987, Biometrics
 * 43(1):207–211, normal approximation to McNemar's test, δ² ≪ d).
 */
export function pairedMde(n: number, discordance: number, alpha = 0.05, power = 0.8): number {
  if (!(n > 0)) return Number.NaN;
  const d = Math.max(discordance, 1 / n);
  return (normalQuantile(1 - alpha / 2) + normalQuantile(power)) * Math.sqrt(d / n);
}

/**
 * Minimum detectable difference between two independent accuracies near p,
 * each on n examples: δ ≈ (z₁₋α/₂ + z₁₋β) · √(2p(1 − p)/n) (two-proportion
 * z test; Fleiss, Levin & Paik 2003, §4.2, without continuity correction).
 */
export function twoProportionMde(n: number, p: number, alpha = 0.05, power = 0.8): number {
  if (!(n > 0)) return Number.NaN;
  const q = Math.min(Math.max(p, 1 / n), 1 - 1 / n);
  return (normalQuantile(1 - alpha / 2) + normalQuantile(power)) * Math.sqrt((2 * q * (1 - q)) / n);
}

export const median = (xs: readonly number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
