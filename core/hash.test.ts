import stableStringify from 'fast-json-stable-stringify';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashUnit, sha256 } from './hash.js';
import { Rng } from './rng.js';

describe('canonical JSON', () => {
  it('is fast-json-stable-stringify exactly, on arrays of primitives (the fast path) and on anything else', () => {
    const rng = new Rng(1);
    const prim = (): unknown => {
      const r = rng.next();
      if (r < 0.3) return ['a', 'Ünïcode "q" \\ \n\t\u0000', '', 'é€😀', '\u2028'][Math.floor(rng.next() * 5)];
      if (r < 0.6) return [0, -0, 1.5, -3, 1e21, 1e-7, 2 ** 53 + 2, 0.1 + 0.2, NaN, Infinity, -Infinity][Math.floor(rng.next() * 11)];
      if (r < 0.7) return rng.next() < 0.5;
      if (r < 0.8) return null;
      if (r < 0.85) return undefined;
      if (r < 0.9) return { b: 1, a: [2, 'x'] };
      return [prim(), prim()];
    };
    for (let i = 0; i < 3000; i++) {
      const v = Array.from({ length: Math.floor(rng.next() * 6) }, prim);
      expect(canonicalJson(v)).toBe(stableStringify(v));
    }
    for (const v of [{ z: 1, a: [1, 'b'] }, 'text', 3, null, [new Date(0)], [{ toJSON: () => 'j' }]]) expect(canonicalJson(v)).toBe(stableStringify(v));
  });

  it('keeps the recorded digests', () => {
    expect(sha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(['abc', 1, 'z1'])).toBe(sha256('["abc",1,"z1"]'));
    expect(hashUnit(['a', 2])).toBeGreaterThanOrEqual(0);
    expect(hashUnit(['a', 2])).toBe(hashUnit(['a', 2]));
  });

  it('hashUnit is 53 bits of the digest: hex digits 0-6, then 7-13 less their last 3 bits', () => {
    for (let i = 0; i < 2000; i++) {
      const h = sha256(['u', i]);
      const want = (parseInt(h.slice(0, 7), 16) * 2 ** 25 + (parseInt(h.slice(7, 14), 16) >>> 3)) / 2 ** 53;
      expect(hashUnit(['u', i])).toBe(want);
    }
  });
});
