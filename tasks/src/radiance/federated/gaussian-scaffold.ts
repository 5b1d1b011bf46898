// The federated Gaussian model: a fixed capacity of rows (one shape for the whole run, which the runtime, the
// codecs, the downlink's patches and FedAvg's sparse rows rely on), a scaffold tensor that says which rows hold
// a Gaussian (1) and which are free slots (0), and the densification statistic pooled over every device that
// saw a row. Only the cloud changes the scaffold, between rounds: clones and split halves go into free slots,
// pruned and split rows become free. A row keeps its slot for as long as it lives, so every device and every
// tier names a Gaussian by the same row; the scaffold holds the round a row's Gaussian was made in, so a device
// that keeps per-row state (its Adam moments) sees when a slot was given to another Gaussian.

import { InvalidUpdateError, dense, type ModelParams, type ModelUpdate, type SeededRandom } from '@strata/shared';
import { GAUSSIAN_OPACITY, GAUSSIAN_STRIDE, GaussianCloud, logit } from '../model/gaussian-cloud.js';
import { planDensification, prunedRow, type DensityControlSettings } from '../train/gaussian-density-control.js';

/** [capacity, GAUSSIAN_STRIDE]: the Gaussians' packed rows (free slots hold zeros). */
export const GAUSSIAN_PARAMS_TENSOR = 'gaussians/params';
/**
 * [capacity, 1]: the mean screen-space position gradient of each row over the views that saw it in the last
 * round. A device uploads its own mean with the row weight = its views that saw the row, so FedAvg's per-row
 * weighted mean is the sum of the devices' gradient sums over the sum of their view counts: the statistic the
 * centralized trainer keeps, pooled up the tree. The cloud reads it and clears it between rounds.
 */
export const GAUSSIAN_DENSIFY_TENSOR = 'gaussians/densify';
/**
 * [capacity, 1]: the generation of the row's Gaussian (1 for the initial ones, r + 1 for one made after round r),
 * 0 for a free slot. The cloud alone writes it.
 */
export const GAUSSIAN_SCAFFOLD_TENSOR = 'gaussians/scaffold';

/** The model holding `cloud` in its first rows, with room for `capacity` Gaussians. */
export function scaffoldModel(cloud: GaussianCloud, capacity: number): ModelParams {
  const params = new Float32Array(capacity * GAUSSIAN_STRIDE);
  params.set(cloud.params.subarray(0, cloud.count * GAUSSIAN_STRIDE));
  const scaffold = new Float32Array(capacity);
  scaffold.fill(1, 0, cloud.count);
  return new Map([
    [GAUSSIAN_PARAMS_TENSOR, dense([capacity, GAUSSIAN_STRIDE], params)],
    [GAUSSIAN_DENSIFY_TENSOR, dense([capacity, 1])],
    [GAUSSIAN_SCAFFOLD_TENSOR, dense([capacity, 1], scaffold)],
  ]);
}

function tensor(model: ModelParams, name: string): Float32Array {
  const t = model.get(name);
  if (!t) throw new InvalidUpdateError('unknown_tensor', `the Gaussian model has no tensor '${name}'`);
  return t.values;
}

/** The rows that hold a Gaussian, ascending. */
export function scaffoldSlots(model: ModelParams): Uint32Array {
  const scaffold = tensor(model, GAUSSIAN_SCAFFOLD_TENSOR);
  let count = 0;
  for (let r = 0; r < scaffold.length; r++) if (scaffold[r] > 0) count++;
  const slots = new Uint32Array(count);
  for (let r = 0, k = 0; r < scaffold.length; r++) if (scaffold[r] > 0) slots[k++] = r;
  return slots;
}

/** A compact copy of the scaffold's Gaussians (row i is slot slots[i]), for training and rendering. */
export function scaffoldCloud(model: ModelParams, shDegree: number): { cloud: GaussianCloud; slots: Uint32Array } {
  const slots = scaffoldSlots(model);
  const all = tensor(model, GAUSSIAN_PARAMS_TENSOR);
  const params = new Float32Array(slots.length * GAUSSIAN_STRIDE);
  for (let i = 0; i < slots.length; i++) {
    params.set(all.subarray(slots[i] * GAUSSIAN_STRIDE, (slots[i] + 1) * GAUSSIAN_STRIDE), i * GAUSSIAN_STRIDE);
  }
  return { cloud: new GaussianCloud(slots.length, params, shDegree), slots };
}

