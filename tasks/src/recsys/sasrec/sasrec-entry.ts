// `--task recsys/sasrec`: federated SASRec on the configured interactions, leave-one-out by timestamp;
// baselines on the same split: centralized SASRec, centralized BPR-MF and popularity.

import type { RunConfig } from '@strata/shared';
import { LEAVE_ONE_OUT_BPR_OPTIONS } from '../bpr-mf/centralized-bpr-options.js';
import { CentralizedBprTrainer } from '../bpr-mf/centralized-bpr-trainer.js';
import { loadConfiguredInteractions } from '../data/interaction-source-config.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { popularityBaseline } from '../popularity.js';
import type { TaskEntry } from '../../registry/task-entry.js';
import { SasrecCentralizedTrainer } from './sasrec-centralized-trainer.js';
import { sasrecOptionsSchema } from './sasrec-options.js';
import { SasrecTask } from './sasrec-task.js';

function sasrecTask(config: RunConfig): SasrecTask {
  return SasrecTask.fromInteractions(loadConfiguredInteractions(config.data), { ...config.taskOptions, seed: config.seed });
}

export const sasrecEntry: TaskEntry = {
  name: 'recsys/sasrec',
  summary: 'federated SASRec (self-attentive sequential recommendation): each device trains on its own history',
  headlineMetrics: ['hit@10', 'ndcg@10'],
  options: sasrecOptionsSchema,
  async create(config) {
    return { task: sasrecTask(config), environment: {} };
  },
  async baselines(config, progress) {
    const task = sasrecTask(config);
    const ks = task.options.ks;
    const sasrec = new SasrecCentralizedTrainer(task.split, task.options);
    const bpr = new CentralizedBprTrainer(task.split, { ...LEAVE_ONE_OUT_BPR_OPTIONS, seed: config.seed, threads: 1 });
    progress.start(sasrec.options.epochs + bpr.options.epochs, 'centralized SASRec, then BPR-MF');
    const sasrecModel = sasrec.train((p) => progress.tick(`SASRec loss ${p.loss.toFixed(4)}`));
    const bprModel = await bpr.train((p) => progress.tick(`BPR-MF loss ${p.loss.toFixed(4)}`));
    return {
      'centralized SASRec': evaluateRanking(task.split, sasrecModel.scoreUser, { ks }),
      'centralized BPR-MF': evaluateRanking(task.split, bprModel.scoreUser, { ks }),
      popularity: popularityBaseline(task.split),
    };
  },
};
