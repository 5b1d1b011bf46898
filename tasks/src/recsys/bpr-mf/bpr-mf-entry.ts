// `--task recsys/bpr-mf`: federated BPR-MF on the configured interactions; baselines: centralized BPR-MF on
// the same split, and popularity.

import type { RunConfig } from '@strata/shared';
import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { popularityBaseline } from '../popularity.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { BprMfTask } from './bpr-mf-task.js';
import { bprMfOptionsSchema } from './bpr-mf-task-options.js';
import { CentralizedBprTrainer } from './centralized-bpr-trainer.js';

function bprMfTask(config: RunConfig): BprMfTask {
  return BprMfTask.fromInteractions(loadConfiguredInteractions(config.data), { ...config.taskOptions, seed: config.seed });
}

export const bprMfEntry: TaskEntry = {
  name: 'recsys/bpr-mf',
  summary: "federated BPR matrix factorisation: a user's embedding stays on the device, item rows federate sparsely",
  headlineMetrics: ['recall@20', 'ndcg@20'],
  options: bprMfOptionsSchema,
  async create(config) {
    return { task: bprMfTask(config), environment: {} };
  },
  async baselines(config, progress) {
    const task = bprMfTask(config);
    // One thread: Hogwild over two moves Recall@20 by about 0.002 between identical runs, as much as the gaps
    // the report colours; the baseline must be the same number every time for a seed.
    const trainer = new CentralizedBprTrainer(task.split, { seed: config.seed, dim: task.options.dim, threads: 1 });
    progress.start(trainer.options.epochs, 'centralized BPR-MF');
    const model = await trainer.train((p) => progress.tick(`loss ${p.loss.toFixed(4)}, ${Math.round(p.triplesPerSecond)} triples/s`));
    return {
      'centralized BPR-MF': evaluateRanking(task.split, model.scoreUser),
      popularity: popularityBaseline(task.split),
    };
  },
};
