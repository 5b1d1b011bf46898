// Adam over the Gaussians a view saw (a sparse Adam, as gsplat's and Taming 3DGS's): a Gaussian outside the
// view has no gradient and keeps its parameters and moments, so a step costs the visible rows only. Each
// column of a row has its own learning rate (position, scale, rotation, opacity, colour by degree).

import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
} from '../model/gaussian-cloud.js';
import type { GaussianTrainState } from './gaussian-train-state.js';

export interface GaussianLearningRates {
  readonly position: number;
  readonly scale: number;
  readonly rotation: number;
  readonly opacity: number;
  /** DC colour; higher SH degrees take a twentieth of it (as 3DGS). */
  readonly color: number;
}

export function columnLearningRates(lr: GaussianLearningRates, out = new Float32Array(GAUSSIAN_STRIDE)): Float32Array {
  for (let a = 0; a < 3; a++) {
    out[GAUSSIAN_POSITION + a] = lr.position;
    out[GAUSSIAN_LOG_SCALE + a] = lr.scale;
  }
  for (let q = 0; q < 4; q++) out[GAUSSIAN_ROTATION + q] = lr.rotation;
  out[GAUSSIAN_OPACITY] = lr.opacity;
  for (let k = 0; k < 48; k++) out[GAUSSIAN_SH + k] = k < 3 ? lr.color : lr.color / 20;
  return out;
}

const BETA1 = 0.9;
const BETA2 = 0.999;
const EPSILON = 1e-15;

/**
 * One Adam step (global step `step`, 1-based) on the rows with `visible[i] != 0`, over the first `columns`
 * columns (the SH coefficients in use); their gradients are cleared. With `path`, the size of each
 * parameter's step is added to it (the length of the path it travels, laid out as the parameters).
 */
export function gaussianAdamStep(
  state: GaussianTrainState,
  visible: Int32Array,
  columns: number,
  lr: Float32Array,
  step: number,
  path?: Float32Array,
): void {
  const c1 = 1 - BETA1 ** step,
    c2 = Math.sqrt(1 - BETA2 ** step);
  const { params, adamM, adamV, grads } = state;
  for (let i = 0; i < state.count; i++) {
    if (visible[i] === 0) continue;
    const at = i * GAUSSIAN_STRIDE;
    for (let j = 0; j < columns; j++) {
      const g = grads[at + j];
      grads[at + j] = 0;
      const m = BETA1 * adamM[at + j] + (1 - BETA1) * g;
      const v = BETA2 * adamV[at + j] + (1 - BETA2) * g * g;
      adamM[at + j] = m;
      adamV[at + j] = v;
      const change = (lr[j] * (m / c1)) / (Math.sqrt(v) / c2 + EPSILON);
      params[at + j] -= change;
      if (path) path[at + j] += Math.abs(change);
    }
  }
}
