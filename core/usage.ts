/**
 * The accounting vocabulary shared by core/types.ts and core/budget.ts (kept
 * apart so that neither imports the other's module in a circle).
 */

/** Who a call is made for; used only for usage accounting and budgets, never in cache keys. */
export type CallRole = 'target' | 'optimizer' | 'rewriter' | 'judge';

/** Tokens of one call, as the provider reports them (or as estimated when it does not). */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}
