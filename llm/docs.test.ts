/**
 * The configuration example in docs/models.md is valid configuration: it parses
 * with the real schema, and what it says about each entry holds.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from './config.js';
import { lookupModel } from './registry.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../docs/models.md'), 'utf8');
const yamlBlocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

describe('docs/models.md configuration example', () => {
  it('parses with the config schema and resolves every named model', () => {
    expect(yamlBlocks.length).toBeGreaterThan(0);
    const config = parseConfigYaml(yamlBlocks[0]!, 'docs/models.md');
    expect(config.models.map((m) => m.name)).toEqual(['llama-local', 'gpt4o', 'tgi', 'small']);
    expect(lookupModel('llama-local', config)).toMatchObject({ provider: 'openai', model: 'meta-llama/Llama-3.1-8B-Instruct', keyless: true });
    expect(lookupModel('small', config)).toMatchObject({ provider: 'sim', model: 'sim-1b' });
    expect(config.prices['openai:gpt-4o-mini']).toEqual({ input: 0.15, output: 0.6 });
  });
});
