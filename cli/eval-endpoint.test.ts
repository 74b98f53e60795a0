/**
 * `popbench eval` against a loopback OpenAI-compatible server: the command's
 * own warnings about real-endpoint replies (the llm/ layer's handling of each
 * failure kind is tested in llm/endpoints.test.ts).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type Reply, type TestServer } from '../llm/testdata/server.js';
import { runEval } from './eval.js';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startServer();
  dir = mkdtempSync(join(tmpdir(), 'popbench-eval-endpoint-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A reply with exactly this message and finish reason. */
function message(msg: Record<string, unknown>, finish: string): Reply {
  return {
    json: {
      object: 'chat.completion',
      model: 'llama-3-8b',
      choices: [{ index: 0, message: { role: 'assistant', ...msg }, finish_reason: finish }],
      usage: { prompt_tokens: 20, completion_tokens: 10 },
    },
  };
}

describe('popbench eval against a real-style endpoint', () => {
  it('4. popbench eval warns when replies were cut off at --max-tokens', async () => {
    server.script(message({ content: null, reasoning_content: 'Let me think about this very carefully. First' }, 'length'));
    const config = join(dir, 'trunc.yaml');
    writeFileSync(config, `models:\n  - name: reasoner\n    provider: openai\n    baseURL: ${server.url}/v1\n`);
    const lines: string[] = [];
    const r = await runEval(
      { task: 'like/gsm', model: 'reasoner', position: 'Q_begin', split: 'test', limit: '3', temperature: '0', maxTokens: '64', config, cache: false },
      (l) => lines.push(l),
    );
    expect(r.correct).toBe(0);
    expect(lines.join('\n')).toMatch(/warning: 3 of 3 replies were cut off at --max-tokens 64 .*3 of them had no answer text at all/);
  });

});
