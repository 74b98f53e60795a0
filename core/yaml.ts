import { LineCounter, parseDocument } from 'yaml';
import { UserError } from './errors.js';

export interface LocatedYaml {
  /** The document as plain JS values. */
  value: unknown;
  /** Line (1-based) of the deepest node that exists on `path` (a map key's line for a missing value). */
  line(path: readonly PropertyKey[]): number | undefined;
}

/**
 * Parse YAML keeping node positions, so validation errors can say `file:line`.
 * A syntax error is a UserError `<source>:<line>: invalid YAML: …`.
 */
export function parseYamlLocated(text: string, source: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const l = lineCounter.linePos(yamlError.pos[0]).line;
    throw new UserError(`${source}:${l}: invalid YAML: ${yamlError.message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    // Aliases are expanded at most 100 times: a "billion laughs" document is refused, not expanded.
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new UserError(`${source}: invalid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    value,
    line(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number, number, number] } | undefined;
        if (node && typeof node === 'object' && node.range) return lineCounter.linePos(node.range[0]).line;
      }
      return undefined;
    },
  };
}
