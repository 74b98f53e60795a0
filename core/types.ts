/**
 * popbench core vocabulary. Everything else (llm/, tasks/, sim/, optimizers/,
 * benchmarks/, reports/) speaks these types.
 */
import type { Rng } from './rng.js';
import type { Budget } from './budget.js';

// ---------------------------------------------------------------- prompts

/**
 * Where the instruction goes, as OPRO defines the four positions
 * (google-deepmind/opro, opro/evaluation/eval_utils.py:201-259, `gen_prompt`):
 * before_Q = on its own line before `Q:`, Q_begin = at the beginning of the
 * question (inside `Q:`), Q_end = at the end of the question, A_begin = at the
 * start of the answer (the model continues after it).
 */
export type Position = 'before_Q' | 'Q_begin' | 'Q_end' | 'A_begin';
export const POSITIONS: readonly Position[] = ['before_Q', 'Q_begin', 'Q_end', 'A_begin'];

/**
 * How a prompt is laid out around the question (docs/tasks.md, "Prompt templates"):
 * - `qa`: OPRO's `include_qa=True` template, `Q: <question>\n\nA:` with the
 *   instruction at its position (eval_utils.py:224-248);
 * - `plain`: OPRO's `include_qa=False` template, the bare question with the
 *   instruction on the line before (Q_begin, before_Q) or after it (Q_end)
 *   (eval_utils.py:249-258; the layout of OPRO's reference runs,
 *   optimize_instructions.py:689-697); A_begin has no plain form;
 * - `ape`: APE's evaluation template `Instruction: <instruction>\n\nInput: <question>\nOutput:`
 *   (keirp/automatic_prompt_engineer, automatic_prompt_engineer/configs/default.yaml,
 *   eval_template); the position is ignored.
 */
export type Layout = 'qa' | 'plain' | 'ape';
export const LAYOUTS: readonly Layout[] = ['qa', 'plain', 'ape'];

export interface Demo {
  input: string;
  output: string;
}

export interface Prompt {
  instruction: string;
  demos?: Demo[];
  /** Default Q_begin. */
  position?: Position;
  /** Default qa. */
  layout?: Layout;
}

// ---------------------------------------------------------------- chat / LLM

export type ChatRole = 'system' | 'user' | 'assistant';
export interface Message {
  role: ChatRole;
  content: string;
}

import type { CallRole, Usage } from './usage.js';
export type { CallRole, Usage } from './usage.js';

export interface LLMRequest {
  messages: Message[];
  /**
   * Raw completion: this text is sent as-is to a completions endpoint
   * (OpenAI-compatible `POST /v1/completions`), with no chat template; the
   * messages are then ignored. For models trained on a fixed raw template
   * (BPO's rewriter). Providers without raw completions reject it.
   */
  prompt?: string;
  /** Default 0. */
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  /** Number of choices; default 1. */
  n?: number;
  seed?: number;
  /**
   * Index of this sample among repeated samplings of the same request
   * (temperature > 0). Part of the cache key, so repeated samples are not
   * collapsed into one. Default 0.
   */
  sampleIndex?: number;
  role?: CallRole;
  /**
   * Ask for the log-probability of each token of the reply (OpenAI-compatible
   * `logprobs`): on chat requests `logprobs: true`, on raw completions the
   * integer `logprobs` (= topLogprobs, default 0). Returned in
   * `LLMChoice.logprobs` when the server sends them; part of the cache key.
   */
  logprobs?: boolean;
  /** With `logprobs`: also the k most likely alternatives per token (`top_logprobs`; 0–20 chat, 0–5 OpenAI completions). */
  topLogprobs?: number;
  /**
   * Raw completions only (`prompt`): the reply starts with the prompt itself,
   * and with `logprobs` the prompt's tokens come with their log-probabilities
   * (the legacy OpenAI `echo`; vLLM supports it). How APE's reference scores a
   * prompt by the likelihood of the gold output (optimizers/ape.ts).
   */
  echo?: boolean;
}

/** One token of a reply with its log-probability (natural log). */
export interface TokenLogprob {
  token: string;
  /** null where the server gives none (the first token of an echoed prompt). */
  logprob: number | null;
  /** Character offset of the token in the choice's text, when the server says (completions' `text_offset`). */
  offset?: number;
  /** The most likely alternatives at this position, when `topLogprobs` was asked for. */
  top?: { token: string; logprob: number }[];
}

export interface LLMChoice {
  /** The answer text, with any reasoning the server sent separately left out. */
  text: string;
  /** "stop", "length" (cut off at maxTokens), ... as the server said. */
  finishReason?: string;
  /**
   * Reasoning text a reasoning model sent apart from its answer
   * (`reasoning_content`, `reasoning`, or thinking parts of array content).
   */
  reasoning?: string;
  /**
   * Provider-specific extras carried with the text. The sim puts its ground
   * truth here (`annotations.sim`: true error cause etc.); real providers leave it empty.
   */
  annotations?: Record<string, unknown>;
  /**
   * Token log-probabilities, when the request asked for them (`logprobs`)
   * and the server sent them; absent when it ignored the field.
   */
  logprobs?: TokenLogprob[];
}

export interface LLMResponse {
  model: string;
  choices: LLMChoice[];
  usage: Usage;
  /**
   * True when the server sent no usage and the token counts are popbench's
   * estimate (llm/providers/chat.ts `estimateUsage`).
   */
  usageEstimated?: boolean;
  /** True when served from the call cache. */
  cached?: boolean;
}

