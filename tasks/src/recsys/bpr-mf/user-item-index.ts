// Each user's training items in one compressed-sparse-row structure (shareable across worker_threads), for
// the membership test behind negative sampling.

import type { SeededRandom } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';

export class UserItemIndex {
  constructor(
    readonly numItems: number,
    /** offsets[u] .. offsets[u + 1] delimit user u's sorted items. */
    readonly offsets: Int32Array,
    readonly items: Int32Array,
  ) {}

  /** The training items of a split, in SharedArrayBuffers so workers can read them without copies. */
  static fromSplit(split: UserSplit): UserItemIndex {
    const offsets = new Int32Array(new SharedArrayBuffer(4 * (split.numUsers + 1)));
    for (let u = 0; u < split.numUsers; u++) offsets[u + 1] = offsets[u] + split.train[u].length;
    const items = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, offsets[split.numUsers])));
    for (let u = 0; u < split.numUsers; u++) items.set(split.train[u], offsets[u]);
    return new UserItemIndex(split.numItems, offsets, items);
  }

  /**
   * A uniformly random item that user u has not trained on (rejection sampling; a user who trained on
   * nearly every item gets any item after 64 rejections rather than looping).
   */
  sampleNegative(u: number, random: SeededRandom): number {
    return sampleOutside(this.items, this.offsets[u], this.offsets[u + 1], this.numItems, random);
  }
}

/** A uniform item in [0, numItems) not in sorted[lo, hi) (any item after 64 rejections). */
export function sampleOutside(sorted: Int32Array, lo: number, hi: number, numItems: number, random: SeededRandom): number {
  let candidate = 0;
  for (let attempt = 0; attempt < 64; attempt++) {
    candidate = random.int(numItems);
    let a = lo;
    let b = hi - 1;
    let found = false;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      const v = sorted[mid];
      if (v === candidate) {
        found = true;
        break;
      }
      if (v < candidate) a = mid + 1;
      else b = mid - 1;
    }
    if (!found) return candidate;
  }
  return candidate;
}
