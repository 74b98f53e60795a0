import type { LLMChoice, LLMRequest } from '../core/types.js';
export function answerOptimizer(_model: string, _req: LLMRequest, _i: number, _prev: string[]): LLMChoice {
  return { text: 'Let\'s think step by step.' };
}
