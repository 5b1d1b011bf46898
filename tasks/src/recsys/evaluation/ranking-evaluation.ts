// Held-out full-ranking evaluation of any recommender that can score every item for a user: the protocol
// every recsys task and baseline in Strata reports (recall@K, ndcg@K, hit@K, mrr@K).

import type { EvaluationSums } from '@strata/shared';
import { ConfigError } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';
import { metricsFromSums } from './evaluation-sums.js';
import { addUserRanking, checkCutoffs } from './user-ranking.js';

/** Fills `out` (length numItems) with the user's score for every item; higher ranks first. */
export type UserScorer = (user: number, out: Float32Array) => void;

export interface RankingEvaluationOptions {
  /** Cut-offs; default [10, 20]. */
  readonly ks?: readonly number[];
  /** Evaluate only these users (default: all). Users without test items are skipped either way. */
  readonly users?: Iterable<number>;
}

/**
 * Metric sums over the users (those with at least one test item), ranking all items outside each user's
 * training set. `count` is the number of users evaluated.
 */
export function evaluateRankingSums(split: UserSplit, scoreUser: UserScorer, options: RankingEvaluationOptions = {}): EvaluationSums {
  const ks = options.ks ?? [10, 20];
  checkCutoffs(ks);
  const scores = new Float32Array(split.numItems);
  const sums: Record<string, number> = {};
  let count = 0;
  for (const user of options.users ?? range(split.numUsers)) {
    if (!Number.isInteger(user) || user < 0 || user >= split.numUsers) {
      throw new ConfigError(`user ${user} is out of range [0, ${split.numUsers})`);
    }
    if (split.test[user].length === 0) continue;
    scores.fill(0);
    scoreUser(user, scores);
    if (addUserRanking(scores, split.train[user], split.test[user], ks, sums)) count++;
  }
  return { count, sums };
}

/** Mean metrics over the users with at least one test item (see evaluateRankingSums). */
export function evaluateRanking(split: UserSplit, scoreUser: UserScorer, options: RankingEvaluationOptions = {}): Record<string, number> {
  return metricsFromSums(evaluateRankingSums(split, scoreUser, options));
}

function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}
