/**
 * Model names → fully stacked LLMs. Names are looked up in this order:
 *   1. entries of the config file (`models:`),
 *   2. built-in sim models (sim-1b, sim-8b, sim-70b, sim-opt-small, sim-opt-large),
 *   3. `openai:<model>` — OpenAI-compatible server at OPENAI_BASE_URL (default the
 *      OpenAI API) with OPENAI_API_KEY (not needed when the base URL is loopback),
 *   4. `hf:<model>` — Hugging Face Inference Providers with HF_TOKEN.
 */
import type { LLM } from '../core/types.js';
import type { Budget } from '../core/budget.js';
import type { Rng } from '../core/rng.js';
import { UserError } from '../core/errors.js';
import { SIM_MODELS, isSimModel, type SimOptimizerOverrides, type SimWorld } from '../sim/index.js';
import { defaultConfig, type ModelEntry, type PopbenchConfig } from './config.js';
import { CallCache } from './cache.js';
import { defaultLimiters, limiterKey, type LimiterPool } from './limit.js';
import type { Price, UsageMeter } from './meter.js';
import type { Sleep } from './retry.js';
import { buildStack } from './stack.js';
import { openaiProvider } from './providers/openai.js';
import { hfProvider } from './providers/hf.js';
import { simProvider } from './providers/sim.js';
import { registerSecret } from './secrets.js';

export type Env = Record<string, string | undefined>;

export interface ResolveOptions {
  config?: PopbenchConfig;
  /** Needed for sim models. */
  world?: SimWorld;
  budget?: Budget;
  usage?: UsageMeter;
  /** The run's call cache (see openCache); none = no caching. */
  cache?: CallCache;
  /** Default process.env. */
  env?: Env;
  /** Default: the process-wide pool, so all LLMs on one endpoint share a limit. */
  limiters?: LimiterPool;
  /** Test hooks for the retry layer. */
  sleep?: Sleep;
  rng?: Rng;
}

