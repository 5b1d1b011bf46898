// Uniform negative sampling for implicit feedback: an item the user has not interacted with in training.

import { DataError, type SeededRandom } from '@strata/shared';

export class NegativeSampler {
  /**
   * `positives[u]` is user u's training items, sorted ascending (as UserSplit holds them). Every user
   * must leave at least one item unobserved.
   */
  constructor(
    readonly numItems: number,
    private readonly positives: readonly Int32Array[],
  ) {
    positives.forEach((items, u) => {
      if (items.length >= numItems) throw new DataError(`user ${u} interacted with all ${numItems} items: no negative to sample`);
    });
  }

  /** An item outside user u's positives, uniformly (rejection sampling: positives are a small share). */
  sample(user: number, rng: SeededRandom): number {
    const positives = this.positives[user];
    for (;;) {
      const item = rng.int(this.numItems);
      if (!containsSorted(positives, item)) return item;
    }
  }
}

function containsSorted(sorted: Int32Array, value: number): boolean {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid];
    if (v === value) return true;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}
