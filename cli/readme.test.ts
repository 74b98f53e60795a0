/**
 * The README's command lines name real commands and real flags: every
 * `popbench <command> … --flag` in its code blocks exists in the CLI.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from './main.js';
import { loadTask, resolveDataDir } from '../tasks/registry.js';
import { expectOneLineError, popbenchInProcess } from './testing.js';

const readme = readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(?:sh)?\n([\s\S]*?)```/g)].map((m) => m[1]!);
const lines = blocks
  .join('\n')
  .replace(/\\\n\s*/g, ' ')
  .split('\n')
  .map((l) => l.replace(/#.*$/, '').trim())
  .map((l) => l.replace(/^(?:[A-Z_]+=\S+\s+)+/, ''))
  .filter((l) => /^popbench \S/.test(l));

function find(program: Command, name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name);
}

describe('README command lines', () => {
  it('are many and each names an existing command with existing flags', () => {
    expect(lines.length).toBeGreaterThanOrEqual(10);
    const program = buildProgram();
    for (const line of lines) {
      const words = line.split(/\s+/);
      const cmd = find(program, words[1]!);
      expect(cmd, `unknown command in README: ${line}`).toBeDefined();
      // "data list | show <task> | download [--flags]": the flags may belong to any listed subcommand.
      const subs = words.slice(2).map((w) => find(cmd!, w)).filter((c): c is Command => c !== undefined);
      const scope = subs.length ? subs : [cmd!];
      const known = new Set(scope.flatMap((c) => c.options.flatMap((o) => [o.long, o.short].filter(Boolean) as string[])));
      for (const flag of line.match(/(?<![\w-])--[a-z][a-z0-9-]*/g) ?? []) {
        if (flag === '--help' || flag === '--version') continue;
        expect(known.has(flag), `README uses ${flag} with "${words.slice(0, 3).join(' ')}", which has no such option`).toBe(true);
      }
    }
  });

  it('example ids in eval lines are ids of their task (and the command accepts them)', async () => {
    const withIds = lines.filter((l) => l.startsWith('popbench eval ') && /--ids /.test(l));
    expect(withIds.length).toBeGreaterThan(0);
    let dataDir: string | undefined;
    try {
      dataDir = resolveDataDir();
    } catch {
      return; // no datasets here: the ids of a dataset task cannot be checked
    }
    for (const line of withIds) {
      const task = /--task (\S+)/.exec(line)![1]!;
      const ids = /--ids ([^\s\]]+)/.exec(line)![1]!.split(',');
      const known = new Set(loadTask(task, { dataDir, seed: 0 }).splits.test.map((e) => e.id));
      for (const id of ids) expect(known.has(id), `README: ${task} has no test example ${id}`).toBe(true);
      const r = await popbenchInProcess(['eval', '--task', task, '--ids', ids.join(','), '--no-cache', '--data-dir', dataDir]);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`\\(\\d+/${ids.length}\\)`));
    }
  });

  it('an unknown --ids names the ids the split has', async () => {
    const r = await popbenchInProcess(['eval', '--task', 'like/gsm', '--ids', 'ex-3', '--no-cache']);
    expectOneLineError(r, /no example "ex-3" in split test.*\(its \d+ ids: test-0, test-1, test-2, test-3, test-4, …\)/);
  });
});
