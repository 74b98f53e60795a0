/** The layering of docs (GUIDE architecture): nothing below cli/ imports cli/, and core/ has no import circle. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');
const sources = (dir: string): string[] =>
  readdirSync(path.join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('testdata'))
    .map((f) => path.join(dir, f));
const imports = (file: string): string[] =>
  [...readFileSync(path.join(root, file), 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)].map((m) =>
    path.normalize(path.join(path.dirname(file), m[1]!)).replace(/\.js$/, '.ts'),
  );

describe('module layering', () => {
  it('nothing below cli/ imports cli/', () => {
    const offenders: string[] = [];
    for (const dir of ['core', 'llm', 'sim', 'tasks', 'optimizers', 'benchmarks', 'reports'])
      for (const f of sources(dir)) for (const i of imports(f)) if (i.startsWith('cli/')) offenders.push(`${f} -> ${i}`);
    expect(offenders).toEqual([]);
  });

  it('core/ has no import circle', () => {
    const files = sources('core');
    const graph = new Map(files.map((f) => [f, imports(f).filter((i) => i.startsWith('core/'))]));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (f: string, trail: string[]) => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push([...trail.slice(trail.indexOf(f)), f].join(' -> '));
        return;
      }
      state.set(f, 'open');
      for (const n of graph.get(f) ?? []) visit(n, [...trail, f]);
      state.set(f, 'done');
    };
    for (const f of files) visit(f, []);
    expect(cycles).toEqual([]);
  });
});
