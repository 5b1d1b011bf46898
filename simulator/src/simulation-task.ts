// The federated task a topology trains: on synthetic data with planted structure (generated for the
// topology's devices, with the planted scorer and popularity as reference levels), or on a data file through
// the CLI's task registry, exactly as `strata run` builds it.

import { ConfigError, type FederatedTask } from '@strata/shared';
import { BprMfTask, Popularity, evaluateRanking, generateSyntheticRecsysData } from '@strata/tasks';
import { parseRunConfig } from '@strata/shared';
import { findTask } from '@strata/tasks';
import { deviceCount } from './device-plan.js';
import type { Topology } from './topology-schema.js';

export interface SimulationTask {
  readonly task: FederatedTask;
  readonly environment: Record<string, unknown>;
  /** Reference results on the same split (e.g. the planted scores and popularity for synthetic data). */
  readonly baselines: Record<string, Record<string, number>>;
}

export async function createSimulationTask(topology: Topology): Promise<SimulationTask> {
  const { name, data, options } = topology.task;
  const seed = topology.seed;
  if (data.synthetic) {
    if (name !== 'recsys/bpr-mf') {
      throw new ConfigError(`task.data.synthetic: synthetic data feeds recsys/bpr-mf, not task.name "${name}"`);
    }
    const synthetic = generateSyntheticRecsysData({ ...data.synthetic, users: data.synthetic.users ?? deviceCount(topology), seed });
    const task = BprMfTask.fromInteractions(synthetic.interactions, { ...options, seed });
    return {
      task,
      environment: {},
      baselines: {
        'planted scores': evaluateRanking(task.split, synthetic.plantedScorer),
        popularity: evaluateRanking(task.split, new Popularity(task.split).scoreUser),
      },
    };
  }
  const config = parseRunConfig({
    task: name,
    seed,
    taskOptions: options,
    downlink: topology.downlink,
    ...(data.file ? { data: data.file } : {}),
    baselines: false,
  });
  const { task, environment } = await findTask(name).create(config);
  return { task, environment, baselines: {} };
}
