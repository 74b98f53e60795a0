/**
 * Reference meta-prompt fixtures (optimizers/fixtures/*.txt): each file is a
 * first line naming the source (repository, commit, file and lines), a
 * `----` line, then the reference source text copied verbatim. `pyLiteral`
 * evaluates the Python string literal(s) in that text (plain, f-strings,
 * triple-quoted, implicit concatenation) with the given values for the
 * `{...}` fields, so a test compares an optimizer's meta-prompt with what the
 * reference code would send.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export interface Fixture {
  source: string;
  body: string;
}

export function readFixture(name: string): Fixture {
  const text = readFileSync(join(DIR, name), 'utf8');
  const cut = text.indexOf('\n----\n');
  if (cut < 0) throw new Error(`fixture ${name}: no ---- line`);
  return { source: text.slice(0, cut), body: text.slice(cut + 6) };
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '"': '"', "'": "'", '\\': '\\' };

/**
 * The value of the Python string literals found in `code`, concatenated in
 * order (implicit concatenation). Within f-strings, `{name}` (an expression
 * in the source) is replaced by `values[name]`; an expression with no value
 * throws. Only the escapes \n \t \" \' \\ are understood.
 */
export function pyLiteral(code: string, values: Record<string, string | number> = {}): string {
  let out = '';
  let i = 0;
  while (i < code.length) {
    const ch = code[i]!;
    if (ch === '#') {
      // comment to end of line
      while (i < code.length && code[i] !== '\n') i++;
      continue;
    }
    if (ch !== '"' && ch !== "'") {
      i++;
      continue;
    }
    const isF = i > 0 && /[fF]/.test(code[i - 1]!) && (i < 2 || !/\w/.test(code[i - 2]!));
    const triple = code.startsWith(ch.repeat(3), i);
    const close = triple ? ch.repeat(3) : ch;
    i += close.length;
    let raw = '';
    while (i < code.length && !code.startsWith(close, i)) {
      if (code[i] === '\\') {
        raw += code.slice(i, i + 2);
        i += 2;
      } else raw += code[i++];
    }
    i += close.length;
    let value = raw.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? `\\${c}`);
    if (isF)
      value = value.replace(/\{([^{}]+)\}/g, (_, expr: string) => {
        const v = values[expr.trim()];
        if (v === undefined) throw new Error(`pyLiteral: no value for {${expr}}`);
        return String(v);
      });
    out += value;
  }
  return out;
}

/** Python `'\n'.join([line.lstrip() for line in s.split('\n')])`. */
export function lstripLines(s: string): string {
  return s
    .split('\n')
    .map((l) => l.replace(/^\s+/, ''))
    .join('\n');
}
