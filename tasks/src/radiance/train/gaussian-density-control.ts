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

/** What one densification pass decides: the new rows (clones, split halves) and which existing rows split. */
export interface DensificationPlan {
  /** New rows, `GAUSSIAN_STRIDE` floats each, in the order they were made. */
  readonly children: Float32Array[];
  /** Per existing row: 1 when it was split (its halves replace it). */
  readonly split: Uint8Array;
  readonly cloned: number;
}

/**
 * Clones or splits the first `count` rows of `params` whose mean screen-space gradient (`meanGrad(i)`, NaN
 * when the row was not seen) reaches the threshold, making at most `room` new rows. Shared by centralized
 * training (rows appended) and the federated scaffold (rows written into free slots).
 */
export function planDensification(
  params: Float32Array,
  count: number,
  meanGrad: (i: number) => number,
  settings: Pick<DensityControlSettings, 'gradThreshold' | 'splitSize'>,
  rng: SeededRandom,
  room: number,
): DensificationPlan {
  const children: Float32Array[] = [];
  const split = new Uint8Array(count);
  let cloned = 0;
  for (let i = 0; i < count; i++) {
    if (children.length >= room) break;
    if (!(meanGrad(i) >= settings.gradThreshold)) continue;
    const at = i * GAUSSIAN_STRIDE;
    const ls = params.subarray(at + GAUSSIAN_LOG_SCALE, at + GAUSSIAN_LOG_SCALE + 3);
    const maxScale = Math.exp(Math.max(ls[0], ls[1], ls[2]));
    if (maxScale <= settings.splitSize) {
      children.push(params.slice(at, at + GAUSSIAN_STRIDE));
      cloned++;
      continue;
    }
    const q = params.subarray(at + GAUSSIAN_ROTATION, at + GAUSSIAN_ROTATION + 4);
    const ql = Math.hypot(q[0], q[1], q[2], q[3]);
    writeRotation(q[0] / ql, q[1] / ql, q[2] / ql, q[3] / ql, rot);
    const s = [Math.exp(ls[0]), Math.exp(ls[1]), Math.exp(ls[2])];
    for (let child = 0; child < 2; child++) {
      const row = params.slice(at, at + GAUSSIAN_STRIDE);
      const z = [rng.normal() * s[0], rng.normal() * s[1], rng.normal() * s[2]];
      for (let a = 0; a < 3; a++) {
        row[GAUSSIAN_POSITION + a] = params[at + GAUSSIAN_POSITION + a] + rot[3 * a] * z[0] + rot[3 * a + 1] * z[1] + rot[3 * a + 2] * z[2];
        row[GAUSSIAN_LOG_SCALE + a] = params[at + GAUSSIAN_LOG_SCALE + a] - SPLIT_SHRINK;
      }
      children.push(row);
    }
    split[i] = 1;
  }
  return { children, split, cloned };
}

/** Whether row `i` of `params` is pruned: nearly transparent, or larger than the largest world size allowed. */
export function prunedRow(
  params: Float32Array,
  i: number,
  settings: Pick<DensityControlSettings, 'pruneOpacity' | 'maxWorldSize'>,
): boolean {
  const at = i * GAUSSIAN_STRIDE;
  if (params[at + GAUSSIAN_OPACITY] < logit(settings.pruneOpacity)) return true;
  const ls = params.subarray(at + GAUSSIAN_LOG_SCALE, at + GAUSSIAN_LOG_SCALE + 3);
  return Math.max(ls[0], ls[1], ls[2]) > Math.log(settings.maxWorldSize);
}

/** One densify-and-prune pass; clears the statistics. */
export function densifyAndPrune(state: GaussianTrainState, settings: DensityControlSettings, rng: SeededRandom): DensityControlResult {
  const n = state.count;
  const plan = planDensification(
    state.params,
    n,
    (i) => (state.seen[i] === 0 ? Number.NaN : state.viewGradSum[i] / state.seen[i]),
    settings,
    rng,
    Math.max(0, settings.maxCount - n),
  );
  for (const row of plan.children) state.append(row);
  const keep = new Uint8Array(state.count);
  for (let i = 0; i < state.count; i++) keep[i] = (i < n && plan.split[i]) || prunedRow(state.params, i, settings) ? 0 : 1;
  const removed = state.compact(keep);
  state.resetStatistics();
  let split = 0;
  for (const s of plan.split) split += s;
  return { cloned: plan.cloned, split, pruned: removed - split };
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
