// The task a daemon runs, built from the registry as `strata run` builds it: the coordinator needs its initial
// model and evaluation, a device daemon its own partitions' trainers, an edge its checks of device updates and
// its renderer. Each daemon builds it with the parts of the run it decides, so that the task checks them there.

import { z } from 'zod';
import { dataSourceSchema, parseConfig, parseRunConfig, taskOptionValuesSchema, type FederatedTask, type RunConfig } from '@strata/shared';
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

/**
 * The parts of the run a daemon decides, which its task checks and may depend on. The coordinator decides the
 * schedule (radiance/gaussians stretches its density control to it), the downlink and the edges' clipping, and
 * sends them to the edges in every job; an edge or a device decides how it compresses what it uploads.
 */
export type DaemonRun = Partial<Pick<RunConfig, 'schedule' | 'downlink' | 'defences' | 'compression'>>;

/**
 * What the coordinator's jobs set, as a daemon that follows them builds its task: the settings no task refuses
 * (a lossless downlink, no clipping). The run's own are checked by the coordinator's task, which refuses a run
 * that breaks its task's needs before any job is sent; an edge takes the downlink and clipping from each job.
 */
const SET_BY_JOBS: DaemonRun = {
  downlink: { dtype: 'float32', rowFraction: 1, energy: 1, history: 4, entropy: 'brotli' },
  defences: { clipFactor: 0, updateClipFactor: 0, maxFailedRounds: 3 },
};

/** Splits a daemon's raw configuration into its task part and the rest (the tier's own options). */
export function splitTaskConfig(
  raw: Record<string, unknown>,
  keepSeed: boolean,
): { task: DaemonTaskConfig; rest: Record<string, unknown> } {
  const { task, data, taskOptions, seed, ...rest } = raw;
  const parsed = parseConfig(daemonTaskSchema, { task, data, taskOptions, seed }, 'task configuration');
  return { task: parsed, rest: keepSeed && seed !== undefined ? { ...rest, seed } : rest };
}

/** The task of `config`, built with `run`: the parts of the run this daemon decides (the rest as jobs set it). */
export async function buildDaemonTask(
  config: DaemonTaskConfig,
  run: DaemonRun = {},
): Promise<{ task: FederatedTask; taskOptions: Record<string, number> }> {
  const entry = findTask(config.task);
  const { task } = await entry.create(
    parseRunConfig({ task: config.task, data: config.data, seed: config.seed, taskOptions: config.taskOptions, ...SET_BY_JOBS, ...run }),
  );
  return { task, taskOptions: task.defaultOptions() };
}
