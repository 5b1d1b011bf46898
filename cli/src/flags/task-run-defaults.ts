// A task's own defaults for run settings the run's configuration leaves unset (TaskEntry.runDefaults; the
// radiance tasks run with per-row norm clipping off). `strata run` and the coordinator apply them before their
// configuration is parsed, so a flag, the environment or a config file still wins.

import { findTask } from '@strata/tasks';

/** `defences` (the run configuration's, as given) with the task's clip factor where none was given. */
export function defencesWithTaskDefaults(taskName: string, defences: unknown): unknown {
  const clipFactor = findTask(taskName).runDefaults?.clipFactor;
  if (clipFactor === undefined) return defences;
  if (defences === undefined) return { clipFactor };
  // Anything but an object is left for the configuration's parser to refuse by name.
  if (typeof defences !== 'object' || defences === null || Array.isArray(defences)) return defences;
  return 'clipFactor' in defences && (defences as { clipFactor?: unknown }).clipFactor !== undefined
    ? defences
    : { ...defences, clipFactor };
}
