/**
 * The data behind every analysis, as CSV, so a reader can redo it: per-seed
 * values of each cell, per-example outcomes (the unit of the paired tests),
 * the Friedman input matrix with its ranks, the omnibus statistics
 * (Friedman, Iman–Davenport) and the Nemenyi critical difference and pairs.
 */
import { FRIEDMAN_EXACT_BELOW, type Analysis } from '../analysis.js';
import type { Cell } from '../load.js';
import { averageRanks } from '../stats/index.js';
import type { Table } from '../tables.js';

const c = (key: string, header: string, kind: Table['columns'][number]['kind'] = 'text') => ({ key, header, kind });

export function perSeedTable(cells: readonly Cell[]): Table {
  const rows = [...cells]
    .sort((x, y) => x.spec.task.localeCompare(y.spec.task) || x.spec.target.localeCompare(y.spec.target) || x.label.localeCompare(y.label) || x.spec.seed - y.spec.seed)
    .map((x) => {
      const usd = (x.result as { usage?: { total?: { costUsd?: unknown } } }).usage?.total?.costUsd;
      return {
        task: x.spec.task,
        target: x.spec.target,
        optimizer: x.label,
        seed: x.spec.seed,
        testN: x.result.test.n,
        testCorrect: x.result.test.correct,
        testAcc: x.result.test.n ? x.result.test.correct / x.result.test.n : null,
        devN: x.result.dev?.n ?? null,
        devCorrect: x.result.dev?.correct ?? null,
        devAcc: x.result.dev && x.result.dev.n ? x.result.dev.correct / x.result.dev.n : null,
        targetCalls: x.result.spent.targetCalls,
        optimizerCalls: x.result.spent.optimizerCalls,
        tokens: x.result.spent.tokens,
        usd: typeof usd === 'number' ? usd : null,
        stoppedBy: x.result.stoppedBy,
        cell: x.id,
      };
    });
  return {
    id: 'per-seed',
    title: 'Per-seed values',
    note: 'One row per finished cell (optimizer × task × target × seed): test and dev counts and accuracy of the returned prompt, search spend, metered USD, how it stopped.',
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seed', 'seed', 'int'), c('testN', 'test n', 'int'), c('testCorrect', 'test correct', 'int'), c('testAcc', 'test %', 'pct'), c('devN', 'dev n', 'int'), c('devCorrect', 'dev correct', 'int'), c('devAcc', 'dev %', 'pct'), c('targetCalls', 'target calls', 'int'), c('optimizerCalls', 'opt. calls', 'int'), c('tokens', 'tokens', 'int'), c('usd', 'USD', 'num'), c('stoppedBy', 'stopped'), c('cell', 'cell')],
    rows,
    csvOnly: true,
  };
}

export function perExampleTable(cells: readonly Cell[]): Table {
  const rows: Table['rows'] = [];
  for (const x of cells)
    for (const [split, list] of [['test', x.test], ['dev', x.dev]] as const)
      for (const s of list) rows.push({ task: x.spec.task, target: x.spec.target, optimizer: x.label, seed: x.spec.seed, split, exampleId: s.exampleId, correct: s.correct ? 1 : 0 });
  return {
    id: 'per-example',
    title: 'Per-example outcomes',
    note: 'One row per scored example of the returned prompt (split test or dev): the unit of the paired tests. The same exampleId under several seeds is the same example.',
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('seed', 'seed', 'int'), c('split', 'split'), c('exampleId', 'example'), c('correct', 'correct', 'int')],
    rows,
    csvOnly: true,
  };
}

