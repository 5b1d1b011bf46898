// Coordinate-wise median (Yin et al. 2018, "Byzantine-Robust Distributed Learning"): each coordinate of
// the combined delta is the median of the updates' values for it (the mean of the two middle values for
// an even count), so fewer than half the updates cannot drag it arbitrarily far. Unweighted. Sparse
// rows: per row over the updates holding the row, `rowWeights` the summed weights as for FedAvg; a row
// held by fewer than `minRowSupport` updates (default 3) is not updated this time, so no row is decided by
// one device (with 3 holders, one attacker's value is bounded by the two honest ones). apply() is FedAvg's.

import { z } from 'zod';
import type { ModelUpdate } from '../model.js';
import { combineUpdates } from '../aggregation/combine-updates.js';
import { trimmedMeanTensor } from '../aggregation/coordinate-trimmed-mean.js';
import { FedAvg, fedAvgOptionsSchema } from './fed-avg.js';
import { parseOptions } from '../../config/parse-options.js';

/** Rows sent by fewer updates are left unchanged by the robust statistics (see the file headers). */
export const minRowSupportSchema = z
  .number()
  .int()
  .min(1)
  .default(3)
  .describe('sparse rows held by fewer updates are not updated this time (1: every row, as sent)');

export const medianOptionsSchema = fedAvgOptionsSchema.extend({ minRowSupport: minRowSupportSchema });
export type MedianOptions = z.input<typeof medianOptionsSchema>;

/** The median is the mean of what is left after trimming all but the middle one or two values. */
const middle = (count: number): number => Math.floor((count - 1) / 2);

export class Median extends FedAvg {
  override readonly name: string = 'median';

  readonly minRowSupport: number;

  constructor(options: MedianOptions = {}) {
    const { serverLr, minRowSupport } = parseOptions('strategy "median"', medianOptionsSchema, options);
    super({ serverLr });
    this.minRowSupport = minRowSupport;
  }

  override aggregate(updates: readonly ModelUpdate[]): ModelUpdate {
    return combineUpdates(updates, (group) => trimmedMeanTensor(group, middle, this.minRowSupport));
  }
}
