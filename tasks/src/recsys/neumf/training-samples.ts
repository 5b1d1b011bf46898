// One epoch's training samples for NeuMF: every observed (user, item) with freshly sampled negatives,
// shuffled, as the batches of the configured loss.

import type { SeededRandom } from '@strata/shared';
import type { NeuMFLoss } from './neumf-config.js';
import type { NeuMFBatch } from './neumf-batch.js';
import type { NegativeSampler } from './negative-sampler.js';

export class TrainingSamples {
  private readonly users: Int32Array;
  private readonly items: Int32Array;
  /** Labels (pointwise) or negative items (pairwise), aligned with users/items. */
  private readonly labels: Float32Array;
  private readonly negatives: Int32Array;

  /**
   * For each positive (users[k], items[k]), `negatives` samples: pointwise, the positive labelled 1 and
   * `negatives` sampled items labelled 0; pairwise, `negatives` (user, positive, negative) triples.
   */
  constructor(
    readonly loss: NeuMFLoss,
    positives: { users: ArrayLike<number>; items: ArrayLike<number> },
    sampler: NegativeSampler,
    negatives: number,
    rng: SeededRandom,
  ) {
    const pointwise = loss === 'log';
    const perPositive = pointwise ? 1 + negatives : negatives;
    const n = positives.users.length * perPositive;
    this.users = new Int32Array(n);
    this.items = new Int32Array(n);
    this.labels = new Float32Array(pointwise ? n : 0);
    this.negatives = new Int32Array(pointwise ? 0 : n);
    let s = 0;
    for (let k = 0; k < positives.users.length; k++) {
      const u = positives.users[k];
      const i = positives.items[k];
      if (pointwise) {
        this.users[s] = u;
        this.items[s] = i;
        this.labels[s++] = 1;
      }
      for (let q = 0; q < negatives; q++) {
        this.users[s] = u;
        if (pointwise) {
          this.items[s] = sampler.sample(u, rng);
          this.labels[s++] = 0;
        } else {
          this.items[s] = i;
          this.negatives[s++] = sampler.sample(u, rng);
        }
      }
    }
    this.shuffle(rng);
  }

  get size(): number {
    return this.users.length;
  }

  /** Every item a sample refers to (positives and negatives), with repeats. */
  allItems(): Int32Array[] {
    return this.loss === 'log' ? [this.items] : [this.items, this.negatives];
  }

  /** Consecutive batches of at most `batchSize` samples (views, valid while this object lives). */
  *batches(batchSize: number): Generator<NeuMFBatch> {
    for (let from = 0; from < this.size; from += batchSize) {
      const to = Math.min(this.size, from + batchSize);
      const users = this.users.subarray(from, to);
      if (this.loss === 'log') {
        yield { kind: 'pointwise', users, items: this.items.subarray(from, to), labels: this.labels.subarray(from, to) };
      } else {
        yield { kind: 'pairwise', users, positives: this.items.subarray(from, to), negatives: this.negatives.subarray(from, to) };
      }
    }
  }

  /** Rewrites every item index through `map` (e.g. global item → a device's local row). */
  remapItems(map: (item: number) => number): void {
    for (const arr of this.allItems()) for (let k = 0; k < arr.length; k++) arr[k] = map(arr[k]);
  }

  private shuffle(rng: SeededRandom): void {
    for (let a = this.size - 1; a > 0; a--) {
      const b = rng.int(a + 1);
      swap(this.users, a, b);
      swap(this.items, a, b);
      if (this.labels.length > 0) swap(this.labels, a, b);
      if (this.negatives.length > 0) swap(this.negatives, a, b);
    }
  }
}

function swap(arr: Int32Array | Float32Array, a: number, b: number): void {
  const t = arr[a];
  arr[a] = arr[b];
  arr[b] = t;
}
