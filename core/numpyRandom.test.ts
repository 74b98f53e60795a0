import { describe, expect, it } from 'vitest';
import { NumpyRandomState } from './numpyRandom.js';

// Reference values printed by NumPy 2.4.6 (legacy RandomState), e.g.
//   np.random.seed(0); np.random.rand()                      -> 0.5488135039273248
//   np.random.seed(0); np.random.permutation(10)             -> [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]
describe('NumpyRandomState (NumPy legacy RandomState)', () => {
  it('rand() after seed(s) equals NumPy', () => {
    expect(new NumpyRandomState(0).rand()).toBe(0.5488135039273248);
    const r = new NumpyRandomState(12345);
    expect(r.rand()).toBe(0.9296160928171479);
    expect(r.rand()).toBe(0.3163755545817859);
    expect(new NumpyRandomState(4294967295).rand()).toBe(0.0976320289940138);
  });

  it('permutation(n) equals NumPy, also past the first 624-word block', () => {
    expect(new NumpyRandomState(0).permutation(10)).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
    const p = new NumpyRandomState(0).permutation(100000);
    expect(p.slice(0, 5)).toEqual([3582, 60498, 53227, 21333, 3885]);
    expect(p.slice(-3)).toEqual([42613, 43567, 68268]);
    // np.sum(p * np.arange(100000)) = 249937372929313
    expect(p.reduce((a, v, i) => a + v * i, 0)).toBe(249937372929313);
  });

  it('choice(n, size) without replacement equals NumPy (OPRO\'s BBH and GSM8K draws)', () => {
    // np.random.seed(0); sorted(np.random.choice(250, size=50, replace=False))
    expect(new NumpyRandomState(0).choice(250, 50).sort((a, b) => a - b)).toEqual([
      5, 8, 12, 22, 37, 44, 45, 55, 63, 64, 73, 76, 83, 89, 90, 92, 96, 97, 107, 108, 110, 111, 116, 118, 122, 126, 130, 136, 139, 150, 152, 154, 155,
      156, 157, 161, 162, 166, 173, 176, 179, 186, 194, 198, 203, 204, 218, 225, 231, 237,
    ]);
    // np.random.seed(0); sorted(np.random.choice(7473, size=int(0.035 * 7473), replace=False))[:10]
    expect(new NumpyRandomState(0).choice(7473, 261).sort((a, b) => a - b).slice(0, 10)).toEqual([29, 33, 38, 39, 42, 49, 72, 98, 134, 144]);
    // np.random.seed(0); sorted(np.random.choice(187, size=int(0.2 * 187), replace=False))[:8]
    expect(new NumpyRandomState(0).choice(187, 37).sort((a, b) => a - b).slice(0, 8)).toEqual([4, 5, 7, 18, 26, 33, 37, 44]);
  });

  it('rejects what it does not implement', () => {
    expect(() => new NumpyRandomState(-1)).toThrow(/seed/);
    expect(() => new NumpyRandomState(2 ** 32)).toThrow(/seed/);
    expect(() => new NumpyRandomState(0).choice(3, 4)).toThrow(/without replacement/);
  });
});
