/**
 * like/navigate: "If you follow these instructions, do you return to the
 * starting point?" in the two BBH styles: "Always face forward." with
 * directional steps, and turn-based instructions ("Turn left. Take 3 steps.").
 */
import type { Rng } from '../../core/rng.js';
import { conceptsFor } from '../concepts.js';
import { jitterKnob, knob, pickConcepts, type LikeGenerator, type LikeRecord } from './common.js';

const CONCEPTS = conceptsFor('like/navigate');
const HEAD = 'If you follow these instructions, do you return to the starting point?';
const TAIL = '\nOptions:\n- Yes\n- No';

/** Directions as unit vectors relative to facing north: forward, right, backward, left. */
const DIRS = ['forward', 'right', 'backward', 'left'] as const;
type Dir = (typeof DIRS)[number];
const VEC: Record<Dir, [number, number]> = { forward: [0, 1], right: [1, 0], backward: [0, -1], left: [-1, 0] };

type Instr = { kind: 'step'; n: number; dir?: Dir } | { kind: 'turn'; turn: 'left' | 'right' | 'around' };

function steps(n: number): string {
  return n === 1 ? '1 step' : `${n} steps`;
}

function text(i: Instr): string {
  if (i.kind === 'turn') return i.turn === 'around' ? 'Turn around.' : `Turn ${i.turn}.`;
  return i.dir ? `Take ${steps(i.n)} ${i.dir}.` : `Take ${steps(i.n)}.`;
}

/** Final (x, y) with heading as an index into DIRS (0 = the initial facing). */
function walk(instrs: readonly Instr[]): { x: number; y: number; h: number } {
  let x = 0;
  let y = 0;
  let h = 0;
  for (const i of instrs) {
    if (i.kind === 'turn') h = (h + (i.turn === 'right' ? 1 : i.turn === 'left' ? 3 : 2)) % 4;
    else {
      const rel = i.dir ? DIRS.indexOf(i.dir) : 0;
      const [dx, dy] = VEC[DIRS[(h + rel) % 4]!];
      x += dx * i.n;
      y += dy * i.n;
    }
  }
  return { x, y, h };
}

/** Steps of `n` along absolute direction index `abs`, given current heading `h` (turn style: turn first). */
function turnTo(h: number, abs: number): Instr[] {
  const d = (abs - h + 4) % 4;
  if (d === 0) return [];
  return [{ kind: 'turn', turn: d === 1 ? 'right' : d === 3 ? 'left' : 'around' }];
}

/** `n` steps split into chunks of at most `max` (so compensating moves look like the others). */
function chunks(rng: Rng, n: number, max: number): number[] {
  const out: number[] = [];
  while (n > 0) {
    const k = n <= max ? n : rng.int(1, max);
    out.push(k);
    n -= k;
  }
  return out;
}

function genForward(rng: Rng, count: number, maxSteps: number, wantYes: boolean): Instr[] {
  const dirs: Dir[] = rng.next() < 0.5 ? ['forward', 'backward', 'left', 'right'] : rng.pick([['forward', 'backward'], ['left', 'right']] as Dir[][]);
  if (!wantYes) {
    return Array.from({ length: count }, () => ({ kind: 'step' as const, n: rng.int(1, maxSteps), dir: rng.pick(dirs) }));
  }
  // random prefix, then compensate along each axis, then shuffle (order does not matter when facing forward)
  const out: Instr[] = [];
  const prefix = Math.max(1, count - 2);
  for (let k = 0; k < prefix; k++) out.push({ kind: 'step', n: rng.int(1, maxSteps), dir: rng.pick(dirs) });
  const { x, y } = walk(out);
  for (const n of chunks(rng, Math.abs(y), maxSteps)) out.push({ kind: 'step', n, dir: y > 0 ? 'backward' : 'forward' });
  for (const n of chunks(rng, Math.abs(x), maxSteps)) out.push({ kind: 'step', n, dir: x > 0 ? 'left' : 'right' });
  return rng.shuffle(out);
}

function genTurns(rng: Rng, count: number, maxSteps: number, wantYes: boolean): Instr[] {
  const out: Instr[] = [];
  const prefix = wantYes ? Math.max(2, count - 3) : count;
  for (let k = 0; k < prefix; k++) {
    if (k > 0 && rng.next() < 0.35) out.push({ kind: 'turn', turn: rng.pick(['left', 'right', 'around'] as const) });
    else out.push({ kind: 'step', n: rng.int(1, maxSteps) });
  }
  if (!wantYes) return out;
  let { x, y, h } = walk(out);
  // go back along y, then along x (absolute directions: 0 north, 1 east, 2 south, 3 west)
  if (y !== 0) {
    const abs = y > 0 ? 2 : 0;
    out.push(...turnTo(h, abs), ...chunks(rng, Math.abs(y), maxSteps).map((n) => ({ kind: 'step' as const, n })));
    h = abs;
  }
  if (x !== 0) {
    const abs = x > 0 ? 3 : 1;
    out.push(...turnTo(h, abs), ...chunks(rng, Math.abs(x), maxSteps).map((n) => ({ kind: 'step' as const, n })));
  }
  if (rng.next() < 0.3) out.push({ kind: 'turn', turn: rng.pick(['left', 'right', 'around'] as const) });
  return out;
}

export const navigate: LikeGenerator = {
  name: 'navigate',
  description: 'Follow step and turn instructions and decide whether they lead back to the starting point.',
  answerFormat: 'yes_no',
  generate(rng: Rng, difficulty: number): LikeRecord {
    const count = jitterKnob(rng, difficulty, 3, 12, 1);
    const maxSteps = knob(difficulty, 4, 10);
    const turnStyle = rng.next() < 0.25 + 0.5 * difficulty;
    const wantYes = rng.next() < 0.5;
    let instrs: Instr[] = [];
    for (let attempt = 0; attempt < 50; attempt++) {
      instrs = turnStyle ? genTurns(rng, count, maxSteps, wantYes) : genForward(rng, count, maxSteps, wantYes);
      const { x, y } = walk(instrs);
      if ((x === 0 && y === 0) === wantYes && instrs.length > 0) break;
    }
    const { x, y } = walk(instrs);
    const yes = x === 0 && y === 0;
    const body = instrs.map(text).join(' ');
    const input = `${HEAD} ${turnStyle ? '' : 'Always face forward. '}${body}${TAIL}`;
    const concepts = new Set<string>(['track position on a grid', 'check return to start']);
    if (instrs.some((i) => i.kind === 'turn')) concepts.add('turn left/right/around');
    if (instrs.filter((i) => i.kind === 'step').length >= 3) concepts.add('sum signed steps');
    return {
      input,
      target: yes ? 'Yes' : 'No',
      meta: {
        difficulty,
        concepts: pickConcepts(CONCEPTS, concepts),
        instructions: instrs.length,
        style: turnStyle ? 'turns' : 'face_forward',
      },
    };
  },
};
