// The factory the CLI calls to build a recommender task by name from a data source and options.

import { ConfigError } from '@strata/shared';
import type { FederatedTask } from '@strata/shared';
import type { InteractionSource } from './data/interaction-source.js';
import { loadInteractions } from './data/load-interactions.js';
import { BprMfTask } from './bpr-mf/bpr-mf-task.js';
import type { BprMfTaskOptions } from './bpr-mf/bpr-mf-task-options.js';

export type RecsysTaskName = 'bpr-mf';

/**
 * `data`: where the interactions come from (see InteractionSource); every other field is optional and
 * defaults as in DEFAULT_BPR_MF_TASK_OPTIONS: seed (split, initialisation, sampling), dim, testFraction,
 * initStd, itemBias, reg, negatives, userOptimizer, userLearningRate, itemOptimizer, itemLearningRate,
 * rowWeights ('count' | 'one'), ks.
 */
export interface RecsysTaskOptions extends Partial<BprMfTaskOptions> {
  readonly data: InteractionSource;
}

export function createRecsysTask(name: RecsysTaskName, options: RecsysTaskOptions): FederatedTask {
  const { data, ...rest } = options;
  switch (name) {
    case 'bpr-mf':
      return BprMfTask.fromInteractions(loadInteractions(data), rest);
    default:
      throw new ConfigError(`unknown recsys task ${JSON.stringify(name)} (expected bpr-mf)`);
  }
}
