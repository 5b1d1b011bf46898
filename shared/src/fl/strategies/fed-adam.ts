// FedAdam (Reddi et al. 2021): v = beta2 * v + (1 - beta2) * g². Defaults as in Flower.

import { z } from 'zod';
import { betaOption, etaOption, FedOpt, tauOption } from './fed-opt.js';
import { parseOptions } from '../../config/parse-options.js';

export const fedAdamOptionsSchema = z.strictObject({
  eta: etaOption(0.1),
  beta1: betaOption(0.9, 'first-moment (momentum) decay'),
  beta2: betaOption(0.99, 'second-moment decay'),
  tau: tauOption(1e-9),
});
export type FedAdamOptions = z.input<typeof fedAdamOptionsSchema>;

export class FedAdam extends FedOpt {
  override readonly name: string = 'fedadam';
  readonly beta2: number;

  constructor(options: FedAdamOptions = {}) {
    const { eta, beta1, beta2, tau } = parseOptions('strategy "fedadam"', fedAdamOptionsSchema, options);
    super(eta, beta1, tau);
    this.beta2 = beta2;
  }

  protected secondMoment(v: number, g2: number): number {
    return this.beta2 * v + (1 - this.beta2) * g2;
  }
}
