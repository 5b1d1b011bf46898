// Coordinate-wise trimmed mean (Yin et al. 2018): for each coordinate, drop the floor(beta * n) smallest
// and largest of the n updates' values and average the rest. Unweighted. Sparse rows: per row over the
// updates holding the row (n is then that row's count), `rowWeights` the summed weights as for FedAvg; a
// row held by fewer than `minRowSupport` updates (default 3) is not updated this time. apply() is FedAvg's.

import { z } from 'zod';
import type { ModelUpdate } from '../model.js';
import { combineUpdates } from '../aggregation/combine-updates.js';
import { trimmedMeanTensor } from '../aggregation/coordinate-trimmed-mean.js';
import { FedAvg, fedAvgOptionsSchema } from './fed-avg.js';
import { minRowSupportSchema } from './median.js';
import { parseOptions } from '../../config/parse-options.js';

export const trimmedMeanOptionsSchema = fedAvgOptionsSchema.extend({
  /** Fraction trimmed from each end, in [0, 0.5). 0.2 as in Flower's FedTrimmedAvg. */
  beta: z.number().min(0).lt(0.5).default(0.2).describe('fraction trimmed from each end, in [0, 0.5)'),
  minRowSupport: minRowSupportSchema,
});
export type TrimmedMeanOptions = z.input<typeof trimmedMeanOptionsSchema>;

export class TrimmedMean extends FedAvg {
  override readonly name: string = 'trimmed-mean';
  readonly beta: number;
  readonly minRowSupport: number;

  constructor(options: TrimmedMeanOptions = {}) {
    const { serverLr, beta, minRowSupport } = parseOptions('strategy "trimmed-mean"', trimmedMeanOptionsSchema, options);
    super({ serverLr });
    this.beta = beta;
    this.minRowSupport = minRowSupport;
  }

  override aggregate(updates: readonly ModelUpdate[]): ModelUpdate {
    const beta = this.beta;
    return combineUpdates(updates, (group) => trimmedMeanTensor(group, (count) => Math.floor(beta * count), this.minRowSupport));
  }
}
