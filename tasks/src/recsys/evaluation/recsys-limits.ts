// What a device of a recommender task (one user's data) can truthfully send: the edge clips or refuses the rest.

import type { TaskLimits } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';
import { rankingMetricNames } from './user-ranking.js';

/**
 * A device's weight is its training positives, at most the largest user's. An item row is touched at most
 * once per local epoch as a positive and `negatives` times per positive as a sampled negative, so its touch
 * count (the row weight) is at most localSteps × (1 + negatives × positives); with row weights 'one', 1. A
 * device evaluates its one user, every ranking metric in [0, 1].
 */
export function recsysLimits(
  split: UserSplit,
  localSteps: number,
  negatives: number,
  rowWeights: 'count' | 'one',
  ks: readonly number[],
): TaskLimits {
  const maxDeviceWeight = split.train.reduce((most, items) => Math.max(most, items.length), 0);
  return {
    maxDeviceWeight,
    maxRowWeight: rowWeights === 'one' ? { base: 1, perWeight: 0 } : { base: localSteps, perWeight: localSteps * negatives },
    maxEvaluationCount: 1,
    metricRanges: Object.fromEntries(rankingMetricNames(ks).map((name) => [name, [0, 1] as [number, number]])),
  };
}
