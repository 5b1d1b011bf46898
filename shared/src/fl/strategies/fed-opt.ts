// The adaptive server optimizers of Reddi et al. 2021, "Adaptive Federated Optimization" (FedAdam,
// FedYogi, FedAdagrad): FedAvg's combined delta is a pseudo-gradient g = -delta, fed to an adaptive
// optimizer on the server:
//   m = beta1 * m + (1 - beta1) * g
//   v = secondMoment(v, g²)                  (the one line where Adam, Yogi and Adagrad differ)
//   model -= eta * m / (sqrt(v) + tau)
// As in the paper and Flower, m and v start at zero and there is no bias correction; tau bounds the
// step where v is small.
//
// Lazy on sparse rows: only rows present in the combined update update their m and v and move; the other
// rows' moments stay as they are. Updating every row's moments each round would move embedding rows no
// device touched (m decays but stays non-zero) and cost a pass over the whole table per round.

import { z } from 'zod';
import type { ModelParams, ModelUpdate } from '../model.js';
import { forEachDeltaSlice } from '../aggregation/delta-slices.js';
import { FedAvg } from './fed-avg.js';
import { ServerState } from './server-state.js';

/** Option builders for the adaptive strategies, each of which has its own defaults. */
export const etaOption = (fallback: number) => z.number().positive().default(fallback).describe('server learning rate');
export const betaOption = (fallback: number, what: string) => z.number().min(0).lt(1).default(fallback).describe(what);
export const tauOption = (fallback: number) =>
  z.number().positive().default(fallback).describe('adaptivity: added to the root of the second moment');

export abstract class FedOpt extends FedAvg {
  private readonly moments = new ServerState();

  /** `eta` is the server learning rate (FedAvg's `serverLr`). */
  protected constructor(
    eta: number,
    readonly beta1: number,
    readonly tau: number,
  ) {
    super({ serverLr: eta });
  }

  get eta(): number {
    return this.serverLr;
  }

  /** The second moment after a round whose squared pseudo-gradient is `g2`. */
  protected abstract secondMoment(v: number, g2: number): number;

  serverState(): Uint8Array {
    return this.moments.save(this.name);
  }

  /** The moments `m:<tensor>` and `v:<tensor>`, each as long as its tensor in `model`. */
  restoreServerState(bytes: Uint8Array, model: ModelParams): void {
    this.moments.restore(bytes, this.name, (key) => {
      const [moment, tensor] = [key.slice(0, 2), key.slice(2)];
      return moment === 'm:' || moment === 'v:' ? model.get(tensor)?.values.length : undefined;
    });
  }

  override apply(model: ModelParams, combined: ModelUpdate): ModelParams {
    const eta = this.serverLr;
    const beta1 = this.beta1;
    const tau = this.tau;
    forEachDeltaSlice(model, combined, (name, param, paramStart, delta, deltaStart, length) => {
      const m = this.moments.buffer(`m:${name}`, param.length);
      const v = this.moments.buffer(`v:${name}`, param.length);
      for (let j = 0; j < length; j++) {
        const at = paramStart + j;
        const g = -delta[deltaStart + j];
        const mj = beta1 * m[at] + (1 - beta1) * g;
        const vj = this.secondMoment(v[at], g * g);
        m[at] = mj;
        v[at] = vj;
        param[at] -= (eta * mj) / (Math.sqrt(vj) + tau);
      }
    });
    return model;
  }
}
