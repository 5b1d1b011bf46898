// The tasks a run can name (`--task`, a daemon's `task:`, a topology's `task.name`), one entry file per task
// beside the task itself. Adding a task to the CLI, the daemons and the simulator means adding its entry here.

import { ConfigError } from '@strata/shared';
import { voxelGridEntry } from '../radiance/federated/voxel-grid-entry.js';
import { gaussiansEntry } from '../radiance/federated/gaussians-entry.js';
import { bprMfEntry } from '../recsys/bpr-mf/bpr-mf-entry.js';
import { neuMfEntry } from '../recsys/neumf/neumf-entry.js';
import { sasrecEntry } from '../recsys/sasrec/sasrec-entry.js';
import { lirdEntry } from '../recsys/lird/lird-entry.js';
import { lightGcnEntry } from '../recsys/lightgcn/lightgcn-entry.js';
import { kgatEntry } from '../recsys/kgat/kgat-entry.js';
import type { TaskEntry } from './task-entry.js';

const registry = new Map<string, TaskEntry>(
  [bprMfEntry, neuMfEntry, sasrecEntry, lirdEntry, lightGcnEntry, kgatEntry, voxelGridEntry, gaussiansEntry].map((entry) => [
    entry.name,
    entry,
  ]),
);

export function taskNames(): string[] {
  return [...registry.keys()];
}

export function findTask(name: string): TaskEntry {
  const entry = registry.get(name);
  if (!entry) throw new ConfigError(`unknown task "${name}" (tasks: ${taskNames().join(', ')})`);
  return entry;
}
