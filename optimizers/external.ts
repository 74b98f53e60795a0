/**
 * `external`: a suite entry whose search is run by a program outside popbench
 * (DSPy's GEPA or MIPROv2, TextGrad, promptolution, ...) through `popbench
 * proxy` (benchmarks/proxy.ts, docs/proxy.md). The proxy meters every call the
 * program makes against the cell's budget and records it; the program ends
 * the cell by posting its best instruction. `popbench run` leaves such cells
 * for the proxy; calling `optimize` directly is an error naming the command.
 */
import { z } from 'zod';
import { UserError } from '../core/errors.js';
import type { Optimizer } from './types.js';

export interface ExternalOptions {
  /** Free text naming the program and version that runs the search, e.g. "dspy 3.0.3 GEPA auto=light" (shown in reports). */
  client: string;
}

export const external: Optimizer<ExternalOptions> = {
  name: 'external',
  paper: 'any published implementation, run through `popbench proxy` (docs/proxy.md)',
  defaults: { client: '' },
  schema: z.strictObject({ client: z.string() }),
  async optimize(ctx) {
    throw new UserError(
      `optimizer "external" on ${ctx.task.id}: its search runs outside popbench; start it with \`popbench proxy --suite <suite.yaml> --cell <id> --out <run dir>\` (docs/proxy.md)`,
    );
  },
};
