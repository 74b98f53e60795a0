import { describe, expect, it } from 'vitest';
import { Rng } from './rng.js';

const draws = (r: Rng, k: number) => Array.from({ length: k }, () => r.next());

describe('Rng', () => {
  it('is reproducible per seed and seed 0 is a real seed', () => {
    expect(draws(new Rng(0), 5)).toEqual(draws(new Rng(0), 5));
    expect(draws(new Rng(0), 5)).not.toEqual(draws(new Rng(1), 5));
    const xs = draws(new Rng(0), 1000);
    expect(new Set(xs).size).toBe(1000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
  });

  it('derive gives independent, label-keyed streams unaffected by draws on the parent', () => {
    const a = new Rng(7);
    const before = draws(a.derive('cell-1'), 3);
    draws(a, 10);
    expect(draws(a.derive('cell-1'), 3)).toEqual(before);
    expect(draws(a.derive('cell-2'), 3)).not.toEqual(before);
  });

  it('int covers the inclusive range roughly uniformly', () => {
    const r = new Rng(3);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[r.int(0, 3)]!++;
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(() => r.int(2, 1)).toThrow(/empty range/);
  });

  it('shuffle and sample are permutations / subsets without repeats', () => {
    const r = new Rng(11);
    const items = Array.from({ length: 20 }, (_, i) => i);
    const s = r.shuffle(items);
    expect([...s].sort((x, y) => x - y)).toEqual(items);
    expect(s).not.toEqual(items);
    const k = r.sample(items, 5);
    expect(new Set(k).size).toBe(5);
    expect(r.sample(items, 50)).toHaveLength(20);
  });

  it('weighted follows the weights and is uniform when all weights are zero', () => {
    const r = new Rng(5);
    const c = [0, 0, 0];
    for (let i = 0; i < 3000; i++) c[r.weighted([0, 1, 3])]!++;
    expect(c[0]).toBe(0);
    expect(c[2]! / c[1]!).toBeGreaterThan(2.4);
    expect(c[2]! / c[1]!).toBeLessThan(3.7);
    const z = [0, 0];
    for (let i = 0; i < 2000; i++) z[r.weighted([0, 0])]!++;
    expect(z[0]).toBeGreaterThan(850);
    expect(z[1]).toBeGreaterThan(850);
  });

  it('rejects a non-integer seed', () => {
    expect(() => new Rng(1.5)).toThrow(/integer/);
  });
});

describe('Rng seeding', () => {
  it('hashes the seed: neighbouring small seeds give uncorrelated first draws, none stuck near 1', () => {
    const first = Array.from({ length: 64 }, (_, s) => new Rng(s).next());
    expect(Math.max(...first)).toBeLessThan(0.999);
    expect(new Set(first.map((x) => Math.floor(x * 4))).size).toBe(4); // they spread over [0, 1)
    const mean = first.reduce((a, b) => a + b, 0) / first.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.15);
  });
});
