// FedYogi (Reddi et al. 2021): v = v - (1 - beta2) * g² * sign(v - g²). Unlike Adam's, v moves by at most
// (1 - beta2) g² per round whichever way it goes, so one large round does not reset the step size.
// Defaults as in Flower.

import { z } from 'zod';
import { betaOption, etaOption, FedOpt, tauOption } from './fed-opt.js';
import { parseOptions } from '../../config/parse-options.js';

export const fedYogiOptionsSchema = z.strictObject({
  eta: etaOption(0.01),
  beta1: betaOption(0.9, 'first-moment (momentum) decay'),
  beta2: betaOption(0.99, 'second-moment decay'),
  tau: tauOption(1e-3),
});
export type FedYogiOptions = z.input<typeof fedYogiOptionsSchema>;

export class FedYogi extends FedOpt {
  override readonly name: string = 'fedyogi';
  readonly beta2: number;

  constructor(options: FedYogiOptions = {}) {
    const { eta, beta1, beta2, tau } = parseOptions('strategy "fedyogi"', fedYogiOptionsSchema, options);
    super(eta, beta1, tau);
    this.beta2 = beta2;
  }

  protected secondMoment(v: number, g2: number): number {
    return v - (1 - this.beta2) * g2 * Math.sign(v - g2);
  }
}
