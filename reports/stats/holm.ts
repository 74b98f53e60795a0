/**
 * Holm (1979) step-down adjusted p-values, as R's `p.adjust(p, method = "holm")`:
 *
 *   sort p ascending: p₍₁₎ ≤ … ≤ p₍ₘ₎
 *   p̃₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1)·p₍ⱼ₎)
 *
 * Returned in the input order. Reject H₍ᵢ₎ at level α when p̃₍ᵢ₎ ≤ α; this controls the
 * family-wise error rate under any dependence and is uniformly more powerful than Bonferroni.
 */
export function holm(pValues: readonly number[]): number[] {
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) throw new Error(`holm: p-values must be in [0, 1], got ${p} at index ${i}`);
  });
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]!);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[idx]!));
    adjusted[idx] = running;
  });
  return adjusted;
}