/** One model behind one provider. Middleware wraps an LLM into another LLM. */
export interface LLM {
  readonly provider: string;
  readonly model: string;
  /**
   * Where the calls go (e.g. "http://127.0.0.1:8000/v1"); part of the cache
   * key, so one model name on two servers never shares answers. Undefined for
   * in-process models (sim, fakes).
   */
  readonly endpoint?: string;
  complete(req: LLMRequest, signal?: AbortSignal): Promise<LLMResponse>;
}

export type LLMMiddleware = (next: LLM) => LLM;

// ---------------------------------------------------------------- tasks

/** Answer formats found in GSM8K, BBH and MMLU (see tasks/README in docs). */
export type AnswerFormat =
  | 'letter' // (A) ... (R)
  | 'true_false' // True / False
  | 'yes_no' // Yes / No (sports_understanding uses lowercase gold)
  | 'valid_invalid'
  | 'integer' // may be negative, may have thousands commas in gold
  | 'dyck' // space-separated closing brackets
  | 'words' // space-separated words
  | 'text'; // free text compared after normalisation

export interface Example {
  /** Stable id within its task, e.g. "test-17". */
  id: string;
  /** The question as shown to the model. */
  input: string;
  /** Gold answer text exactly as the dataset gives it (GSM8K: the final answer after ####). */
  target: string;
  /** Option texts for multiple choice, in letter order, when known. */
  options?: string[];
  /** Worked solution when the dataset has one (GSM8K). */
  rationale?: string;
  meta?: Record<string, unknown>;
}

export type SplitName = 'train' | 'dev' | 'test';

/**
 * How answers are scored: 'strict' (popbench's extractor and scorer, the
 * default) or 'paper' (OPRO's published rule: tasks/scoring.ts).
 */
export type Scoring = 'strict' | 'paper';
export const SCORINGS: readonly Scoring[] = ['strict', 'paper'];

export interface TaskSplits {
  train: Example[];
  dev: Example[];
  test: Example[];
}

export interface Task {
  /** e.g. "gsm8k", "bbh/navigate", "mmlu/anatomy", "like/gsm". */
  id: string;
  /** "gsm8k" | "bbh" | "mmlu" | "like". */
  family: string;
  description: string;
  answerFormat: AnswerFormat;
  /** The answer-format instruction that matches this task, e.g. 'End with "So the answer is (X)."'. */
  formatInstruction: string;
  /** Concepts solving examples may need (used by sim; data lives in one place). */
  concepts: readonly string[];
  splits: TaskSplits;
  /** Render a prompt + example into chat messages for the target model. */
  render(prompt: Prompt, example: Example): Message[];
  /**
   * Stop sequences sent with every target call (the few-shot template's next
   * exemplar label, so a model that runs on after its answer is cut there).
   */
  stop?: readonly string[];
  /**
   * Pull the final answer out of a model output; null when none can be found.
   * `reply.finishReason` "length" means the output was cut off at maxTokens.
   */
  extract(output: string, example?: Example, reply?: { finishReason?: string }): string | null;
  /** Is an extracted answer correct for this example? */
  score(pred: string | null, example: Example): boolean;
}

// ---------------------------------------------------------------- evaluation

export interface EvalOutcome {
  exampleId: string;
  sampleIndex: number;
  input: string;
  output: string;
  pred: string | null;
  gold: string;
  correct: boolean;
  /** Ground-truth error cause when the target is sim and the answer is wrong. */
  trueCause?: string;
  /** The server's finish reason when it was not "stop" (e.g. "length": cut off at maxTokens). */
  finishReason?: string;
}

export interface EvalResult {
  accuracy: number;
  n: number;
  correct: number;
  outcomes: EvalOutcome[];
  /** Outcomes whose reply was cut off at maxTokens (finishReason "length"); absent when none. */
  truncated?: number;
}

export interface EvalOptions {
  sampleIndex?: number;
  temperature?: number;
  maxTokens?: number;
  /** Per-query rewriting (BPO-style optimizers): the input shown to the model. */
  rewrite?: (input: string) => Promise<string>;
}

/** Scores a prompt on examples; memoized per (prompt, example, sample index). */
export interface Evaluator {
  evaluate(prompt: Prompt, examples: readonly Example[], opts?: EvalOptions): Promise<EvalResult>;
}

// ---------------------------------------------------------------- events / store

/** Anything the runner or an optimizer records; the run store is the single source of truth. */
export interface RunEvent {
  type: string;
  [key: string]: unknown;
}

export interface EventSink {
  emit(event: RunEvent): void;
}


// ---------------------------------------------------------------- embeddings

/**
 * A text-embedding model (OpenAI-compatible `POST /embeddings`, llm/embeddings.ts).
 * `embed` returns one vector per text, in order.
 */
export interface Embedder {
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<number[][]>;
}

// ---------------------------------------------------------------- optimizers

export interface OptimizerContext {
  task: Task;
  train: readonly Example[];
  dev: readonly Example[];
  target: LLM;
  optimizer: LLM;
  evaluator: Evaluator;
  budget: Budget;
  rng: Rng;
  log: EventSink;
  /** The starting prompt (default: empty instruction). */
  initial?: Prompt;
  /** An embedding model for optimizers that compare texts (GPO relevance); absent = their offline fallback. */
  embedder?: Embedder;
}

export type { Rng, Budget };