export interface ScaffoldRefresh {
  /** Clone, split and prune from the pooled statistic. */
  readonly densify: boolean;
  /** Cap every opacity at 0.01 (after densifying). */
  readonly resetOpacity: boolean;
  readonly settings: Omit<DensityControlSettings, 'maxCount'>;
}

export interface ScaffoldRefreshResult {
  readonly cloned: number;
  readonly split: number;
  readonly pruned: number;
  /** Gaussians in the scaffold afterwards. */
  readonly count: number;
}

/**
 * The cloud's step between rounds, in place: density control over the pooled statistic (children into the
 * free slots in ascending order, at most as many as there are free slots), an opacity reset when due, then the
 * statistic cleared and every free slot zeroed. New rows are of `generation`. Deterministic for `rng`.
 */
export function refreshScaffold(
  model: ModelParams,
  refresh: ScaffoldRefresh,
  generation: number,
  rng: SeededRandom,
): ScaffoldRefreshResult {
  const params = tensor(model, GAUSSIAN_PARAMS_TENSOR);
  const densify = tensor(model, GAUSSIAN_DENSIFY_TENSOR);
  const scaffold = tensor(model, GAUSSIAN_SCAFFOLD_TENSOR);
  let cloned = 0,
    split = 0,
    pruned = 0;
  if (refresh.densify) {
    const { cloud, slots } = scaffoldCloud(model, 0);
    const free: number[] = [];
    for (let r = 0; r < scaffold.length; r++) if (!(scaffold[r] > 0)) free.push(r);
    const plan = planDensification(
      cloud.params,
      cloud.count,
      (i) => (densify[slots[i]] > 0 ? densify[slots[i]] : Number.NaN),
      refresh.settings,
      rng,
      free.length,
    );
    plan.children.forEach((row, k) => {
      params.set(row, free[k] * GAUSSIAN_STRIDE);
      scaffold[free[k]] = generation;
    });
    for (let i = 0; i < slots.length; i++) {
      if (plan.split[i] === 0) continue;
      scaffold[slots[i]] = 0;
      split++;
    }
    cloned = plan.cloned;
    for (let r = 0; r < scaffold.length; r++) {
      if (!(scaffold[r] > 0) || !prunedRow(params, r, refresh.settings)) continue;
      scaffold[r] = 0;
      pruned++;
    }
  }
  if (refresh.resetOpacity) {
    const cap = logit(0.01);
    for (let r = 0; r < scaffold.length; r++) {
      const at = r * GAUSSIAN_STRIDE + GAUSSIAN_OPACITY;
      if (scaffold[r] > 0 && params[at] > cap) params[at] = cap;
    }
  }
  densify.fill(0);
  let count = 0;
  for (let r = 0; r < scaffold.length; r++) {
    if (scaffold[r] > 0) count++;
    else params.fill(0, r * GAUSSIAN_STRIDE, (r + 1) * GAUSSIAN_STRIDE);
  }
  return { cloned, split, pruned, count };
}

/**
 * Checks a device's (or an edge's) update against the scaffold of the model it was trained from: sparse rows
 * of the parameters and the statistic only, every row in the scaffold, row weights present, the statistic
 * (a mean of gradient norms) not negative. Finite values and row weights >= 0 are checked before this.
 */
export function checkScaffoldUpdate(update: ModelUpdate, model: ModelParams): void {
  const scaffold = tensor(model, GAUSSIAN_SCAFFOLD_TENSOR);
  for (const [name, t] of update.delta) {
    if (name === GAUSSIAN_SCAFFOLD_TENSOR) {
      throw new InvalidUpdateError('outside_scaffold', `an update may not change '${name}': the cloud alone changes the scaffold`);
    }
    if (t.kind !== 'sparse') {
      throw new InvalidUpdateError(
        'outside_scaffold',
        `tensor '${name}' arrived dense: updates carry rows of the scaffold, as sparse rows`,
      );
    }
    if (!t.rowWeights) {
      throw new InvalidUpdateError('bad_weight', `tensor '${name}' has no row weights (pixels or views behind each row)`);
    }
    for (const row of t.rows) {
      if (!(scaffold[row] > 0)) {
        throw new InvalidUpdateError('outside_scaffold', `tensor '${name}' has row ${row}, which is not in the scaffold (a free slot)`);
      }
    }
    if (name !== GAUSSIAN_DENSIFY_TENSOR) continue;
    for (let k = 0; k < t.values.length; k++) {
      if (!(t.values[k] >= 0)) {
        throw new InvalidUpdateError('bad_statistic', `tensor '${name}' row ${t.rows[k]}: mean gradient norm ${t.values[k]} is negative`);
      }
    }
  }
}
