// `--task recsys/lird`: federated LIRD on the configured rating logs; baselines in the same simulator:
// centralized LIRD, BPR-MF's greedy lists and popularity's (cumulative list-wise reward per episode).

import type { RunConfig } from '@strata/shared';
import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { LirdCentralizedTrainer } from './lird-centralized-trainer.js';
import { lirdOptionsSchema } from './lird-options.js';
import { LirdTask } from './lird-task.js';

function lirdTask(config: RunConfig): Promise<LirdTask> {
  return LirdTask.fromInteractions(loadConfiguredInteractions(config.data), { ...config.taskOptions, seed: config.seed });
}

export const lirdEntry: TaskEntry = {
  name: 'recsys/lird',
  summary: "federated LIRD (list-wise actor-critic against a memory-based user simulator): each device's episodes are its own user's",
  headlineMetrics: ['reward'],
  options: lirdOptionsSchema,
  async create(config) {
    const task = await lirdTask(config);
    // How far to trust every reward in the run: the simulator's error on the held-out ratings, in the run record.
    return { task, environment: { simulatorFidelity: { ...task.environment.fidelity() } } };
  },
  async baselines(config, progress) {
    const { environment } = await lirdTask(config);
    progress.start(environment.options.epochs, 'centralized LIRD');
    const weights = new LirdCentralizedTrainer(environment).train((p) =>
      progress.tick(`LIRD reward ${p.trainingReward.toFixed(3)} while exploring`),
    );
    return {
      'centralized LIRD': { reward: environment.meanReward(environment.actorPolicy(weights)) },
      ...Object.fromEntries(Object.entries(environment.baselineRewards()).map(([name, reward]) => [name, { reward }])),
    };
  },
};
