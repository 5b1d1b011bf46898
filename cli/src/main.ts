// The `strata` command line (bin/strata.js runs it): hierarchical runs, centralized training, rendering, the
// daemons, the simulator, run comparison, and the tasks' options. Errors with a code (StrataError) print one
// clear line and exit 2; anything else is a bug and prints its stack.
// Each command's module is imported only when that command runs (all of them for the overall help): a device
// process must not pay for the embedded runtime, the simulator or TensorFlow.js at start-up.

import { Command } from 'commander';
import { registerNodeEntropyCodecs } from '@strata/runtime/entropy';
import { StrataError } from '@strata/shared';

type Registrar = () => Promise<{ register(program: Command): void }>;

/** The commands by name, in the order `strata --help` lists them; the first is the default. */
const COMMANDS: Readonly<Record<string, Registrar>> = {
  run: () => import('./commands/run.js'),
  train: () => import('./commands/train.js'),
  simulate: () => import('./commands/simulate.js'),
  compare: () => import('./commands/compare.js'),
  game: () => import('./commands/game.js'),
  coordinator: () => import('./commands/coordinator.js'),
  edge: () => import('./commands/edge.js'),
  device: () => import('./commands/device.js'),
  render: () => import('./commands/render.js'),
  view: () => import('./commands/view.js'),
  'view-simulate': () => import('./commands/view-simulate.js'),
  splats: () => import('./commands/splats.js'),
  tasks: () => import('./commands/tasks.js'),
  credentials: () => import('./commands/credentials.js'),
};

// Every command compresses and reads frames with node:zlib's brotli (the links' entropy stage).
registerNodeEntropyCodecs();

const program = new Command('strata')
  .description('Strata: hierarchical (device → edge → cloud) federated learning for recommenders and radiance fields')
  .showHelpAfterError();
const named = process.argv[2];
const wanted = named !== undefined && Object.hasOwn(COMMANDS, named) ? [named] : Object.keys(COMMANDS);
for (const name of wanted) (await COMMANDS[name]()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof StrataError) {
    process.stderr.write(`strata: ${error.message} (${error.code})\n`);
    process.exit(2);
  }
  throw error;
}
