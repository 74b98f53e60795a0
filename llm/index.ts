/** popbench LLM layer: providers, middleware stack, model registry and config. */
export { buildStack, compose, type StackOptions } from './stack.js';
export { CallCache, cacheMiddleware, cacheKey, cacheKeyFields, DEFAULT_CACHE_PATH, type CacheMode } from './cache.js';
export { retryMiddleware, retryDelay, realSleep, DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_AFTER_MS, type RetryOptions, type Sleep } from './retry.js';
export { timeoutMiddleware, DEFAULT_TIMEOUT_MS } from './timeout.js';
export { LimiterPool, defaultLimiters, limiterKey, limitMiddleware, DEFAULT_CONCURRENCY } from './limit.js';
export { UsageMeter, meterMiddleware, costUsd, emptyTotals, type Price, type UsageSnapshot, type UsageTotals, type MeterOptions } from './meter.js';
export { loadConfig, parseConfig, parseConfigYaml, defaultConfig, ConfigSchema, DEFAULT_CONFIG_FILE, type PopbenchConfig, type ModelEntry } from './config.js';
export { resolveModel, lookupModel, apiKeyFor, createProvider, knownModelNames, openCache, priceOf, type ResolveOptions, type ModelSpec, type Env } from './registry.js';
export { openaiProvider, classifyOpenAIError, type OpenAIProviderOptions } from './providers/openai.js';
export { hfProvider, classifyHFError, type HFProviderOptions, type HFChatClient } from './providers/hf.js';
export { simProvider } from './providers/sim.js';
export { registerSecret, scrubSecrets } from './secrets.js';
export { isRetryableStatus, parseRetryAfter } from './errors.js';
export { openaiEmbeddings, resolveEmbedder } from './embeddings.js';