export function rankTables(a: Analysis): Table[] {
  const rk = a.ranks;
  const f = rk.friedman;
  const nm = rk.nemenyi;
  const scores: Table = {
    id: 'rank-scores',
    title: 'Friedman input: scores and ranks per block',
    note: 'Blocks (task × target) × optimizers: the score (mean test accuracy over seeds) and its rank within the block (1 = best, ties averaged), as entered in the Friedman test.',
    columns: [c('task', 'task'), c('target', 'target'), c('optimizer', 'optimizer'), c('score', 'score', 'num'), c('rank', 'rank', 'num')],
    rows: rk.blocks.flatMap((b, i) => {
      const ranks = averageRanks(rk.scores[i]!.map((s) => -s));
      return rk.optimizers.map((o, j) => ({ task: b.task, target: b.target, optimizer: o, score: rk.scores[i]![j]!, rank: ranks[j]! }));
    }),
    csvOnly: true,
  };
  const stats: Table = {
    id: 'rank-tests',
    title: 'Rank tests across tasks: statistics',
    note: `The omnibus tests and the critical difference behind the ranks table, for recomputation: Friedman χ² (tie-corrected) with df = k − 1 (χ² p shown for reference); at fewer than ${FRIEDMAN_EXACT_BELOW} blocks the decision uses the permutation p of the Friedman statistic (row "Friedman permutation"), since the χ² and F approximations need more blocks (an F of ∞ arises when the blocks agree perfectly); Iman–Davenport F = (N − 1)χ² / (N(k − 1) − χ²) with df (k − 1, (k − 1)(N − 1)) (Demšar 2006, JMLR 7:1–30, §3.2.2); Nemenyi CD = q_α √(k(k + 1)/(6N)). k = optimizers, N = blocks.${rk.note ? ' ' + rk.note : ''}`,
    columns: [c('statistic', 'statistic'), c('value', 'value', 'num'), c('df1', 'df1', 'num'), c('df2', 'df2', 'num'), c('p', 'p', 'p'), c('k', 'k', 'int'), c('N', 'N', 'int'), c('alpha', 'α', 'num'), c('source', 'source')],
    rows: f
      ? [
          { statistic: 'Friedman chi2', value: f.chi2, df1: f.df, df2: null, p: f.pValue, k: f.k, N: f.n, alpha: null, source: f.tieCorrection ? 'tie-corrected' : 'no tie correction' },
          { statistic: 'Iman-Davenport F', value: f.imanDavenport.F, df1: f.imanDavenport.df1, df2: f.imanDavenport.df2, p: f.imanDavenport.pValue, k: f.k, N: f.n, alpha: null, source: rk.permutation ? `approximation, not used at N < ${FRIEDMAN_EXACT_BELOW} blocks` : 'used for the decision' },
          ...(rk.permutation
            ? [{ statistic: 'Friedman permutation', value: f.chi2, df1: null, df2: null, p: rk.permutation.pValue, k: f.k, N: f.n, alpha: null, source: `${rk.permutation.method}, ${rk.permutation.permutations} permutations; used for the decision` }]
            : []),
          ...(nm
            ? [
                { statistic: 'Nemenyi q_alpha', value: nm.q, df1: null, df2: null, p: null, k: nm.k, N: nm.n, alpha: nm.alpha, source: nm.qSource },
                { statistic: 'Nemenyi CD', value: nm.cd, df1: null, df2: null, p: null, k: nm.k, N: nm.n, alpha: nm.alpha, source: nm.qSource },
              ]
            : []),
        ]
      : [],
  };
  const pairs: Table = {
    id: 'nemenyi-pairs',
    title: 'Nemenyi pairs',
    note: 'Every pair of optimizers: |difference of mean ranks| and whether it exceeds the critical difference.',
    columns: [c('a', 'a'), c('b', 'b'), c('rankA', 'mean rank a', 'num'), c('rankB', 'mean rank b', 'num'), c('diff', '|diff|', 'num'), c('cd', 'CD', 'num'), c('significant', 'differs')],
    rows:
      f && nm
        ? nm.pairs.map((p) => ({ a: rk.optimizers[p.i]!, b: rk.optimizers[p.j]!, rankA: f.meanRanks[p.i]!, rankB: f.meanRanks[p.j]!, diff: p.diff, cd: nm.cd, significant: p.significant }))
        : [],
    csvOnly: true,
  };
  return [stats, scores, pairs];
}
