// Krum and Multi-Krum (Blanchard et al. 2017, "Machine Learning with Adversaries: Byzantine Tolerant
// Gradient Descent"). With n updates of which at most f are Byzantine, each update's score is the sum of
// its squared distances to its n - f - 2 nearest other updates; Krum keeps the update with the lowest
// score, Multi-Krum the `keep` lowest, and the combined update is their FedAvg weighted mean. Needs
// n >= f + 3 (the paper's guarantee needs n > 2f + 2).
//
// Distances are over the whole model; sparse rows count as the dense tensor they stand for, zeros in the
// rows left out (and a missing tensor as all zeros), since a delta that does not touch a row moves it by
// zero. The combined weight and metrics are the kept updates' sums: the rejected ones' claimed sample
// counts must not carry weight at a higher tier. apply() is FedAvg's.

import { z } from 'zod';
import { rowSize, type ModelUpdate, type TensorValue } from '../model.js';
import { combineUpdates } from '../aggregation/combine-updates.js';
import { squaredDistance } from '../aggregation/squared-distance.js';
import { groupTensors } from '../aggregation/tensor-groups.js';
import { weightedMeanTensor } from '../aggregation/weighted-mean-tensor.js';
import { FedAvg, fedAvgOptionsSchema } from './fed-avg.js';
import { parseOptions } from '../../config/parse-options.js';

export const krumOptionsSchema = fedAvgOptionsSchema.extend({
  byzantine: z.number().int().min(0).default(0).describe('f: how many of the updates may be Byzantine'),
  keep: z.number().int().min(1).default(1).describe('updates kept: 1 is Krum, more is Multi-Krum'),
});
export type KrumOptions = z.input<typeof krumOptionsSchema>;

/** distances[i * n + j] = squared distance between updates i and j over all tensors. */
function pairwiseSquaredDistances(updates: readonly ModelUpdate[]): Float64Array {
  const n = updates.length;
  const distances = new Float64Array(n * n);
  for (const group of groupTensors(updates)) {
    const byUpdate: (TensorValue | undefined)[] = new Array(n).fill(undefined);
    group.updateIndex.forEach((u, e) => {
      byUpdate[u] = group.values[e];
    });
    const width = rowSize(group.shape);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const d = squaredDistance(byUpdate[i], byUpdate[j], width);
        distances[i * n + j] += d;
        distances[j * n + i] += d;
      }
    }
  }
  return distances;
}

export class Krum extends FedAvg {
  override readonly name: string = 'krum';
  readonly byzantine: number;
  readonly keep: number;

  constructor(options: KrumOptions = {}) {
    const { serverLr, byzantine, keep } = parseOptions('strategy "krum"', krumOptionsSchema, options);
    super({ serverLr });
    this.byzantine = byzantine;
    this.keep = keep;
  }

  override aggregate(updates: readonly ModelUpdate[]): ModelUpdate {
    return combineUpdates(
      this.select(updates).map((i) => updates[i]),
      weightedMeanTensor,
    );
  }

  /** Indices (ascending) of the updates Krum keeps. */
  select(updates: readonly ModelUpdate[]): number[] {
    const n = updates.length;
    const f = this.byzantine;
    const neighbours = n - f - 2;
    if (neighbours < 1) {
      throw new RangeError(`krum with byzantine=${f} needs at least ${f + 3} updates, got ${n}`);
    }
    if (this.keep > n - f) {
      throw new RangeError(`krum cannot keep ${this.keep} of ${n} updates with byzantine=${f} (at most ${n - f})`);
    }
    const distances = pairwiseSquaredDistances(updates);
    const scores = new Float64Array(n);
    const others = new Float64Array(n - 1);
    for (let i = 0; i < n; i++) {
      let k = 0;
      for (let j = 0; j < n; j++) if (j !== i) others[k++] = distances[i * n + j];
      others.sort();
      for (let q = 0; q < neighbours; q++) scores[i] += others[q];
    }
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
    return order.slice(0, this.keep).sort((a, b) => a - b);
  }
}
