// FedAvgM (Hsu et al. 2019, "Measuring the Effects of Non-Identical Data Distribution for Federated Visual
// Classification"): FedAvg with server momentum, v = momentum * v + delta, model += serverLr * v (the
// paper's v <- beta v + Δw, w <- w - v, with Δw = -delta). Momentum smooths the round-to-round swings
// that non-IID devices cause.
//
// Lazy on sparse rows: a row absent from the round's combined update keeps its velocity as it is (no
// decay) and does not move; decaying and applying every row's velocity each round would move rows of an
// embedding table that no device touched.

import { z } from 'zod';
import type { ModelParams, ModelUpdate } from '../model.js';
import { forEachDeltaSlice } from '../aggregation/delta-slices.js';
import { FedAvg, fedAvgOptionsSchema } from './fed-avg.js';
import { ServerState } from './server-state.js';
import { parseOptions } from '../../config/parse-options.js';

export const fedAvgMOptionsSchema = fedAvgOptionsSchema.extend({
  /** Server momentum beta. 0.9 as in the paper's runs (Flower's default, 0, is plain FedAvg). */
  momentum: z.number().min(0).lt(1).default(0.9).describe('server momentum beta'),
});
export type FedAvgMOptions = z.input<typeof fedAvgMOptionsSchema>;

export class FedAvgM extends FedAvg {
  override readonly name: string = 'fedavgm';
  readonly momentum: number;
  private readonly velocity = new ServerState();

  constructor(options: FedAvgMOptions = {}) {
    const { serverLr, momentum } = parseOptions('strategy "fedavgm"', fedAvgMOptionsSchema, options);
    super({ serverLr });
    this.momentum = momentum;
  }

  serverState(): Uint8Array {
    return this.velocity.save(this.name);
  }

  /** One velocity per tensor of `model`, as long as the tensor. */
  restoreServerState(bytes: Uint8Array, model: ModelParams): void {
    this.velocity.restore(bytes, this.name, (key) => model.get(key)?.values.length);
  }

  override apply(model: ModelParams, combined: ModelUpdate): ModelParams {
    const lr = this.serverLr;
    const beta = this.momentum;
    forEachDeltaSlice(model, combined, (name, param, paramStart, delta, deltaStart, length) => {
      const v = this.velocity.buffer(name, param.length);
      for (let j = 0; j < length; j++) {
        const at = paramStart + j;
        const vj = beta * v[at] + delta[deltaStart + j];
        v[at] = vj;
        param[at] += lr * vj;
      }
    });
    return model;
  }
}
