// A set of 3D Gaussians (3DGS, Kerbl et al. 2023) in one packed Float32Array, a row of GAUSSIAN_STRIDE
// parameters per Gaussian: position, log-scale, rotation quaternion (w, x, y, z, unnormalised), opacity logit
// and degree-3 spherical-harmonics colour. One row per Gaussian makes cloning, splitting and pruning row
// copies, and lets Adam, gradients and federated weights share the layout.

import { ConfigError, SeededRandom } from '@strata/shared';
import type { Aabb } from './grid-geometry.js';

export const GAUSSIAN_POSITION = 0;
export const GAUSSIAN_LOG_SCALE = 3;
export const GAUSSIAN_ROTATION = 6;
export const GAUSSIAN_OPACITY = 10;
/** 16 coefficients x 3 channels, coefficient-major: sh[k * 3 + channel]. */
export const GAUSSIAN_SH = 11;
export const GAUSSIAN_SH_COEFFICIENTS = 16;
export const GAUSSIAN_STRIDE = GAUSSIAN_SH + 3 * GAUSSIAN_SH_COEFFICIENTS;

/** The DC coefficient of the SH basis (colour = C0 * sh0 + 0.5 at degree 0). */
export const SH_C0 = 0.28209479177387814;

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const logit = (p: number): number => Math.log(p / (1 - p));

export class GaussianCloud {
  /**
   * @param params `count * GAUSSIAN_STRIDE` values (rows past `count` are ignored).
   * @param shDegree the degree the colour is evaluated at (0..3; coefficients above it are kept, unused).
   */
  constructor(
    readonly count: number,
    readonly params: Float32Array,
    readonly shDegree: number,
  ) {
    if (!Number.isInteger(count) || count < 0 || params.length < count * GAUSSIAN_STRIDE) {
      throw new ConfigError(`gaussian cloud: ${count} Gaussians need ${count * GAUSSIAN_STRIDE} parameters, got ${params.length}`);
    }
    if (!Number.isInteger(shDegree) || shDegree < 0 || shDegree > 3) {
      throw new ConfigError(`gaussian cloud: spherical-harmonics degree ${shDegree} must be an integer in [0, 3]`);
    }
  }

  /**
   * `count` Gaussians uniformly in `box`, each as wide as the mean spacing (so together they cover it), grey,
   * with opacity `opacity` (3DGS's random initialisation for the synthetic scenes).
   */
  static randomInBox(box: Aabb, count: number, seed: number, opacity = 0.1): GaussianCloud {
    const rng = new SeededRandom(seed);
    const params = new Float32Array(count * GAUSSIAN_STRIDE);
    const volume = (box.max[0] - box.min[0]) * (box.max[1] - box.min[1]) * (box.max[2] - box.min[2]);
    const logScale = Math.log(0.5 * Math.cbrt(volume / Math.max(1, count)));
    for (let i = 0; i < count; i++) {
      const row = i * GAUSSIAN_STRIDE;
      for (let a = 0; a < 3; a++) {
        params[row + GAUSSIAN_POSITION + a] = box.min[a] + rng.next() * (box.max[a] - box.min[a]);
        params[row + GAUSSIAN_LOG_SCALE + a] = logScale;
      }
      params[row + GAUSSIAN_ROTATION] = 1;
      params[row + GAUSSIAN_OPACITY] = logit(opacity);
      // Random base colours, as 3DGS gives random points: a grey start is a symmetric start.
      for (let c = 0; c < 3; c++) params[row + GAUSSIAN_SH + c] = (rng.next() - 0.5) / SH_C0;
    }
    return new GaussianCloud(count, params, 0);
  }

  /**
   * Bytes of the parameters the cloud renders with (float32; colour coefficients up to its SH degree): what its
   * model file holds, the 3DGS .ply's zero normals aside.
   */
  get byteLength(): number {
    return this.count * (GAUSSIAN_SH + 3 * (this.shDegree + 1) ** 2) * 4;
  }

  withShDegree(shDegree: number): GaussianCloud {
    return new GaussianCloud(this.count, this.params, shDegree);
  }

  clone(): GaussianCloud {
    return new GaussianCloud(this.count, this.params.slice(0, this.count * GAUSSIAN_STRIDE), this.shDegree);
  }
}
