// `--task recsys/bpr-mf`: federated BPR-MF on the configured interactions; baselines: centralized BPR-MF on
// the same split, and popularity.

import type { RunConfig } from '@strata/shared';
import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { popularityBaseline } from '../popularity.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { checkTaskOptions } from '../../registry/check-task-options.js';
import { BprMfTask } from './bpr-mf-task.js';
import { CentralizedBprTrainer } from './centralized-bpr-trainer.js';

function bprMfTask(config: RunConfig): BprMfTask {
  const dim = config.taskOptions.dim;
  return BprMfTask.fromInteractions(loadConfiguredInteractions(config.data), { seed: config.seed, ...(dim !== undefined ? { dim } : {}) });
}

export const bprMfEntry: TaskEntry = {
  name: 'recsys/bpr-mf',
  summary: 'federated BPR matrix factorisation: a user\'s embedding stays on the device, item rows federate sparsely',
  headlineMetrics: ['recall@20', 'ndcg@20'],
  async create(config) {
    const task = bprMfTask(config);
    checkTaskOptions(task, config.taskOptions, ['dim']);
    return { task, environment: {} };
  },
  async baselines(config, progress) {
    const task = bprMfTask(config);
    const trainer = new CentralizedBprTrainer(task.split, { seed: config.seed, dim: task.options.dim });
    progress.start(trainer.options.epochs, 'centralized BPR-MF');
    const model = await trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}, ${Math.round(p.triplesPerSecond)} triples/s`));
    return {
      'centralized BPR-MF': evaluateRanking(task.split, model.scoreUser),
      popularity: popularityBaseline(task.split),
    };
  },
};
