// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning"): each coordinate of
// the combined delta is the median of the updates' values for it (the mean of the two middle values for
// an even count), so fewer than half the updates cannot drag it arbitrarily far. Unweighted. Sparse
// rows: per row over the updates holding the row, `rowWeights` the summed weights as for FedAvg.
// apply() is FedAvg's.

import type { ModelUpdate } from '../model.js';
import { combineUpdates } from '../aggregation/combine-updates.js';
import { trimmedMeanTensor } from '../aggregation/coordinate-trimmed-mean.js';
import { FedAvg, fedAvgOptionsSchema, type FedAvgOptions } from './fed-avg.js';
import { parseOptions } from '../../config/parse-options.js';

export type MedianOptions = FedAvgOptions;

/** The median is the mean of what is left after trimming all but the middle one or two values. */
const middle = (count: number): number => Math.floor((count - 1) / 2);

export class Median extends FedAvg {
  override readonly name: string = 'median';

  constructor(options: MedianOptions = {}) {
    super(parseOptions('strategy "median"', fedAvgOptionsSchema, options));
  }

  override aggregate(updates: readonly ModelUpdate[]): ModelUpdate {
    return combineUpdates(updates, (group) => trimmedMeanTensor(group, middle));
  }
}
