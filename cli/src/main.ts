// The `strata` command line (bin/strata.js runs it): hierarchical runs, centralized training, rendering, the
// daemons, the simulator, run comparison, and the tasks' options. Errors with a code (StrataError) print one
// clear line and exit 2; anything else is a bug and prints its stack.

import { Command } from 'commander';
import { StrataError } from '@strata/shared';
import { register as registerRun } from './commands/run.js';
import { register as registerTrain } from './commands/train.js';
import { register as registerSimulate } from './commands/simulate.js';
import { register as registerCompare } from './commands/compare.js';
import { register as registerCoordinator } from './commands/coordinator.js';
import { register as registerEdge } from './commands/edge.js';
import { register as registerDevice } from './commands/device.js';
import { register as registerRender } from './commands/render.js';
import { register as registerTasks } from './commands/tasks.js';

const program = new Command('strata')
  .description('Strata: hierarchical (device → edge → cloud) federated learning for recommenders and radiance fields')
  .showHelpAfterError();
registerRun(program);
registerTrain(program);
registerSimulate(program);
registerCompare(program);
registerCoordinator(program);
registerEdge(program);
registerDevice(program);
registerRender(program);
registerTasks(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof StrataError) {
    process.stderr.write(`strata: ${error.message} (${error.code})\n`);
    process.exit(2);
  }
  throw error;
}
