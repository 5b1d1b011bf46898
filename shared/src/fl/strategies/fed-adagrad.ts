// FedAdagrad (Reddi et al. 2021): v = v + g². Defaults as in Flower (beta1 = 0: no server momentum; the
// paper's algorithm allows it, hence the option).

import { z } from 'zod';
import { betaOption, etaOption, FedOpt, tauOption } from './fed-opt.js';
import { parseOptions } from '../../config/parse-options.js';

export const fedAdagradOptionsSchema = z.strictObject({
  eta: etaOption(0.1),
  beta1: betaOption(0, 'first-moment (momentum) decay'),
  tau: tauOption(1e-9),
});
export type FedAdagradOptions = z.input<typeof fedAdagradOptionsSchema>;

export class FedAdagrad extends FedOpt {
  override readonly name: string = 'fedadagrad';

  constructor(options: FedAdagradOptions = {}) {
    const { eta, beta1, tau } = parseOptions('strategy "fedadagrad"', fedAdagradOptionsSchema, options);
    super(eta, beta1, tau);
  }

  protected secondMoment(v: number, g2: number): number {
    return v + g2;
  }
}
