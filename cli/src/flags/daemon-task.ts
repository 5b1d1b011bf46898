// The task a daemon runs, built from the registry as `strata run` builds it: the coordinator needs its initial
// model and evaluation, a device daemon its own partitions' trainers.

import { z } from 'zod';
import { dataSourceSchema, parseConfig, parseRunConfig, taskOptionValuesSchema, type FederatedTask } from '@strata/shared';
import { findTask } from '@strata/tasks/registry';

export const daemonTaskSchema = z
  .object({
    task: z.string().default('recsys/bpr-mf'),
    data: dataSourceSchema.default({ badRows: 'fail' }),
    taskOptions: taskOptionValuesSchema.default({}),
    seed: z.number().int().min(0).default(0),
  })
  .strict();

export type DaemonTaskConfig = z.output<typeof daemonTaskSchema>;

/** Splits a daemon's raw configuration into its task part and the rest (the tier's own options). */
export function splitTaskConfig(
  raw: Record<string, unknown>,
  keepSeed: boolean,
): { task: DaemonTaskConfig; rest: Record<string, unknown> } {
  const { task, data, taskOptions, seed, ...rest } = raw;
  const parsed = parseConfig(daemonTaskSchema, { task, data, taskOptions, seed }, 'task configuration');
  return { task: parsed, rest: keepSeed && seed !== undefined ? { ...rest, seed } : rest };
}

export async function buildDaemonTask(config: DaemonTaskConfig): Promise<{ task: FederatedTask; taskOptions: Record<string, number> }> {
  const entry = findTask(config.task);
  const { task } = await entry.create(
    parseRunConfig({ task: config.task, data: config.data, seed: config.seed, taskOptions: config.taskOptions }),
  );
  return { task, taskOptions: task.defaultOptions() };
}
