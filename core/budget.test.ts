import { describe, expect, it } from 'vitest';
import { Budget } from './budget.js';
import { BudgetExhausted } from './errors.js';

describe('Budget', () => {
  it('reserves target and optimizer calls separately and throws past the limit', () => {
    const b = new Budget({ targetCalls: 2, optimizerCalls: 1 });
    b.reserve('target');
    b.reserve('target');
    expect(() => b.reserve('target')).toThrow(BudgetExhausted);
    expect(b.spent.targetCalls).toBe(2);
    b.reserve('optimizer');
    expect(() => b.reserve('rewriter')).toThrow(/optimizer calls 1\/1/);
    expect(b.exhausted).toBe(true);
  });

  it('stops every role once the token limit is reached, and release gives a call back', () => {
    const b = new Budget({ tokens: 100 });
    b.reserve('target');
    b.record({ promptTokens: 60, completionTokens: 40 });
    expect(b.canCall('optimizer')).toBe(false);
    expect(() => b.reserve('target')).toThrow(/tokens 100\/100/);
    const c = new Budget({ targetCalls: 1 });
    c.reserve('target');
    c.release('target');
    expect(c.remaining().targetCalls).toBe(1);
    expect(c.remaining().tokens).toBe(Infinity);
  });

  it('counts in-flight token estimates so concurrent calls cannot jointly pass the limit', () => {
    const b = new Budget({ tokens: 1000 });
    b.reserve('target', 400);
    b.reserve('target', 400);
    expect(() => b.reserve('target', 400)).toThrow(BudgetExhausted);
    b.record({ promptTokens: 100, completionTokens: 50 }, 400); // first call was cheaper than estimated
    b.reserve('target', 400);
    b.release('target', 400);
    b.record({ promptTokens: 300, completionTokens: 100 }, 400);
    expect(b.spent.tokens).toBe(550);
    b.reserve('target', 440);
    expect(() => b.reserve('optimizer', 20)).toThrow(/tokens 550\/1000/);
  });
});

describe('Budget.orderedBatch', () => {
  const tick = () => new Promise((r) => setTimeout(r, 0));
  /** A job that asks for `n` calls of `est` tokens at once (or one after another) and settles them with `used` tokens each. */
  const job = (b: Budget, n: number, est: number, used: number, log: string[], name: string, oneByOne = false) => async () => {
    const results: string[] = [];
    const one = async (k: number) => {
      try {
        const t = await b.admit('target', est, est);
        log.push(`${name}${k}`);
        await tick();
        b.settle(t, { promptTokens: used, completionTokens: 0 });
        results.push('ok');
      } catch (err) {
        if (!(err instanceof BudgetExhausted)) throw err;
        results.push('refused');
        throw err;
      }
    };
    if (oneByOne) for (let k = 0; k < n; k++) await one(k);
    else {
      const all = await Promise.allSettled(Array.from({ length: n }, (_, k) => one(k)));
      const failed = all.find((r) => r.status === 'rejected');
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
    return results;
  };

  const runBatch = async (b: Budget, jobs: Array<() => Promise<string[]>>, atOnce: boolean[]) => {
    const batch = b.orderedBatch(jobs.length);
    // started in reverse order: the batch, not the order of starting, decides
    const order = jobs.map((_, i) => jobs.length - 1 - i);
    const settled: Array<Promise<string[]>> = [];
    for (const i of order) {
      settled[i] = batch.run(i, () => {
        const p = jobs[i]!();
        if (atOnce[i]) batch.seal(i);
        return p.finally(() => batch.seal(i));
      });
    }
    const out = await Promise.allSettled(settled);
    return { batch, out };
  };

  it('decides the calls of job i after every call of jobs before it, and spends per job', async () => {
    const b = new Budget({ targetCalls: 5 });
    const log: string[] = [];
    const { batch, out } = await runBatch(b, [job(b, 2, 1, 1, log, 'a', true), job(b, 2, 1, 1, log, 'b'), job(b, 2, 1, 1, log, 'c')], [false, true, true]);
    // a issues its calls one after another, yet b and c wait for it: a gets both, b both, c one
    expect(log.slice(0, 2)).toEqual(['a0', 'a1']);
    expect(b.spent.targetCalls).toBe(5);
    expect(out.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(batch.groups.map((g) => g.spent.targetCalls)).toEqual([2, 2, 1]);
    expect(batch.groups.map((g) => g.spent.tokens)).toEqual([2, 2, 1]);
    expect(batch.cutAt).toBe(2);
  });

  it('refuses every call of the jobs after one the budget cut, even a call that would fit', async () => {
    // Token limit 100: job 0 asks 30 + 30 + 50 (est) and is cut at its third call; job 1 asks 10, which
    // would fit, but run one after another job 1 would never start.
    const b = new Budget({ tokens: 100 });
    const log: string[] = [];
    const j0 = async () => {
      const calls = [30, 30, 50].map(async (est) => {
        const t = await b.admit('target', est, est);
        log.push(`a${est}`);
        b.settle(t, { promptTokens: est, completionTokens: 0 });
      });
      await Promise.all(calls);
      return [];
    };
    const { batch, out } = await runBatch(b, [j0, job(b, 1, 10, 10, log, 'b')], [true, true]);
    expect(out[0]!.status).toBe('rejected');
    expect(out[1]!.status).toBe('rejected');
    expect(log).toEqual(['a30', 'a30']);
    expect(b.spent.tokens).toBe(60);
    expect(batch.cutAt).toBe(0);
    expect(batch.groups[1]!.spent).toEqual({ targetCalls: 0, optimizerCalls: 0, tokens: 0 });
  });

  it('without any limit, jobs do not wait for each other', async () => {
    const b = Budget.unlimited();
    const log: string[] = [];
    await runBatch(b, [job(b, 2, 1, 1, log, 'a', true), job(b, 1, 1, 1, log, 'b')], [false, true]);
    expect(log.indexOf('b0')).toBeLessThan(log.indexOf('a1'));
  });
});
