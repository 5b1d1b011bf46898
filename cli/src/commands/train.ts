// `strata train <family>`: centralized training of a task's model (the baseline federated runs compare
// with), writing a run record like every run.

import type { Command } from 'commander';
import { register as registerRadiance } from './train-radiance.js';
import { register as registerRecsys } from './train-recsys.js';

export function register(program: Command): void {
  const train = program.command('train').description('train a model centrally (the baseline for federated runs)');
  registerRecsys(train);
  registerRadiance(train);
}
