/**
 * like/boolean_expressions: expressions over True/False with not/and/or and
 * parentheses, written in the BBH token style ("not ( True and False ) or True is").
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { jitterKnob, knob, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/boolean_expressions');

/** Expression tree. A chain is operands joined by and/or at one level, evaluated with and before or. */
type Node =
  | { kind: 'lit'; value: boolean }
  | { kind: 'not'; arg: Node }
  | { kind: 'group'; arg: Node }
  | { kind: 'chain'; items: Node[]; ops: ('and' | 'or')[] };

function evalNode(n: Node): boolean {
  switch (n.kind) {
    case 'lit':
      return n.value;
    case 'not':
      return !evalNode(n.arg);
    case 'group':
      return evalNode(n.arg);
    case 'chain': {
      // disjunction of conjunctions: split the chain at each "or"
      let any = false;
      let term = evalNode(n.items[0]!);
      for (let i = 0; i < n.ops.length; i++) {
        const v = evalNode(n.items[i + 1]!);
        if (n.ops[i] === 'and') term = term && v;
        else {
          any = any || term;
          term = v;
        }
      }
      return any || term;
    }
  }
}

function render(n: Node): string {
  switch (n.kind) {
    case 'lit':
      return n.value ? 'True' : 'False';
    case 'not':
      return `not ${render(n.arg)}`;
    case 'group':
      return `( ${render(n.arg)} )`;
    case 'chain':
      return n.items.map((it, i) => (i === 0 ? render(it) : `${n.ops[i - 1]} ${render(it)}`)).join(' ');
  }
}

interface Stats {
  leaves: number;
  depth: number;
  nots: number;
  ands: number;
  ors: number;
  groups: number;
}

function stats(n: Node, depth = 0, s: Stats = { leaves: 0, depth: 0, nots: 0, ands: 0, ors: 0, groups: 0 }): Stats {
  switch (n.kind) {
    case 'lit':
      s.leaves++;
      break;
    case 'not':
      s.nots++;
      stats(n.arg, depth, s);
      break;
    case 'group':
      s.groups++;
      s.depth = Math.max(s.depth, depth + 1);
      stats(n.arg, depth + 1, s);
      break;
    case 'chain':
      for (const op of n.ops) op === 'and' ? s.ands++ : s.ors++;
      for (const it of n.items) stats(it, depth, s);
      break;
  }
  return s;
}

/** Build an expression with exactly `leaves` literals and at most `maxDepth` nested parentheses. */
function build(rng: Rng, leaves: number, maxDepth: number, notRate: number, groupRate: number): Node {
  let node: Node;
  if (leaves === 1) {
    node = { kind: 'lit', value: rng.next() < 0.5 };
    if (maxDepth > 0 && rng.next() < groupRate * 0.3) node = { kind: 'group', arg: node };
  } else {
    // split the leaves into 2..min(4, leaves) operands
    const parts = rng.int(2, Math.min(4, leaves));
    const sizes = new Array<number>(parts).fill(1);
    for (let k = parts; k < leaves; k++) sizes[rng.int(0, parts - 1)]!++;
    const items = sizes.map((sz) => {
      if (sz === 1) return build(rng, 1, maxDepth, notRate, groupRate);
      if (maxDepth > 0) return { kind: 'group', arg: build(rng, sz, maxDepth - 1, notRate, groupRate) } as Node;
      // no depth left: flatten into single literals appended to this chain
      return null;
    });
    const flat: Node[] = [];
    sizes.forEach((sz, i) => {
      const it = items[i];
      if (it) flat.push(it);
      else for (let k = 0; k < sz; k++) flat.push(build(rng, 1, 0, notRate, groupRate));
    });
    const ops = flat.slice(1).map(() => (rng.next() < 0.5 ? 'and' : 'or') as 'and' | 'or');
    node = { kind: 'chain', items: flat, ops };
    return node;
  }
  // negations on literals / groups
  for (let k = 0; k < 3 && rng.next() < notRate; k++) node = { kind: 'not', arg: node };
  return node;
}

function withNots(rng: Rng, n: Node, notRate: number): Node {
  if (n.kind === 'chain') return { ...n, items: n.items.map((it) => withNots(rng, it, notRate)) };
  if (n.kind === 'group') {
    let g: Node = { kind: 'group', arg: withNots(rng, n.arg, notRate) };
    if (rng.next() < notRate) g = { kind: 'not', arg: g };
    return g;
  }
  return n;
}

export const booleanExpressions: LikeGenerator = {
  name: 'boolean_expressions',
  description: 'Evaluate a boolean expression over True/False with not, and, or and parentheses.',
  answerFormat: 'true_false',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const leaves = jitterKnob(rng, difficulty, 2, 9, 1);
    const maxDepth = knob(difficulty, 0, 3);
    const notRate = 0.2 + 0.25 * difficulty;
    const wantTrue = rng.next() < 0.5;
    let node: Node = { kind: 'lit', value: true };
    for (let attempt = 0; attempt < 50; attempt++) {
      node = withNots(rng, build(rng, leaves, maxDepth, notRate, 0.5), notRate);
      if (evalNode(node) === wantTrue) break;
    }
    const value = evalNode(node);
    const s = stats(node);
    const concepts = new Set<string>();
    if (s.ands > 0 && s.ors > 0) concepts.add('operator precedence (not, and, or)');
    if (s.groups > 0) concepts.add('evaluate parentheses first');
    if (s.nots > 0) concepts.add('negation of booleans');
    if (s.leaves >= 4) concepts.add('short-circuit logic');
    return {
      input: `${render(node)} is`,
      target: value ? 'True' : 'False',
      meta: {
        difficulty,
        concepts: pickConcepts(CONCEPTS, concepts),
        leaves: s.leaves,
        depth: s.depth,
        operators: s.ands + s.ors + s.nots,
      },
    };
  },
};
