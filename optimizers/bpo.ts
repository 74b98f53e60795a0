/**
 * BPO — Cheng et al. 2023, "Black-Box Prompt Optimization: Aligning Large
 * Language Models without Model Training" (arXiv 2311.04155; reference code:
 * thu-coai/BPO).
 *
 * A per-query optimizer: it searches no instruction. A rewriter model (here
 * ctx.optimizer, called with role 'rewriter') rewrites every user input before
 * the target sees it. `optimize` returns the starting prompt unchanged plus the
 * rewriter; it scores the rewritten prompts on ctx.dev so the trajectory has a
 * score comparable with instruction optimizers.
 */
import { z } from 'zod';
import type { LLM, OptimizerContext, Prompt } from '../core/types.js';
import { Recorder, untilBudget } from './common.js';
import type { Optimizer, QueryRewriter } from './types.js';

/**
 * The published rewriter template (thu-coai/BPO src/infer_example.py; Llama-2
 * chat format); `{query}` is replaced by the user input.
 */
export const BPO_TEMPLATE =
  '[INST] You are an expert prompt engineer. Please help me improve this prompt to get a more helpful and harmless response:\n{query} [/INST]';

export interface BpoOptions {
  /** Rewriter prompt; must contain "{query}". */
  template: string;
  /**
   * How the template reaches the rewriter: 'raw' (default) as a raw completion
   * (`/v1/completions`), the template being the model's own Llama-2 chat format
   * (infer_example.py:7, :17-18 tokenizes it directly); 'chat' wraps it in a user message.
   */
  completion: 'raw' | 'chat';
  /** Sampling temperature (reference code "stable optimization": 0.6). */
  temperature: number;
  /** Nucleus sampling top_p (reference code: 0.9). */
  topP: number;
  /** Max new tokens of a rewrite (reference code: 1024). */
  maxTokens: number;
  /** Score the rewritten dev set (target calls + one rewrite per dev input). */
  scoreOnDev: boolean;
}

export const BPO_DEFAULTS: BpoOptions = {
  template: BPO_TEMPLATE, // infer_example.py:7
  completion: 'raw', // infer_example.py:17-19 (tokenizer(prompt) → model.generate)
  temperature: 0.6, // infer_example.py:19 (stable optimization)
  topP: 0.9, // infer_example.py:19
  maxTokens: 1024, // infer_example.py:19 max_new_tokens
  scoreOnDev: true,
};

export const bpoSchema = z.strictObject({
  template: z.string().refine((t) => t.includes('{query}'), { message: 'template must contain {query}' }),
  completion: z.enum(['raw', 'chat']),
  temperature: z.number().min(0).max(2),
  topP: z.number().gt(0).max(1),
  maxTokens: z.number().int().positive(),
  scoreOnDev: z.boolean(),
}) as z.ZodType<BpoOptions>;

/** The rewriter request for one input. */
export function bpoMetaPrompt(template: string, query: string): string {
  return template.split('{query}').join(query);
}

/**
 * The rewritten query in a reply: the text after a "[/INST]" echo when
 * present (infer_example.py:20 decodes prompt + completion and splits on it;
 * a raw completion returns the completion only), cut at stray control markers
 * ([INST], [KEEP…], [PROTECT], infer_example.py:38), trimmed; null when nothing is left.
 */
export function parseRewrite(reply: string): string | null {
  let t = reply;
  const inst = t.lastIndexOf('[/INST]');
  if (inst >= 0) t = t.slice(inst + '[/INST]'.length);
  for (const marker of ['[KE', '[INS', '[PRO']) {
    const at = t.indexOf(marker);
    if (at >= 0) t = t.slice(0, at);
  }
  t = t.trim();
  return t.length > 0 ? t : null;
}

/**
 * A rewriter bound to one run: one rewriter call per distinct input (cached,
 * concurrent requests for the same input share the call); falls back to the
 * original input when the reply is empty or unparseable. Budget errors
 * propagate (and the input is not cached) so the caller can stop cleanly.
 */
export function makeRewriter(recorder: Pick<Recorder, 'ask'>, options: BpoOptions): QueryRewriter & { readonly size: number } {
  const cache = new Map<string, Promise<string>>();
  const rewrite = (input: string): Promise<string> => {
    const hit = cache.get(input);
    if (hit) return hit;
    const p = recorder
      .ask(bpoMetaPrompt(options.template, input), {
        temperature: options.temperature,
        topP: options.topP,
        maxTokens: options.maxTokens,
        role: 'rewriter',
        raw: options.completion === 'raw',
      })
      .then((replies) => parseRewrite(replies[0] ?? '') ?? input);
    cache.set(input, p);
    p.catch(() => cache.delete(input));
    return p;
  };
  return Object.defineProperty(rewrite, 'size', { get: () => cache.size }) as QueryRewriter & { readonly size: number };
}

async function optimize(ctx: OptimizerContext, options: BpoOptions) {
  const recorder = new Recorder(ctx, 'bpo');
  const best: Prompt = ctx.initial ?? { instruction: '' };
  const rewriter = makeRewriter(recorder, options);
  const { candidate } = recorder.propose(best, { origin: 'bpo-rewrite', step: 0 });
  const stoppedBy = await untilBudget(async () => {
    if (!options.scoreOnDev) return;
    await recorder.score(candidate, ctx.dev, { rewrite: rewriter });
    recorder.stepDone(0);
  });
  return recorder.result(stoppedBy, best, { best, rewriter, rewriterOn: (llm: LLM) => makeRewriter(askOn(llm), options) });
}

/**
 * `ask` on a given LLM (for rewriting outside the run's budget). Each input is its
 * own request, so sample index 0 makes the rewrite of an input the same in every run.
 */
function askOn(llm: LLM): Pick<Recorder, 'ask'> {
  return {
    async ask(metaPrompt, opts = {}) {
      const res = await llm.complete({
        messages: [{ role: 'user', content: metaPrompt }],
        ...(opts.raw ? { prompt: metaPrompt } : {}),
        temperature: opts.temperature ?? 1,
        ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
        maxTokens: opts.maxTokens ?? 1024,
        sampleIndex: 0,
        role: opts.role ?? 'rewriter',
      });
      return [res.choices[0]?.text ?? ''];
    },
  };
}

export const bpo: Optimizer<BpoOptions> = {
  name: 'bpo',
  paper: 'Cheng et al. 2023, Black-Box Prompt Optimization: Aligning Large Language Models without Model Training (BPO)',
  defaults: BPO_DEFAULTS,
  schema: bpoSchema,
  /** The reference's stable optimization on any task (the rewriter model is the run's optimizer model, e.g. THUDM/BPO). */
  paperPreset: () => ({
    source: 'thu-coai/BPO src/infer_example.py:7-20 (published template as a raw completion, top_p 0.9, temperature 0.6, 1024 new tokens)',
    options: { completion: 'raw', temperature: 0.6, topP: 0.9, maxTokens: 1024 },
  }),
  optimize,
};
