/**
 * `popbench estimate <suite>`: model calls, tokens and USD per cell and in
 * total, before running anything that costs money (docs/benchmarks.md,
 * "Estimating cost").
 *
 * Method: the optimizers' schedules are executed, not modelled. For each
 * suite entry × task × target, one representative cell (the first seed) is
 * run in full — search and scoring — against sim stand-ins of its models
 * (a sim target of the nearest size, sim-opt-large as the optimizer), in
 * process and free, and its usage meter is read. The other seeds take its
 * counts (a schedule can depend on the target: an optimizer that stops when
 * its dev score is perfect stops earlier on a strong model); `all` runs every
 * cell instead. Calls count as the usage meter counts them (logical calls,
 * search and the scoring of the best prompt on dev and test); USD applies the
 * config's prices of the *real* models to the stand-in's token counts.
 * `external` entries (popbench proxy) are estimated from their limits, plus
 * scoring.
 *
 * Accuracy: call counts follow the budgets and schedules and are close
 * (asserted within 10% on the smoke and equal-budget suites); token counts
 * are the sim's (≈ characters / 4 for prompts, the sim's answer lengths for
 * completions), so a verbose real model spends more completion tokens than
 * estimated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Session } from './session.js';
import { lookupModel, priceOf, UsageMeter, type Price, type UsageSnapshot } from '../llm/index.js';
import { OPTIMIZERS } from '../optimizers/index.js';
import { SIM_MODELS } from '../sim/index.js';
import { runCell } from './runner.js';
import { expandCells, type CellSpec, type Suite } from './suite.js';

export interface CellEstimate {
  id: string;
  label: string;
  task: string;
  target: string;
  seed: number;
  targetCalls: number;
  /** Optimizer-model calls (optimizer, rewriter and judge roles). */
  optimizerCalls: number;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  /** null when a model of the cell has no price in the config. */
  costUsd: number | null;
  /** "dry run", "from <cell id>" or "limits (external)". */
  basis: string;
}

export interface SuiteEstimate {
  cells: CellEstimate[];
  total: { calls: number; targetCalls: number; optimizerCalls: number; promptTokens: number; completionTokens: number; costUsd: number | null };
  /** Cells run on sim stand-ins to measure the schedules. */
  dryRuns: number;
  /** Models without a price (their USD is unknown). */
  unpriced: string[];
}

/** The sim model that stands in for `name` in a dry run. */
export function standIn(name: string, role: 'target' | 'optimizer'): string {
  if ((SIM_MODELS as readonly string[]).includes(name)) return name;
  if (role === 'optimizer') return 'sim-opt-large';
  const b = /(\d+(?:\.\d+)?)\s*b\b/i.exec(name.replace(/[-_:/]/g, ' '));
  const size = b ? Number(b[1]) : NaN;
  return !Number.isFinite(size) ? 'sim-8b' : size <= 3 ? 'sim-1b' : size <= 20 ? 'sim-8b' : 'sim-70b';
}

interface Counts {
  targetCalls: number;
  optimizerCalls: number;
  targetTokens: [number, number];
  optimizerTokens: [number, number];
}

function countsOf(u: UsageSnapshot): Counts {
  const t = u.byRole.target;
  const others = (['optimizer', 'rewriter', 'judge'] as const).map((r) => u.byRole[r]).filter((x) => x !== undefined);
  return {
    targetCalls: t?.calls ?? 0,
    optimizerCalls: others.reduce((a, x) => a + x!.calls, 0),
    targetTokens: [t?.promptTokens ?? 0, t?.completionTokens ?? 0],
    optimizerTokens: [others.reduce((a, x) => a + x!.promptTokens, 0), others.reduce((a, x) => a + x!.completionTokens, 0)],
  };
}

export interface EstimateOptions {
  session: Session;
  /** Dry-run every cell instead of one per entry × task × target. */
  all?: boolean;
}

/** Estimate a suite's calls, tokens and cost. */
export async function estimateSuite(suite: Suite, opts: EstimateOptions): Promise<SuiteEstimate> {
  const { session } = opts;
  const cells = expandCells(suite);
  const groupKey = (c: CellSpec) => JSON.stringify([c.label ?? c.optimizer, c.task, standIn(c.target, 'target')]);
  const measured = new Map<string, { counts: Counts; id: string }>();
  const tmp = mkdtempSync(path.join(tmpdir(), 'popbench-estimate-'));
  const unpriced = new Set<string>();
  const price = (name: string): Price | undefined => {
    const p = priceOf(lookupModel(name, session.config), session.config);
    if (!p && !(SIM_MODELS as readonly string[]).includes(name)) unpriced.add(name);
    return p;
  };
  let dryRuns = 0;
  const out: CellEstimate[] = [];
  try {
    for (const spec of cells) {
      const key = opts.all ? spec.id : groupKey(spec);
      let basis: string;
      let counts: Counts;
      if (OPTIMIZERS[spec.optimizer]?.external) {
        const task = session.task(spec.task);
        const scoring = Math.min(task.splits.dev.length, spec.devSize ?? Infinity) + Math.min(task.splits.test.length, spec.testLimit ?? Infinity);
        counts = { targetCalls: (spec.limits.targetCalls ?? 0) + scoring, optimizerCalls: spec.limits.optimizerCalls ?? 0, targetTokens: [0, 0], optimizerTokens: [0, 0] };
        basis = 'limits (external)';
      } else {
        let m = measured.get(key);
        if (!m) {
          const dry: CellSpec = { ...spec, target: standIn(spec.target, 'target'), optimizerModel: standIn(spec.optimizerModel, 'optimizer') };
          const dir = path.join(tmp, String(dryRuns++));
          const usage = new UsageMeter();
          await runCell(dry, dir, session, usage);
          m = { counts: countsOf(usage.snapshot()), id: spec.id };
          measured.set(key, m);
          basis = 'dry run';
        } else basis = `from ${m.id}`;
        counts = m.counts;
      }
      const pt = price(spec.target);
      const po = price(spec.optimizerModel);
      const usd = (p: Price | undefined, [i, o]: [number, number]) => (p ? (i * p.input + o * p.output) / 1e6 : 0);
      const known = (pt || (SIM_MODELS as readonly string[]).includes(spec.target)) && (po || (SIM_MODELS as readonly string[]).includes(spec.optimizerModel));
      out.push({
        id: spec.id,
        label: spec.label ?? spec.optimizer,
        task: spec.task,
        target: spec.target,
        seed: spec.seed,
        targetCalls: counts.targetCalls,
        optimizerCalls: counts.optimizerCalls,
        calls: counts.targetCalls + counts.optimizerCalls,
        promptTokens: counts.targetTokens[0] + counts.optimizerTokens[0],
        completionTokens: counts.targetTokens[1] + counts.optimizerTokens[1],
        costUsd: known ? usd(pt, counts.targetTokens) + usd(po, counts.optimizerTokens) : null,
        basis,
      });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const sum = (k: 'calls' | 'targetCalls' | 'optimizerCalls' | 'promptTokens' | 'completionTokens') => out.reduce((a, c) => a + c[k], 0);
  return {
    cells: out,
    total: {
      calls: sum('calls'),
      targetCalls: sum('targetCalls'),
      optimizerCalls: sum('optimizerCalls'),
      promptTokens: sum('promptTokens'),
      completionTokens: sum('completionTokens'),
      costUsd: out.some((c) => c.costUsd === null) ? null : out.reduce((a, c) => a + c.costUsd!, 0),
    },
    dryRuns,
    unpriced: [...unpriced].sort(),
  };
}
