// `strata tasks [name]`: the tasks a run can name, and every option of one (key, default, description), read
// from the task's option schema.

import type { Command } from 'commander';
import { addExamples, taskOptionsHelp, tasksHelp } from '../console/help-text.js';

export function register(program: Command): void {
  const command = program
    .command('tasks [name]')
    .description('list the tasks a run can learn, or the options of one')
    .action((name: string | undefined) => {
      process.stdout.write(`${name === undefined ? tasksHelp() : taskOptionsHelp(name)}\n`);
    });
  addExamples(command, ['strata tasks', 'strata tasks recsys/bpr-mf', 'strata tasks radiance/voxel-grid']);
}
