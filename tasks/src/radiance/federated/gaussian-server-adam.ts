// The cloud's Adam over the scaffold's rows (`combineChanges: 'serverAdam'`): devices upload what their images
// say about each Gaussian (the gradient summed over their κ1 images at the model they received, no local
// step), and the cloud takes one large-batch Adam step a round, as centralized training's sparse Adam would
// over a batch of the round's images. The batch scaling is Grendel's (Zhao et al. 2024, "On Scaling Up 3D
// Gaussian Splatting Training"): for a batch of B images the learning rates are multiplied by B^exponent
// (√B by default) and Adam's betas raised to the power B, so B images move a Gaussian about as far as B
// sequential steps would. The moments live at the cloud, per row, for as long as the row holds the same
// generation of Gaussian (a slot given to a new Gaussian starts from zero moments, as a clone or split half
// does in centralized training); an opacity reset clears the opacity's moments, as centralized training's does.

import type { SparseRows } from '@strata/shared';
import { GAUSSIAN_OPACITY, GAUSSIAN_STRIDE } from '../model/gaussian-cloud.js';

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-15;

export interface ServerAdamStep {
  /** Images behind the round's gradients (B: every device's κ1 images); the summed gradient is divided by it. */
  readonly batch: number;
  /** Each column's learning rate at this round (centralized training's, before the batch scaling). */
  readonly lrs: Float32Array;
  /** The columns in use (the SH coefficients of the round's degree); the others do not move. */
  readonly columns: number;
  /** The learning rates are multiplied by batch^lrExponent (Grendel: 0.5). */
  readonly lrExponent: number;
  /**
   * Per row, the images of the round that saw it (the statistic's row weights at the cloud), when the batch is
   * counted per Gaussian: a row seen by k of the B images is one step over a batch of k (its gradient their
   * mean, its rate × k^lrExponent, its betas ^ k), as k sequential sparse-Adam steps would move it.
   */
  readonly views?: Float32Array;
}

/** What GaussianServerAdam keeps: per row and column the moments, per row their generation, and the steps taken. */
export interface GaussianServerAdamState {
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly generation: Float32Array;
  readonly steps: number;
}

export class GaussianServerAdam {
  private m: Float32Array;
  private v: Float32Array;
  /** The generation each row's moments belong to (0: none yet). */
  private generation: Float32Array;
  /** Server steps taken (bias correction counts them, as centralized training counts its steps). */
  private steps = 0;

  constructor(readonly capacity: number) {
    this.m = new Float32Array(capacity * GAUSSIAN_STRIDE);
    this.v = new Float32Array(capacity * GAUSSIAN_STRIDE);
    this.generation = new Float32Array(capacity);
  }

  /**
   * Turns `gradients` (per row: the devices' summed gradient over their images, i.e. the per-row mean times
   * the row weight, which counts the devices) into the Adam step to add to the model, in place; the row
   * weights are left as they are. `generations` is the scaffold tensor: a row whose generation changed since
   * its moments were kept starts from zero moments.
   */
  step(gradients: SparseRows, generations: Float32Array, s: ServerAdamStep): void {
    if (!gradients.rowWeights) throw new Error('server Adam: the gradient rows carry no row weights');
    this.steps++;
    const { rows, values, rowWeights } = gradients;
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k];
      const batch = s.views ? Math.max(1, s.views[row]) : s.batch;
      const beta1 = BETA1 ** batch,
        beta2 = BETA2 ** batch;
      const c1 = 1 - (s.views ? BETA1 ** (batch * this.steps) : beta1 ** this.steps),
        c2 = Math.sqrt(1 - (s.views ? BETA2 ** (batch * this.steps) : beta2 ** this.steps));
      const scale = batch ** s.lrExponent;
      if (this.generation[row] !== generations[row]) {
        this.m.fill(0, row * GAUSSIAN_STRIDE, (row + 1) * GAUSSIAN_STRIDE);
        this.v.fill(0, row * GAUSSIAN_STRIDE, (row + 1) * GAUSSIAN_STRIDE);
        this.generation[row] = generations[row];
      }
      const toMean = rowWeights[k] / batch;
      for (let j = 0; j < GAUSSIAN_STRIDE; j++) {
        const at = k * GAUSSIAN_STRIDE + j;
        if (j >= s.columns) {
          values[at] = 0;
          continue;
        }
        const g = values[at] * toMean;
        const state = row * GAUSSIAN_STRIDE + j;
        const m = beta1 * this.m[state] + (1 - beta1) * g;
        const v = beta2 * this.v[state] + (1 - beta2) * g * g;
        this.m[state] = m;
        this.v[state] = v;
        values[at] = -(scale * s.lrs[j] * (m / c1)) / (Math.sqrt(v) / c2 + EPSILON);
      }
    }
  }

  /** The state (its own arrays: read, do not change). */
  get state(): GaussianServerAdamState {
    return { m: this.m, v: this.v, generation: this.generation, steps: this.steps };
  }

  /** Takes `state` (checked by the caller: capacity-sized arrays) as its own. */
  restore(state: GaussianServerAdamState): void {
    ({ m: this.m, v: this.v, generation: this.generation, steps: this.steps } = state);
  }

  /** Clears every row's opacity moments (the cloud reset the opacities). */
  resetOpacity(): void {
    for (let row = 0; row < this.capacity; row++) {
      this.m[row * GAUSSIAN_STRIDE + GAUSSIAN_OPACITY] = 0;
      this.v[row * GAUSSIAN_STRIDE + GAUSSIAN_OPACITY] = 0;
    }
  }
}
