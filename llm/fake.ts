/** In-process fake providers for tests of anything that takes an LLM. */
import type { LLM, LLMRequest, LLMResponse } from '../core/types.js';

export interface CountingLLM extends LLM {
  /** Every request that reached this provider, in order. */
  readonly calls: LLMRequest[];
}

/**
 * A provider that records its calls and answers with `respond` (default: an
 * echo of the last message, with usage = character counts / 4).
 */
export function countingLLM(
  respond?: (req: LLMRequest, callIndex: number) => LLMResponse | Promise<LLMResponse>,
  opts: { provider?: string; model?: string } = {},
): CountingLLM {
  const calls: LLMRequest[] = [];
  const model = opts.model ?? 'fake-model';
  return {
    provider: opts.provider ?? 'fake',
    model,
    calls,
    async complete(req: LLMRequest): Promise<LLMResponse> {
      calls.push(req);
      if (respond) return respond(req, calls.length - 1);
      const last = req.messages[req.messages.length - 1]?.content ?? '';
      const text = `echo(${req.sampleIndex ?? 0}): ${last}`;
      return {
        model,
        choices: Array.from({ length: req.n ?? 1 }, () => ({ text })),
        usage: { promptTokens: Math.ceil(last.length / 4), completionTokens: Math.ceil(text.length / 4) },
      };
    },
  };
}
