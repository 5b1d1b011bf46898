// One pass of BPR over a shard of the training positives: shuffle the shard, and for each positive (u, i)
// take `negatives` triples (u, i, j) with j sampled outside u's training items. Shared by the in-thread
// trainer and the worker_threads (Hogwild) workers.

import type { SeededRandom } from '@strata/shared';
import type { BprKernel } from './bpr-kernel.js';
import type { UserItemIndex } from './user-item-index.js';

export interface EpochShard {
  /** Positive pairs: pairUsers[p], pairItems[p]. */
  readonly pairUsers: Int32Array;
  readonly pairItems: Int32Array;
  /** This shard's positions in the pair arrays, reshuffled in place every epoch. */
  readonly order: Int32Array;
}

export function runEpochShard(
  kernel: BprKernel,
  index: UserItemIndex,
  shard: EpochShard,
  negatives: number,
  random: SeededRandom,
): { loss: number; triples: number } {
  const { pairUsers, pairItems, order } = shard;
  random.shuffle(order);
  let loss = 0;
  for (let p = 0; p < order.length; p++) {
    const pair = order[p];
    const u = pairUsers[pair];
    const i = pairItems[pair];
    for (let n = 0; n < negatives; n++) loss += kernel.step(u, i, index.sampleNegative(u, random));
  }
  return { loss, triples: order.length * negatives };
}
