// FedProx (Li et al. 2020, "Federated Optimization in Heterogeneous Networks"): the server side is FedAvg;
// devices add the proximal term (mu / 2) * ||w - w_base||² to their local loss, which keeps heterogeneous
// devices from drifting far from the global model. The strategy's part is sending them mu.

import { z } from 'zod';
import { FedAvg, fedAvgOptionsSchema } from './fed-avg.js';
import { parseStrategyOptions } from './strategy-options.js';

export const fedProxOptionsSchema = fedAvgOptionsSchema.extend({
  /** Proximal weight; the paper tunes it over {0.001, 0.01, 0.1, 1}; 0 is FedAvg. */
  mu: z.number().min(0).default(0.01),
});
export type FedProxOptions = z.input<typeof fedProxOptionsSchema>;

export class FedProx extends FedAvg {
  override readonly name: string = 'fedprox';
  readonly mu: number;

  constructor(options: FedProxOptions = {}) {
    const { serverLr, mu } = parseStrategyOptions('fedprox', fedProxOptionsSchema, options);
    super({ serverLr });
    this.mu = mu;
  }

  override clientOptions(): Record<string, number> {
    return { proximal_mu: this.mu };
  }
}