/** A resolved model description, before any provider is built. */
export interface ModelSpec extends ModelEntry {
  model: string;
}

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i;
function isLoopback(url: string | undefined): boolean {
  if (!url) return false;
  try {
    return LOOPBACK.test(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** All names `resolveModel` knows without a prefix, for messages and `--help`. */
export function knownModelNames(config: PopbenchConfig = defaultConfig()): string[] {
  return [...config.models.map((m) => m.name), ...SIM_MODELS];
}

/** Find the description of a model name, or throw a UserError listing the known names. */
export function lookupModel(name: string, config: PopbenchConfig = defaultConfig(), env: Env = process.env): ModelSpec {
  const entry = config.models.find((m) => m.name === name);
  if (entry) return { ...entry, model: entry.model ?? entry.name };
  if (isSimModel(name)) return { name, provider: 'sim', model: name };
  const prefixed = /^(openai|hf):(.+)$/.exec(name);
  if (prefixed) {
    const model = prefixed[2]!;
    if (prefixed[1] === 'openai') {
      const baseURL = env.OPENAI_BASE_URL || undefined;
      return { name, provider: 'openai', model, baseURL, keyless: isLoopback(baseURL) };
    }
    return { name, provider: 'hf', model };
  }
  throw new UserError(`unknown model "${name}"; known: ${knownModelNames(config).join(', ')}, or openai:<model>, hf:<model>`);
}

/** The model's price (USD per 1M tokens) from its config entry or `prices`; undefined for sim and unpriced models. */
export function priceOf(spec: ModelSpec, config: PopbenchConfig): Price | undefined {
  if (spec.provider === 'sim') return undefined;
  return spec.price ?? config.prices[spec.name] ?? config.prices[spec.model];
}

/** The API key a model needs from the environment (undefined for keyless servers); UserError when missing. */
export function apiKeyFor(spec: ModelSpec, env: Env): string | undefined {
  return apiKey(spec, env);
}

/**
 * The key to send for a spec, or undefined when none is needed: a model marked
 * `keyless`, or (unless marked `keyless: false`) one whose server is on
 * loopback, is sent no key even when the variable is set.
 */
function apiKey(spec: ModelSpec, env: Env): string | undefined {
  const varName = spec.apiKeyEnv ?? (spec.provider === 'hf' ? 'HF_TOKEN' : 'OPENAI_API_KEY');
  const key = env[varName] || undefined;
  // Known even when not sent, so that no echo of it can be stored.
  registerSecret(key);
  const keyless = spec.keyless ?? isLoopback(spec.provider === 'hf' ? spec.endpointUrl : spec.baseURL);
  if (keyless) return undefined;
  if (!key) throw new UserError(`missing API key: set ${varName} (model ${spec.name})`);
  return key;
}

/** Build the bare provider for a spec (no middleware). */
export function createProvider(spec: ModelSpec, opts: { world?: SimWorld; env?: Env; simOptimizer?: SimOptimizerOverrides; concurrency?: number } = {}): LLM {
  const env = opts.env ?? process.env;
  switch (spec.provider) {
    case 'sim':
      if (!opts.world) throw new Error(`sim model ${spec.name} needs a SimWorld`);
      return simProvider(spec.model, opts.world, opts.simOptimizer);
    case 'openai':
      return openaiProvider({
        model: spec.model,
        baseURL: spec.baseURL,
        apiKey: apiKey(spec, env),
        maxTokensField: spec.maxTokensField,
        // One keep-alive connection per call the endpoint serves at once.
        connections: spec.concurrency ?? opts.concurrency,
      });
    case 'hf':
      return hfProvider({ model: spec.model, endpointUrl: spec.endpointUrl, accessToken: apiKey(spec, env) });
  }
}

/** Resolve a model name to an LLM wrapped in the full middleware stack. */
export function resolveModel(name: string, opts: ResolveOptions = {}): LLM {
  const config = opts.config ?? defaultConfig();
  const env = opts.env ?? process.env;
  const spec = lookupModel(name, config, env);
  const provider = createProvider(spec, { world: opts.world, env, concurrency: config.concurrency });
  const isSim = spec.provider === 'sim';
  const limiters = opts.limiters ?? defaultLimiters;
  const stacked = buildStack(provider, {
    meter: opts.usage,
    budget: opts.budget,
    price: priceOf(spec, config),
    cache: isSim && !config.cache.sim ? undefined : opts.cache,
    // The sim runs in-process: no endpoint to protect.
    limit: isSim ? undefined : limiters.get(limiterKey(spec.provider, spec.baseURL ?? spec.endpointUrl), spec.concurrency ?? config.concurrency),
    retry: { maxAttempts: config.maxAttempts, maxRetryAfterMs: config.maxRetryAfterMs, sleep: opts.sleep, rng: opts.rng },
    timeoutMs: spec.timeoutMs ?? config.timeoutMs,
    cacheEndpoint: spec.cacheEndpoint,
  });
  return spec.stop === undefined ? stacked : withStop(stacked, spec.stop);
}

/** The model's own stop sequences replace the request's ([] = send none). */
function withStop(llm: LLM, stop: readonly string[]): LLM {
  return {
    provider: llm.provider,
    model: llm.model,
    ...(llm.endpoint !== undefined ? { endpoint: llm.endpoint } : {}),
    complete(req, signal) {
      const { stop: _stop, ...rest } = req;
      return llm.complete(stop.length > 0 ? { ...rest, stop: [...stop] } : rest, signal);
    },
  };
}

/** Open the run's call cache as the config says; `offline` forces read-only replay. */
export function openCache(config: PopbenchConfig = defaultConfig(), opts: { offline?: boolean; path?: string } = {}): CallCache {
  const mode = opts.offline ? 'read-only' : config.cache.mode;
  if (mode === 'off') return CallCache.off();
  return CallCache.open(opts.path ?? config.cache.path, mode);
}
