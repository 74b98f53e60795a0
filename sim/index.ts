/**
 * Simulated world: public entry points used by the rest of popbench
 * (rules and parameters: docs/sim.md). Sim results are not research claims.
 */
import type { LLM, LLMChoice, LLMRequest, LLMResponse } from '../core/types.js';
import { answerOptimizer } from './optimizer.js';
import type { OptimizerParams } from './params.js';
import { answerTarget, echoLogprobs, replyLogprobs, requestText } from './target.js';
import { SimWorld } from './world.js';

export { SimWorld, type SimWorldOptions } from './world.js';
export { CAUSE_PHRASES, parseCauses, CAUSE_KINDS, causeKind } from './causes.js';
export type { SimAnnotation } from './target.js';
export { UNRECOGNISED as SIM_UNRECOGNISED } from './target.js';

export const SIM_TARGET_MODELS = ['sim-1b', 'sim-8b', 'sim-70b'] as const;
export const SIM_OPTIMIZER_MODELS = ['sim-opt-small', 'sim-opt-large'] as const;
export const SIM_MODELS: readonly string[] = [...SIM_TARGET_MODELS, ...SIM_OPTIMIZER_MODELS];

export function isSimModel(name: string): boolean {
  return SIM_MODELS.includes(name);
}

export function isSimTarget(name: string): boolean {
  return (SIM_TARGET_MODELS as readonly string[]).includes(name);
}

/** Approximate token count: one token per 4 characters, at least 1 for non-empty text. */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : Math.ceil(text.length / 4);
}

/**
 * Overrides of a sim optimizer model's parameters (`OptimizerParams` in
 * sim/params.ts, e.g. `{ recognise: 0 }`) for controlled experiments; ignored
 * by sim targets. Replies under overrides differ from the model's defaults, so
 * they must not share a call cache with them.
 */
export type SimOptimizerOverrides = Partial<OptimizerParams>;

/** Answer a request with a sim model, synchronously (used in-process and by serve-sim). */
export function simComplete(model: string, world: SimWorld, req: LLMRequest, overrides?: SimOptimizerOverrides): LLMResponse {
  if (!isSimModel(model)) throw new Error(`unknown sim model: ${model}`);
  const n = Math.max(1, Math.floor(req.n ?? 1));
  const choices: LLMChoice[] = [];
  if (req.echo && isSimTarget(model)) {
    // An echoed prompt (APE's likelihood scoring): the reply is the prompt itself, nothing generated.
    const text = requestText(req);
    const logprobs = req.logprobs ? echoLogprobs(model, world, text) : null;
    for (let i = 0; i < n; i++) choices.push({ text, finishReason: 'length', ...(logprobs ? { logprobs } : {}) });
    return { model, choices, usage: { promptTokens: countTokens(text), completionTokens: 0 } };
  }
  for (let i = 0; i < n; i++) {
    let c = isSimTarget(model) ? answerTarget(model, world, req, i) : answerOptimizer(model, req, i, choices.map((x) => x.text), world, world.optimizer || overrides ? { ...world.optimizer, ...overrides } : undefined);
    if (req.maxTokens !== undefined && countTokens(c.text) > req.maxTokens) {
      c = { ...c, text: c.text.slice(0, Math.max(0, req.maxTokens * 4)), finishReason: 'length' };
    }
    if (req.stop?.length) {
      const cut = Math.min(...req.stop.map((s) => (s ? c.text.indexOf(s) : -1)).filter((i) => i >= 0), c.text.length);
      if (cut < c.text.length) c = { ...c, text: c.text.slice(0, cut), finishReason: 'stop' };
    }
    if (req.logprobs && isSimTarget(model)) {
      const logprobs = replyLogprobs(model, world, requestText(req), c);
      if (logprobs) c = { ...c, logprobs };
    }
    choices.push(c);
  }
  const promptTokens = countTokens(requestText(req));
  const completionTokens = choices.reduce((a, c) => a + countTokens(c.text), 0);
  return { model, choices, usage: { promptTokens, completionTokens } };
}

export function createSimLLM(model: string, world: SimWorld, overrides?: SimOptimizerOverrides): LLM {
  if (!isSimModel(model)) throw new Error(`unknown sim model: ${model}`);
  return {
    provider: 'sim',
    model,
    async complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse> {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      return simComplete(model, world, req, overrides);
    },
  };
}
