import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import Database from 'libsql';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LLMError } from '../core/errors.js';
import type { LLMRequest } from '../core/types.js';
import { CallCache, cacheKey, cacheKeyFields, cacheMiddleware } from './cache.js';
import { canonicalJson } from '../core/hash.js';
import { countingLLM } from './fake.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'popbench-cache-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const req = (content: string, extra: Partial<LLMRequest> = {}): LLMRequest => ({
  messages: [{ role: 'user', content }],
  ...extra,
});

describe('call cache', () => {
  it('keys are the sha256 of the canonical JSON of the key fields, unchanged from earlier releases', () => {
    const full: LLMRequest = {
      messages: [
        { role: 'system', content: 'Be "brief".\n' },
        { role: 'user', content: 'Q: 2+2? é' },
      ],
      temperature: 0.5,
      topP: 0.9,
      maxTokens: 64,
      stop: ['\n\n'],
      n: 2,
      seed: 7,
      sampleIndex: 3,
      role: 'target',
    };
    // Keys written by popbench before cacheKey skipped the key sort: existing cache files stay valid.
    expect(cacheKey('openai', 'm', full, 'http://127.0.0.1:8000/v1')).toBe('3e505db53370bb3c33ec4426782129b16425f64b9f3865e5f29f44188ed80844');
    expect(cacheKey('openai', 'm', { messages: [], prompt: '[INST] x [/INST]' })).toBe('97a3dac9b541693ccd0d6c94a0679f8af015b1fe48314623714a884d92b28c61');
    for (const r of [full, req('a'), req('b', { prompt: 'p', stop: [] }), req('c', { temperature: 1, n: 3, seed: -1 }), req('d', { prompt: 'p', echo: true, logprobs: true, topLogprobs: 1 })]) {
      const fields = cacheKeyFields('openai', 'm', r, 'e');
      expect(JSON.stringify(fields)).toBe(canonicalJson(fields));
    }
  });

  it('a second identical run makes zero provider calls and returns the same responses', async () => {
    const path = join(dir, 'c.sqlite');
    const requests = [req('a'), req('b', { temperature: 0.7, sampleIndex: 2 }), req('c', { n: 3, stop: ['\n'] })];

    const first = CallCache.open(path);
    const p1 = countingLLM();
    const llm1 = cacheMiddleware(first)(p1);
    const out1 = [];
    for (const r of requests) out1.push(await llm1.complete(r));
    first.close();
    expect(p1.calls).toHaveLength(3);
    expect(out1.every((r) => !r.cached)).toBe(true);

    const second = CallCache.open(path);
    const p2 = countingLLM();
    const llm2 = cacheMiddleware(second)(p2);
    const out2 = [];
    for (const r of requests) out2.push(await llm2.complete(r));
    second.close();
    expect(p2.calls).toHaveLength(0);
    expect(out2.every((r) => r.cached === true)).toBe(true);
    expect(out2.map((r) => r.choices)).toEqual(out1.map((r) => r.choices));
    expect(out2.map((r) => r.usage)).toEqual(out1.map((r) => r.usage));
  });

  it('commits replies once per event-loop turn; a reply waiting to be committed is already a hit', async () => {
    const path = join(dir, 'c.sqlite');
    const cache = CallCache.open(path);
    const p = countingLLM();
    const llm = cacheMiddleware(cache)(p);
    await llm.complete(req('a'));
    expect(cache.stats.writes).toBe(0); // not committed yet
    expect((await llm.complete(req('a'))).cached).toBe(true);
    expect(p.calls).toHaveLength(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(cache.stats.writes).toBe(1);
    const other = CallCache.open(path); // another reader sees the committed entry
    expect(other.get(cacheKey('fake', 'fake-model', req('a')))?.choices[0]!.text).toBe('echo(0): a');
    other.close();
    cache.close();
  });

  it('never caches errors', async () => {
    const cache = CallCache.open(join(dir, 'c.sqlite'));
    let fail = true;
    const p = countingLLM(async (r) => {
      if (fail) throw new LLMError('boom', 500, true);
      return { model: 'fake-model', choices: [{ text: 'ok' }], usage: { promptTokens: 1, completionTokens: 1 } };
    });
    const llm = cacheMiddleware(cache)(p);
    await expect(llm.complete(req('q'))).rejects.toThrow('boom');
    expect(cache.size()).toBe(0);
    fail = false;
    const res = await llm.complete(req('q'));
    expect(res.choices[0]!.text).toBe('ok');
    expect(res.cached).toBeFalsy();
    expect(p.calls).toHaveLength(2);
    expect(cache.size()).toBe(1);
    cache.close();
  });

  it('keys on sampleIndex but not on the call role', async () => {
    const cache = CallCache.open(join(dir, 'c.sqlite'));
    const p = countingLLM();
    const llm = cacheMiddleware(cache)(p);
    const a = await llm.complete(req('q', { temperature: 1, sampleIndex: 0, role: 'target' }));
    const b = await llm.complete(req('q', { temperature: 1, sampleIndex: 1, role: 'target' }));
    const c = await llm.complete(req('q', { temperature: 1, sampleIndex: 1, role: 'judge' }));
    expect(p.calls).toHaveLength(2);
    expect(a.choices[0]!.text).not.toBe(b.choices[0]!.text);
    expect(c.cached).toBe(true);
    expect(c.choices).toEqual(b.choices);
    expect(cache.size()).toBe(2);
    // Defaults fill in: an omitted field and its default give the same key.
    expect(cacheKey('p', 'm', req('q'))).toBe(cacheKey('p', 'm', req('q', { temperature: 0, n: 1, sampleIndex: 0 })));
    expect(cacheKey('p', 'm', req('q'))).not.toBe(cacheKey('p', 'm2', req('q')));
    expect(cacheKey('p', 'm', req('q'))).not.toBe(cacheKey('p', 'm', req('q', { seed: 1 })));
    cache.close();
  });

  it('shares one provider call between concurrent identical requests', async () => {
    const cache = CallCache.open(join(dir, 'c.sqlite'));
    const p = countingLLM();
    const llm = cacheMiddleware(cache)(p);
    const out = await Promise.all([llm.complete(req('same')), llm.complete(req('same'))]);
    expect(p.calls).toHaveLength(1);
    expect(out[0]!.choices).toEqual(out[1]!.choices);
    cache.close();
  });

  it('replays offline from the file alone and fails clearly on a miss', async () => {
    const path = join(dir, 'c.sqlite');
    const rw = CallCache.open(path);
    await cacheMiddleware(rw)(countingLLM()).complete(req('known'));
    rw.close();

    const ro = CallCache.open(path, 'read-only');
    const p = countingLLM();
    const llm = cacheMiddleware(ro)(p);
    expect((await llm.complete(req('known'))).cached).toBe(true);
    const miss = llm.complete(req('unknown'));
    await expect(miss).rejects.toBeInstanceOf(LLMError);
    await expect(miss).rejects.toThrow(/cache miss in offline replay/);
    expect(p.calls).toHaveLength(0);
    ro.close();
    expect(() => CallCache.open(join(dir, 'absent.sqlite'), 'read-only')).toThrow(/cache file not found/);
  });

  it('mode off passes every call through and creates no file', async () => {
    const p = countingLLM();
    const llm = cacheMiddleware(CallCache.off())(p);
    await llm.complete(req('x'));
    await llm.complete(req('x'));
    expect(p.calls).toHaveLength(2);
    expect(existsSync(join(dir, 'c.sqlite'))).toBe(false);
  });

  it('keeps committed entries when the writing process is killed (WAL)', () => {
    const path = join(dir, 'killed.sqlite');
    const child = fileURLToPath(new URL('./testdata/cache-kill-child.ts', import.meta.url));
    const r = spawnSync(process.execPath, ['--import', 'tsx', child, path, '4'], { encoding: 'utf8', timeout: 30_000 });
    expect(r.signal).toBe('SIGKILL');
    expect(r.stdout).toContain('written');
    expect(existsSync(`${path}-wal`)).toBe(true); // never checkpointed: the entries live in the WAL

    const cache = CallCache.open(path);
    expect(cache.size()).toBe(4);
    for (let i = 0; i < 4; i++) {
      const hit = cache.get(cacheKey('fake', 'fake-model', req(`question ${i}`)));
      expect(hit?.choices[0]!.text).toBe(`echo(0): question ${i}`);
    }
    cache.close();
  });
});

describe('an unusable cache file', () => {
  const tmp = () => mkdtempSync(join(tmpdir(), 'pb-cache-bad-'));
  const ask = (c: CallCache, q: string) => cacheMiddleware(c)(countingLLM()).complete(req(q));

  it('corrupt: one warning line, every reply still returned', async () => {
    const path = join(tmp(), 'corrupt.sqlite');
    writeFileSync(path, 'not a database '.repeat(200));
    const warnings: string[] = [];
    const cache = CallCache.open(path, 'read-write', { warn: (l) => warnings.push(l) });
    for (const q of ['a', 'b', 'a']) expect((await ask(cache, q)).choices[0]!.text).toBe(`echo(0): ${q}`);
    expect(warnings).toEqual([`popbench: warning: call cache ${path}: cannot open it (file is not a database); continuing without the cache`]);
    cache.close();
    // An offline replay has nothing else to answer from: there it is an error.
    expect(() => CallCache.open(path, 'read-only')).toThrow(/cannot open call cache .*corrupt\.sqlite: file is not a database/);
  });

  it('a corrupt entry is a miss, replaced by the fresh reply', async () => {
    const path = join(tmp(), 'entry.sqlite');
    const cache = CallCache.open(path);
    await ask(cache, 'q');
    cache.close();
    const db = new Database(path);
    db.prepare('UPDATE llm_calls SET response = ?').run('{"trunc');
    db.close();
    const again = CallCache.open(path);
    const r = await ask(again, 'q');
    expect(r.cached).toBeUndefined();
    expect(again.get(cacheKey('fake', 'fake-model', req('q')))?.choices[0]!.text).toBe('echo(0): q');
    again.close();
  });

  it('read-only (immutable file): one warning line, replies returned, not lost', async (ctx) => {
    const path = join(tmp(), 'ro.sqlite');
    CallCache.open(path).close();
    const set = spawnSync('chattr', ['+i', path]);
    if (set.status !== 0) ctx.skip(); // no chattr, or a filesystem without the immutable flag
    try {
      const warnings: string[] = [];
      const cache = CallCache.open(path, 'read-write', { warn: (l) => warnings.push(l) });
      for (const q of ['a', 'b']) expect((await ask(cache, q)).choices[0]!.text).toBe(`echo(0): ${q}`);
      await new Promise((resolve) => setImmediate(resolve)); // writes are committed once per event-loop turn
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/call cache .*ro\.sqlite: cannot write to it \(attempt to write a readonly database\); continuing without storing new replies/);
      cache.close();
    } finally {
      spawnSync('chattr', ['-i', path]);
    }
  });
});
