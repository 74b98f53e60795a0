/**
 * A run that sweeps a sim knob (suite `sim: { recognise: [0, 0.9] }`) reports
 * reflections per knob setting: one reflection and lift row per setting, never
 * pooled across settings, and at recognise 0 the hit lift over chance has an
 * interval containing 0.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSuite } from '../benchmarks/runner.js';
import { parseSuiteYaml } from '../benchmarks/suite.js';
import { analyze } from './analysis.js';
import { loadRunDir } from './load.js';

const out = mkdtempSync(path.join(tmpdir(), 'pb-refl-knobs-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('reflection rows under a swept sim knob', () => {
  it('one row per recognise setting; at 0 the hit lift interval contains 0, at 0.9 it is above 0', async () => {
    const suite = parseSuiteYaml(
      'name: knobs\nseeds: [0, 1, 2, 3]\ntasks: [like/navigate]\ntargets: [sim-8b]\noptimizers:\n  - name: abo\nsim:\n  recognise: [0, 0.9]\nbudget: { mode: equal, targetCalls: 1500 }\ncheckpoints: 0\n',
    );
    await runSuite(suite, { out, flags: { cache: false } });
    const a = analyze(loadRunDir(out));
    const rows = a.reflection.filter((r) => r.optimizer.startsWith('abo'));
    expect(rows.map((r) => r.optimizer).sort()).toEqual(['abo [recognise=0.9]', 'abo [recognise=0]']);
    for (const r of rows) expect(r.runs).toBe(4);
    const at0 = rows.find((r) => r.optimizer === 'abo [recognise=0]')!.lift.hit;
    const at9 = rows.find((r) => r.optimizer === 'abo [recognise=0.9]')!.lift.hit;
    expect(at0.lo).toBeLessThanOrEqual(0);
    expect(at0.hi).toBeGreaterThanOrEqual(0);
    expect(at9.lo).toBeGreaterThan(0);
  }, 120_000);
});
