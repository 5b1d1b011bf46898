// The popularity baseline: every user gets the items ranked by how many users trained on them. Any
// personalised model must beat it (ml-100k, 80/20 per-user split: Recall@20 about 0.17).

import type { UserSplit } from './data/interactions.js';
import { evaluateRanking } from './evaluation/ranking-evaluation.js';

export class Popularity {
  /** Number of training users per item. */
  readonly counts: Float32Array;

  constructor(split: UserSplit) {
    this.counts = new Float32Array(split.numItems);
    for (const items of split.train) for (const item of items) this.counts[item]++;
  }

  /** A UserScorer: the same popularity scores for every user. */
  readonly scoreUser = (_user: number, out: Float32Array): void => {
    out.set(this.counts);
  };
}

/** Popularity's held-out ranking metrics on `split`: the floor every recommender's baselines table shows. */
export function popularityBaseline(split: UserSplit): Record<string, number> {
  return evaluateRanking(split, new Popularity(split).scoreUser);
}
