import { describe, expect, it } from 'vitest';
import { loadTask } from '../tasks/registry.js';
import { ceiling } from './ceiling.js';
import { simComplete } from './index.js';
import { UNIT_EFFECTS } from './params.js';
import type { SimAnnotation } from './target.js';
import { SimWorld } from './world.js';

const task = loadTask('like/navigate', { seed: 0 });
const test = task.splits.test.slice(0, 60);

function accuracy(world: SimWorld, instruction: string): number {
  let right = 0;
  for (const ex of test) {
    const c = simComplete('sim-8b', world, { messages: task.render({ instruction }, ex) }).choices[0]!;
    if ((c.annotations!['sim'] as SimAnnotation).correct) right++;
  }
  return right / test.length;
}

describe('sim worlds', () => {
  it('world 0 is the documented default: unit effects, no quality term', () => {
    expect(new SimWorld().world).toBe(0);
    expect(new SimWorld().effects('like/navigate', 'sim-8b')).toEqual(UNIT_EFFECTS);
    expect(() => new SimWorld({ world: -1 })).toThrow(/non-negative integer/);
  });

  it('worlds draw per-(task, model) effects that can help, do nothing or hurt', () => {
    const cot = Array.from({ length: 10 }, (_, i) => new SimWorld({ world: i + 1 }).effects('like/navigate', 'sim-8b').cot);
    expect(cot.some((x) => x < 0)).toBe(true);
    expect(cot.some((x) => x > 1)).toBe(true);
    const w = new SimWorld({ world: 3 });
    expect(w.effects('like/navigate', 'sim-8b')).toEqual(new SimWorld({ world: 3 }).effects('like/navigate', 'sim-8b'));
    expect(w.effects('like/navigate', 'sim-8b')).not.toEqual(w.effects('like/navigate', 'sim-1b'));
  });

  it('a prompt text has a persistent quality in a world: wordings with the same features differ beyond example noise', () => {
    const w = new SimWorld({ world: 2 });
    w.register(task);
    const a = ['Answer the question.', 'Respond to the question.', 'Read the question carefully and answer it.', 'Look at the question carefully and answer it.'];
    const accs = a.map((x) => accuracy(w, x));
    expect(Math.max(...accs) - Math.min(...accs)).toBeGreaterThan(0.05);
    // the same text scores the same every time (dev and test alike: the term is keyed by world, task and text only)
    expect(accuracy(w, a[0]!)).toBe(accs[0]);
  });

  it('the ceiling prompt differs between worlds', () => {
    const bests = new Set<string>();
    for (let world = 1; world <= 5; world++) {
      const c = ceiling(new SimWorld({ world }), task, 'sim-8b', test.slice(0, 30));
      expect(c.best.accuracy).toBeGreaterThanOrEqual(c.all[c.all.length - 1]!.accuracy);
      bests.add(c.best.parts.join('+'));
    }
    expect(bests.size).toBeGreaterThan(1);
  });
});
