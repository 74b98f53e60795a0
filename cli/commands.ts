import type { Command } from 'commander';
import { register as registerData } from './data.js';
import { register as registerDemo } from './demo.js';
import { register as registerEval } from './eval.js';
import { register as registerEstimate } from './estimate.js';
import { register as registerOptimize } from './optimize.js';
import { register as registerPlacebo } from './placebo.js';
import { register as registerProxy } from './proxy.js';
import { register as registerReport } from './report.js';
import { register as registerRun } from './run.js';
import { register as registerServeSim } from './serve-sim.js';

/** Each CLI command module exports a `register(program)`; list them here. */
export const commands: Array<(program: Command) => void> = [registerDemo, registerData, registerEval, registerOptimize, registerRun, registerServeSim, registerReport, registerProxy, registerEstimate, registerPlacebo];
