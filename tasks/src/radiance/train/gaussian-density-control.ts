// Adaptive density control (3DGS section 5.2): Gaussians whose mean screen-space position gradient is large
// sit where the image is under-reconstructed; small ones are cloned (more of them there), large ones are
// split into two smaller ones sampled from themselves. Nearly transparent Gaussians are pruned, and so are
// ones grown too large once opacities have been reset. Opacity resets let floaters fade and be pruned.

import type { SeededRandom } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_STRIDE,
  logit,
} from '../model/gaussian-cloud.js';
import { writeRotation } from '../kernels/gaussian-projection.js';
import type { GaussianTrainState } from './gaussian-train-state.js';

export interface DensityControlSettings {
  readonly gradThreshold: number;
  /** Clone below, split above this world size (percentDense * extent). */
  readonly splitSize: number;
  readonly pruneOpacity: number;
  /** Gaussians with a larger world scale are pruned; Infinity: none. */
  readonly maxWorldSize: number;
  readonly maxCount: number;
}

export interface DensityControlResult {
  readonly cloned: number;
  readonly split: number;
  readonly pruned: number;
}

const SPLIT_SHRINK = Math.log(1.6);
const rot = new Float64Array(9);

/** One densify-and-prune pass; clears the statistics. */
export function densifyAndPrune(state: GaussianTrainState, settings: DensityControlSettings, rng: SeededRandom): DensityControlResult {
  const n = state.count;
  const keep = new Uint8Array(n + 2 * n).fill(1);
  let cloned = 0,
    split = 0;
  const row = new Float32Array(GAUSSIAN_STRIDE);
  for (let i = 0; i < n; i++) {
    if (state.seen[i] === 0 || state.count >= settings.maxCount) continue;
    if (state.viewGradSum[i] / state.seen[i] < settings.gradThreshold) continue;
    const at = i * GAUSSIAN_STRIDE;
    const ls = state.params.subarray(at + GAUSSIAN_LOG_SCALE, at + GAUSSIAN_LOG_SCALE + 3);
    const maxScale = Math.exp(Math.max(ls[0], ls[1], ls[2]));
    row.set(state.params.subarray(at, at + GAUSSIAN_STRIDE));
    if (maxScale <= settings.splitSize) {
      state.append(row);
      cloned++;
      continue;
    }
    const q = state.params.subarray(at + GAUSSIAN_ROTATION, at + GAUSSIAN_ROTATION + 4);
    const ql = Math.hypot(q[0], q[1], q[2], q[3]);
    writeRotation(q[0] / ql, q[1] / ql, q[2] / ql, q[3] / ql, rot);
    const s = [Math.exp(ls[0]), Math.exp(ls[1]), Math.exp(ls[2])];
    for (let child = 0; child < 2; child++) {
      const z = [rng.normal() * s[0], rng.normal() * s[1], rng.normal() * s[2]];
      for (let a = 0; a < 3; a++) {
        row[GAUSSIAN_POSITION + a] =
          state.params[at + GAUSSIAN_POSITION + a] + rot[3 * a] * z[0] + rot[3 * a + 1] * z[1] + rot[3 * a + 2] * z[2];
        row[GAUSSIAN_LOG_SCALE + a] = state.params[at + GAUSSIAN_LOG_SCALE + a] - SPLIT_SHRINK;
      }
      state.append(row);
    }
    keep[i] = 0;
    split++;
  }
  const minLogit = logit(settings.pruneOpacity);
  const maxLogScale = Math.log(settings.maxWorldSize);
  for (let i = 0; i < state.count; i++) {
    const at = i * GAUSSIAN_STRIDE;
    if (state.params[at + GAUSSIAN_OPACITY] < minLogit) keep[i] = 0;
    const ls = state.params.subarray(at + GAUSSIAN_LOG_SCALE, at + GAUSSIAN_LOG_SCALE + 3);
    if (Math.max(ls[0], ls[1], ls[2]) > maxLogScale) keep[i] = 0;
  }
  const removed = state.compact(keep);
  state.resetStatistics();
  return { cloned, split, pruned: removed - split };
}

/**
 * Whether step (or round) `at` of `total` resets opacities: every `every`, while density control runs (until
 * `until`), and never within `recovery` of the end, which would leave the model with every opacity at the cap
 * (3DGS's last reset is half its schedule before the end).
 */
export function opacityResetDue(at: number, schedule: { every: number; until: number; total: number; recovery: number }): boolean {
  return at % schedule.every === 0 && at <= schedule.until && at + schedule.recovery <= schedule.total;
}

/** Caps every opacity at `cap` (3DGS resets to 0.01), and clears the opacities' Adam moments. */
export function resetOpacity(state: GaussianTrainState, cap = 0.01): void {
  const limit = logit(cap);
  for (let i = 0; i < state.count; i++) {
    const at = i * GAUSSIAN_STRIDE + GAUSSIAN_OPACITY;
    if (state.params[at] > limit) state.params[at] = limit;
    state.adamM[at] = 0;
    state.adamV[at] = 0;
  }
}
