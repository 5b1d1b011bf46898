// `--task recsys/lightgcn`: federated LightGCN on the configured interactions; baselines: centralized
// LightGCN on the same split, and popularity.

import type { RunConfig } from '@strata/shared';
import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { popularityBaseline } from '../popularity.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { requireLosslessDownlink } from './lossless-downlink.js';
import { centralizedLightGcn } from './centralized-lightgcn.js';
import { LightGcnTask } from './lightgcn-task.js';
import { lightGcnOptionsSchema } from './lightgcn-task-options.js';

function lightGcnTask(config: RunConfig): LightGcnTask {
  return LightGcnTask.fromInteractions(loadConfiguredInteractions(config.data), { ...config.taskOptions, seed: config.seed });
}

export const lightGcnEntry: TaskEntry = {
  name: 'recsys/lightgcn',
  summary: "federated LightGCN: a user's embedding and interactions stay on the device; item rows and item-side neighbour sums federate",
  headlineMetrics: ['recall@20', 'ndcg@20'],
  options: lightGcnOptionsSchema,
  async create(config) {
    requireLosslessDownlink(config, this.name);
    return { task: lightGcnTask(config), environment: {} };
  },
  async baselines(config, progress) {
    const task = lightGcnTask(config);
    const { dim, layers, centralizedEpochs } = task.options;
    const trainer = centralizedLightGcn(task.split, { dim, layers, epochs: centralizedEpochs }, config.seed);
    progress.start(centralizedEpochs, 'centralized LightGCN');
    const model = await trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}, ${Math.round(p.triplesPerSecond)} triples/s`));
    return {
      'centralized LightGCN': evaluateRanking(task.split, model.scoreUser),
      popularity: popularityBaseline(task.split),
    };
  },
};
