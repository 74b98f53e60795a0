/**
 * Model configuration: an optional YAML file (`popbench.config.yaml` in the
 * working directory, or `--config FILE`) validated with zod. Every problem is
 * a one-line UserError naming the file, line and field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseYamlLocated } from '../core/yaml.js';
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import { DEFAULT_CACHE_PATH } from './cache.js';
import { DEFAULT_MAX_ATTEMPTS, DEFAULT_MAX_RETRY_AFTER_MS } from './retry.js';
import { DEFAULT_TIMEOUT_MS } from './timeout.js';
import { DEFAULT_CONCURRENCY } from './limit.js';

export const DEFAULT_CONFIG_FILE = 'popbench.config.yaml';

const PriceSchema = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
});

const ModelEntrySchema = z.strictObject({
  /** Name used on the command line and in suites. */
  name: z.string().min(1),
  provider: z.enum(['openai', 'hf', 'sim']),
  /** Model id sent to the provider (default: name). */
  model: z.string().min(1).optional(),
  baseURL: z.url().optional(),
  /** Env var holding the key (default OPENAI_API_KEY / HF_TOKEN). */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name').optional(),
  /** The server needs no key (local vLLM, Ollama, llama.cpp, serve-sim). */
  keyless: z.boolean().optional(),
  endpointUrl: z.url().optional(),
  price: PriceSchema.optional(),
  /** Requests this endpoint serves at once (all models on one endpoint share it; default the top-level concurrency). */
  concurrency: z.int().positive().optional(),
  timeoutMs: z.int().positive().optional(),
  /** Stop sequences for this model's calls, replacing the task's ([] sends none: for servers that reject `stop`). */
  stop: z.array(z.string().min(1)).max(4).optional(),
  /** Request field for the answer length (o-series and GPT-5 models require max_completion_tokens). */
  maxTokensField: z.enum(['max_tokens', 'max_completion_tokens']).optional(),
  /**
   * Label used in cache keys instead of the endpoint URL, to share cached
   * answers across servers on purpose (e.g. serve-sim on changing ports).
   */
  cacheEndpoint: z.string().min(1).optional(),
});

export const ConfigSchema = z.strictObject({
  cache: z
    .strictObject({
      path: z.string().min(1).default(DEFAULT_CACHE_PATH),
      mode: z.enum(['read-write', 'read-only', 'off']).default('read-write'),
      /** Also cache sim-model calls (they are deterministic and cheap; default false). */
      sim: z.boolean().default(false),
    })
    .prefault({}),
  maxAttempts: z.int().min(1).default(DEFAULT_MAX_ATTEMPTS),
  maxRetryAfterMs: z.int().nonnegative().default(DEFAULT_MAX_RETRY_AFTER_MS),
  timeoutMs: z.int().positive().default(DEFAULT_TIMEOUT_MS),
  concurrency: z.int().positive().default(DEFAULT_CONCURRENCY),
  /** Cost cap in USD for every budgeted run (suite cell, `optimize`) that sets none itself; enforced by the meter. */
  maxCostUsd: z.number().positive().optional(),
  /** USD per 1M tokens, keyed by model name (e.g. "openai:gpt-4o-mini"). */
  prices: z.record(z.string(), PriceSchema).default({}),
  models: z.array(ModelEntrySchema).default([]),
});

export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type PopbenchConfig = z.infer<typeof ConfigSchema>;


/** The configuration used when there is no file. */
export function defaultConfig(): PopbenchConfig {
  return ConfigSchema.parse({});
}

/** Validate an already-parsed object; `source` names it in errors. */
export function parseConfig(value: unknown, source = 'config', locate?: (path: PropertyKey[]) => number | undefined): PopbenchConfig {
  const r = ConfigSchema.safeParse(value ?? {});
  if (!r.success) {
    const issue = r.error.issues[0]!;
    // Point an unknown key at the key itself, not its parent.
    const path: PropertyKey[] =
      issue.code === 'unrecognized_keys' && issue.keys.length > 0 ? [...issue.path, issue.keys[0]!] : [...issue.path];
    const field = path.length ? path.map(String).join('.') : '(top level)';
    const message = issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message;
    const line = locate?.(path);
    throw new UserError(`${source}${line ? `:${line}` : ''}: invalid config field ${field}: ${message}`);
  }
  const seen = new Set<string>();
  for (const [i, m] of r.data.models.entries()) {
    if (seen.has(m.name)) throw new UserError(`${source}${line(locate, ['models', i, 'name'])}: invalid config field models.${i}.name: duplicate model name "${m.name}"`);
    seen.add(m.name);
    if (m.provider === 'hf' && m.baseURL)
      throw new UserError(`${source}${line(locate, ['models', i, 'baseURL'])}: invalid config field models.${i}.baseURL: hf models take endpointUrl, not baseURL`);
    if (m.provider === 'openai' && m.endpointUrl)
      throw new UserError(`${source}${line(locate, ['models', i, 'endpointUrl'])}: invalid config field models.${i}.endpointUrl: openai models take baseURL, not endpointUrl`);
  }
  return r.data;
}

function line(locate: ((path: PropertyKey[]) => number | undefined) | undefined, path: PropertyKey[]): string {
  const l = locate?.(path);
  return l ? `:${l}` : '';
}

/** Parse YAML text into a validated config. */
export function parseConfigYaml(text: string, source = DEFAULT_CONFIG_FILE): PopbenchConfig {
  const doc = parseYamlLocated(text, source);
  return parseConfig(doc.value, source, (path) => doc.line(path));
}

/**
 * Load `file` if given (it must exist), else `popbench.config.yaml` in `cwd`
 * if present, else the defaults.
 */
export function loadConfig(file?: string, cwd: string = process.cwd()): PopbenchConfig {
  const path = file ? resolve(cwd, file) : resolve(cwd, DEFAULT_CONFIG_FILE);
  if (!existsSync(path)) {
    if (file) throw new UserError(`config file not found: ${file}`);
    return defaultConfig();
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UserError(`cannot read config file ${file ?? DEFAULT_CONFIG_FILE}: ${(err as Error).message}`);
  }
  return parseConfigYaml(text, file ?? DEFAULT_CONFIG_FILE);
}
