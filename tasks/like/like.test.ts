import { describe, expect, it } from 'vitest';
import { UserError } from '../../core/errors.js';
import type { Example } from '../../core/types.js';
import { conceptsFor } from '../concepts.js';
import {
  checkBoolean,
  checkDate,
  checkDyck,
  checkGsmParams,
  checkGsmRationale,
  checkInstruct,
  checkMmlu,
  checkNavigate,
  checkObjectCounting,
  checkWordSorting,
  optionAt,
  parseOptions,
} from './checkers.js';
import { LIKE_TASKS, generateLikeSplits, loadLikeTask } from './index.js';

const all = (s: { train: Example[]; dev: Example[]; test: Example[] }) => [...s.train, ...s.dev, ...s.test];
const cache = new Map<string, Example[]>();
/** Default-size splits (100/100/300), mixed difficulty, seed 7. */
function examples(name: string): Example[] {
  if (!cache.has(name)) cache.set(name, all(generateLikeSplits(name, { seed: 7 })));
  return cache.get(name)!;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
function at(name: string, difficulty: number): Example[] {
  return generateLikeSplits(name, { seed: 3, difficulty, sizes: { train: 0, dev: 0, test: 80 } }).test;
}

describe('independent checkers agree with every generated gold answer', () => {
  it('like/boolean_expressions: recursive-descent evaluation of the text', () => {
    for (const ex of examples('boolean_expressions')) expect(checkBoolean(ex.input).value ? 'True' : 'False', ex.input).toBe(ex.target);
  });

  it('like/navigate: simulation of the parsed instructions', () => {
    for (const ex of examples('navigate')) {
      expect(checkNavigate(ex.input).returns ? 'Yes' : 'No', ex.input).toBe(ex.target);
      expect(ex.input.endsWith('\nOptions:\n- Yes\n- No')).toBe(true);
    }
  });

  it('like/dyck: input + answer reduces to the empty word, answer only closers', () => {
    for (const ex of examples('dyck')) expect(checkDyck(ex.input, ex.target), ex.input).toBe(true);
  });

  it('like/word_sorting: insertion sort of the parsed words', () => {
    for (const ex of examples('word_sorting')) {
      const sorted = checkWordSorting(ex.input);
      expect(sorted.join(' ')).toBe(ex.target);
      expect(new Set(sorted).size).toBe(sorted.length);
    }
  });

  it('like/object_counting: parse the item list with number words', () => {
    for (const ex of examples('object_counting')) expect(String(checkObjectCounting(ex.input).count), ex.input).toBe(ex.target);
  });

  it('like/date: JS Date arithmetic from the text; the letter points to the only matching option', () => {
    for (const ex of examples('date')) {
      const want = checkDate(ex.input);
      const opts = parseOptions(ex.input);
      expect(opts).toEqual(ex.options);
      expect(opts).toHaveLength(6);
      expect(optionAt(ex), ex.input).toBe(want);
      expect(opts.filter((o) => o === want)).toHaveLength(1);
      expect(new Set(opts).size).toBe(6);
    }
  });

  it('like/gsm: closed form from parameters, rationale arithmetic, parameters appear in the text', () => {
    for (const ex of examples('gsm')) {
      const meta = ex.meta as { template: string; params: Record<string, number> };
      expect(checkGsmParams(meta.template, meta.params), ex.input).toBe(Number(ex.target));
      const r = checkGsmRationale(ex.rationale!);
      expect(r.ok, ex.rationale).toBe(true);
      expect(r.final).toBe(Number(ex.target));
      expect(Number.isInteger(Number(ex.target))).toBe(true);
      const nums = new Set((ex.input.match(/\d+/g) ?? []).map(Number));
      for (const [k, v] of Object.entries(meta.params)) {
        if (['days', 'half', 'third', 'weeks'].includes(k) && v <= 1) continue; // implicit (not written) values
        if (k === 'discount' || k === 'fewer' || k === 'speed2' || k === 'mins') if (v === 0) continue;
        if (k === 'k') continue; // written as "twice"/"three times"
        if (k === 'days' && meta.template === 'produce') continue; // "a week"
        expect(nums.has(v), `${k}=${v} in ${ex.input}`).toBe(true);
      }
    }
  });

  it('like/instruct: answered from the message, the passage or the category list', () => {
    const kinds = new Set<string>();
    for (const ex of examples('instruct')) {
      expect(checkInstruct(ex.input), ex.input).toBe(ex.target);
      kinds.add(String(ex.meta!['category']));
    }
    expect([...kinds].sort()).toEqual(['classification', 'closed_qa', 'information_extraction']);
  });

  it('like/mmlu: answered from the facts parsed out of the passage', () => {
    for (const ex of examples('mmlu')) {
      const opts = parseOptions(ex.input);
      expect(opts).toEqual(ex.options);
      expect(opts).toHaveLength(4);
      expect(new Set(opts).size).toBe(4);
      expect(optionAt(ex), ex.input).toBe(checkMmlu(ex.input));
    }
  });

  it('the checkers reject corrupted answers', () => {
    const b = examples('boolean_expressions')[0]!;
    expect(checkBoolean(b.input).value).toBe(b.target === 'True');
    expect(checkBoolean(b.input.replace(/^(.*) is$/, 'not ( $1 ) is')).value).toBe(b.target !== 'True');
    const d = examples('dyck').find((e) => e.target.includes(' '))!;
    expect(checkDyck(d.input, d.target.split(' ').reverse().join(' ') + ' )')).toBe(false);
    expect(checkDyck(d.input, d.target.split(' ').slice(1).join(' '))).toBe(false);
    const w = examples('word_sorting').find((e) => e.target.split(' ').length > 2)!;
    expect(checkWordSorting(w.input).join(' ')).not.toBe(w.target.split(' ').reverse().join(' '));
    const g = examples('gsm')[0]!;
    expect(checkGsmRationale(g.rationale!.replace(/=(\d+)>>/, (_, n) => `=${Number(n) + 1}>>`)).ok).toBe(false);
  });
});

describe('determinism, seeds, splits', () => {
  it('the same seed and options give the same examples; other seeds give others', () => {
    for (const name of LIKE_TASKS) {
      const a = generateLikeSplits(name, { seed: 11, size: 30 });
      const b = generateLikeSplits(name, { seed: 11, size: 30 });
      expect(b).toEqual(a);
      const c = generateLikeSplits(name, { seed: 12, size: 30 });
      const same = c.test.filter((e, i) => e.input === a.test[i]!.input).length;
      expect(same, name).toBeLessThan(5);
    }
  });

  it('default sizes are train 100 / dev 100 / test 300; `size` and `sizes` set them', () => {
    const d = generateLikeSplits('navigate', {});
    expect([d.train.length, d.dev.length, d.test.length]).toEqual([100, 100, 300]);
    const s = generateLikeSplits('navigate', { size: 17, sizes: { test: 5 } });
    expect([s.train.length, s.dev.length, s.test.length]).toEqual([17, 17, 5]);
    expect(s.test.map((e) => e.id)).toEqual(['test-0', 'test-1', 'test-2', 'test-3', 'test-4']);
  });

  it('the test split does not change when train or dev sizes change', () => {
    const a = generateLikeSplits('date', { seed: 5, sizes: { train: 10, dev: 10, test: 40 } });
    const b = generateLikeSplits('date', { seed: 5, sizes: { train: 70, dev: 0, test: 40 } });
    expect(b.test).toEqual(a.test);
  });

  it('no duplicate inputs within a split and none shared between splits', () => {
    for (const name of LIKE_TASKS) {
      const s = generateLikeSplits(name, { seed: 7 });
      const inputs = all(s).map((e) => e.input);
      expect(new Set(inputs).size, name).toBe(inputs.length);
    }
    // also at a fixed low difficulty, where the space is smallest
    for (const name of LIKE_TASKS) {
      const s = generateLikeSplits(name, { seed: 1, difficulty: 0, sizes: { train: 50, dev: 20, test: 100 } });
      const train = new Set(s.train.map((e) => e.input));
      expect(s.test.some((e) => train.has(e.input)), name).toBe(false);
      expect(new Set(s.test.map((e) => e.input)).size).toBe(100);
    }
  });

  it('bad options throw a UserError naming the task', () => {
    expect(() => loadLikeTask('nope')).toThrow(UserError);
    expect(() => generateLikeSplits('gsm', { size: -1 })).toThrow(/like\/gsm: size/);
    expect(() => generateLikeSplits('gsm', { difficulty: 1.5 })).toThrow(/like\/gsm: difficulty/);
    expect(() => generateLikeSplits('dyck', { seed: 0.5 })).toThrow(/like\/dyck: seed/);
    expect(() => generateLikeSplits('dyck', { sizes: { validation: 3 } as never })).toThrow(/unknown split "validation"/);
  });
});

describe('difficulty knob', () => {
  const measures: Record<string, (e: Example) => number> = {
    boolean_expressions: (e) => checkBoolean(e.input).literals + checkBoolean(e.input).depth,
    navigate: (e) => checkNavigate(e.input).instructions,
    dyck: (e) => e.input.replace(/^.*Input: /, '').split(' ').length,
    word_sorting: (e) => checkWordSorting(e.input).length,
    object_counting: (e) => checkObjectCounting(e.input).items,
    gsm: (e) => (e.rationale!.match(/<</g) ?? []).length,
    date: (e) => {
      const m = /What is the date (\d+) days/.exec(e.input);
      return (m ? Number(m[1]) : 0) + (/weeks|month|year|UK|born|last day/.test(e.input) ? 10 : 0);
    },
    mmlu: (e) => e.input.split('\nOptions:')[0]!.split(/(?<=[.?])\s+/).length,
    instruct: (e) => e.input.split(/[.,?]\s+/).length,
  };
  for (const name of Object.keys(measures)) {
    it(`like/${name}: higher difficulty gives a larger measured size`, () => {
      const lo = at(name, 0.1);
      const hi = at(name, 0.9);
      expect(lo.every((e) => e.meta!.difficulty === 0.1)).toBe(true);
      expect(mean(hi.map(measures[name]!))).toBeGreaterThan(mean(lo.map(measures[name]!)) * 1.3);
    });
  }
});

describe('meta, balance and the Task object', () => {
  it('meta.difficulty is in [0, 1] and meta.concepts is a subset of the task concepts', () => {
    for (const name of LIKE_TASKS) {
      const concepts = conceptsFor(`like/${name}`);
      expect(concepts.length, name).toBeGreaterThan(0);
      for (const ex of examples(name)) {
        const d = ex.meta!.difficulty as number;
        expect(d >= 0 && d <= 1).toBe(true);
        for (const c of ex.meta!.concepts as string[]) expect(concepts, name).toContain(c);
      }
    }
  });

  it('like/gsm tags "unit conversion" exactly when the problem converts units', () => {
    for (const ex of examples('gsm')) {
      const converts = /kilograms|minutes|a week\?/.test(ex.input);
      expect((ex.meta!.concepts as string[]).includes('unit conversion'), ex.input).toBe(converts);
      expect((ex.meta!.concepts as string[]).includes('percentages'), ex.input).toBe(/%/.test(ex.input));
    }
  });

  it('binary targets are balanced and option letters are spread', () => {
    const share = (name: string, t: string) => examples(name).filter((e) => e.target === t).length / examples(name).length;
    for (const [name, t] of [['boolean_expressions', 'True'], ['navigate', 'Yes']] as const) {
      expect(share(name, t)).toBeGreaterThan(0.35);
      expect(share(name, t)).toBeLessThan(0.65);
    }
    for (const [name, n] of [['date', 6], ['mmlu', 4]] as const) {
      for (let i = 0; i < n; i++) expect(share(name, `(${String.fromCharCode(65 + i)})`), name).toBeGreaterThan(0.5 / n);
    }
  });

  it('every gold round-trips through the task extract and score', () => {
    for (const name of LIKE_TASKS) {
      const task = loadLikeTask(name, { seed: 2, size: 40 });
      expect(task.id).toBe(`like/${name}`);
      expect(task.family).toBe('like');
      expect(task.concepts).toEqual(conceptsFor(`like/${name}`));
      for (const ex of all(task.splits)) {
        const pred = task.extract(`Let's think step by step. So the answer is ${ex.target}.`, ex);
        expect(task.score(pred, ex), `${name} ${ex.id} ${ex.target} -> ${pred}`).toBe(true);
      }
      // and a wrong answer scores false
      const ex = task.splits.test[0]!;
      const other = all(task.splits).find((e) => e.target !== ex.target)!;
      expect(task.score(task.extract(`So the answer is ${other.target}.`, ex), ex)).toBe(false);
    }
  });
});
