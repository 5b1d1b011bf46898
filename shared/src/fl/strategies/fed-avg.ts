// FedAvg (McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized
// Data"), and the base the other strategies extend.
//
// Updates are deltas (local model minus the base model). aggregate(): dense tensors by the mean weighted
// by each update's weight (its sample count); sparse rows per row over only the updates holding the row,
// weighted by the row's `rowWeights` entry if present, else the update weight; the result's rows are the
// sorted union and its `rowWeights` the summed weights, so a higher tier can weight it again. A tensor
// dense in one update and sparse in another: the dense one holds every row, so the result is sparse rows
// covering the whole table. A tensor missing from an update: that update holds none of its rows. The
// combined weight is the sum of the weights, each metric the sum of its values.
// apply(): model += serverLr * delta.

import { z } from 'zod';
import { combineUpdates } from '../aggregation/combine-updates.js';
import { forEachDeltaSlice } from '../aggregation/delta-slices.js';
import { weightedMeanTensor } from '../aggregation/weighted-mean-tensor.js';
import type { ModelParams, ModelUpdate } from '../model.js';
import type { Strategy } from '../strategy.js';
import { parseOptions } from '../../config/parse-options.js';

/** The server learning rate: how far one round's combined delta moves the model. */
export const serverLrOption = z
  .number()
  .positive()
  .default(1)
  .describe("server learning rate: how far a round's combined delta moves the model");

export const fedAvgOptionsSchema = z.strictObject({ serverLr: serverLrOption });
export type FedAvgOptions = z.input<typeof fedAvgOptionsSchema>;

export class FedAvg implements Strategy {
  readonly name: string = 'fedavg';
  readonly serverLr: number;

  constructor(options: FedAvgOptions = {}) {
    this.serverLr = parseOptions('strategy "fedavg"', fedAvgOptionsSchema, options).serverLr;
  }

  aggregate(updates: readonly ModelUpdate[]): ModelUpdate {
    return combineUpdates(updates, weightedMeanTensor);
  }

  apply(model: ModelParams, combined: ModelUpdate): ModelParams {
    const lr = this.serverLr;
    forEachDeltaSlice(model, combined, (_name, param, paramStart, delta, deltaStart, length) => {
      for (let j = 0; j < length; j++) param[paramStart + j] += lr * delta[deltaStart + j];
    });
    return model;
  }

  clientOptions(): Record<string, number> {
    return {};
  }
}
