// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): the server side is FedAvg;
// devices add the proximal term (mu / 2) * ||w - w_base||² to their local loss, which keeps heterogeneous
// devices from drifting far from the global model. The strategy's part is sending them mu.

import { z } from 'zod';
import { FedAvg, fedAvgOptionsSchema } from './fed-avg.js';
import { parseOptions } from '../../config/parse-options.js';

export const fedProxOptionsSchema = fedAvgOptionsSchema.extend({
  /** Proximal weight; the paper tunes it over {0.001, 0.01, 0.1, 1}; 0 is FedAvg. */
  mu: z.number().min(0).default(0.01).describe('proximal weight sent to devices as proximalMu; 0 is FedAvg'),
});
export type FedProxOptions = z.input<typeof fedProxOptionsSchema>;

export class FedProx extends FedAvg {
  override readonly name: string = 'fedprox';
  readonly mu: number;

  constructor(options: FedProxOptions = {}) {
    const { serverLr, mu } = parseOptions('strategy "fedprox"', fedProxOptionsSchema, options);
    super({ serverLr });
    this.mu = mu;
  }

  override clientOptions(): Record<string, number> {
    return { proximalMu: this.mu };
  }
}
