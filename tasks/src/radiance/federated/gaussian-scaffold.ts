// The federated Gaussian model: a fixed capacity of rows (one shape for the whole run, which the runtime, the
// codecs, the downlink's patches and FedAvg's sparse rows rely on), a scaffold tensor that says which rows hold
// a Gaussian (1) and which are free slots (0), and the densification statistic pooled over every device that
// saw a row. Only the cloud changes the scaffold, between rounds: clones and split halves go into free slots,
// pruned and split rows become free. A row keeps its slot for as long as it lives, so every device and every
// tier names a Gaussian by the same row; the scaffold holds the round a row's Gaussian was made in, so a device
// that keeps per-row state (its Adam moments) sees when a slot was given to another Gaussian.

import { InvalidUpdateError, dense, type ModelParams, type ModelUpdate, type SeededRandom, type UpdateSender } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  logit,
} from '../model/gaussian-cloud.js';
import { planDensification, prunedRow, type DensityControlSettings } from '../train/gaussian-density-control.js';

/**
 * [capacity, GAUSSIAN_STRIDE]: the Gaussians' packed rows (free slots hold zeros). A device uploads the change
 * of each Gaussian it drew with row weight 1, so FedAvg's per-row mean is over the devices that changed the
 * row and the summed row weight that reaches the cloud counts them (see `addDeviceChanges`).
 */
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

/**
 * The model holding `cloud` in its first rows, with room for `capacity` Gaussians, and the straightness tensor
 * when the cloud combines the devices' changes by it.
 */
export function scaffoldModel(cloud: GaussianCloud, capacity: number, straightness = false): ModelParams {
  const params = new Float32Array(capacity * GAUSSIAN_STRIDE);
  params.set(cloud.params.subarray(0, cloud.count * GAUSSIAN_STRIDE));
  const scaffold = new Float32Array(capacity);
  scaffold.fill(1, 0, cloud.count);
  const model = new Map([
    [GAUSSIAN_PARAMS_TENSOR, dense([capacity, GAUSSIAN_STRIDE], params)],
    [GAUSSIAN_DENSIFY_TENSOR, dense([capacity, 1])],
    [GAUSSIAN_SCAFFOLD_TENSOR, dense([capacity, 1], scaffold)],
  ]);
  if (straightness) model.set(GAUSSIAN_STRAIGHTNESS_TENSOR, dense([capacity, GAUSSIAN_PARAMETER_GROUPS.length]));
  return model;
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
 * [capacity, 4]: a device's straightness of each Gaussian's path this round, per summed parameter group
 * (position, scale, rotation, colour): the size of the group's change over the length of the path its Adam
 * steps took, in [0, 1]. Uploaded for the rows of the parameters with row weight 1, so the tiers' mean is the
 * devices' mean; the cloud reads it and removes it from the update, so the model's tensor stays zero.
 */
export const GAUSSIAN_STRAIGHTNESS_TENSOR = 'gaussians/straightness';

/**
 * The parameter groups whose devices' changes the cloud may add up: [first column, end] of each. Opacity is
 * not one: its rate (0.05) is 20 times the colour's, and every device drives the same floaters' opacity down
 * (or, after a reset, every needed Gaussian's up) at once, so the devices' changes added up overshoot together
 * while each device's own path still runs straight; it is averaged. Measured in the decisions (2026-12-01).
 */
export const GAUSSIAN_PARAMETER_GROUPS: readonly (readonly [number, number])[] = [
  [GAUSSIAN_POSITION, GAUSSIAN_LOG_SCALE],
  [GAUSSIAN_LOG_SCALE, GAUSSIAN_ROTATION],
  [GAUSSIAN_ROTATION, GAUSSIAN_OPACITY],
  [GAUSSIAN_SH, GAUSSIAN_STRIDE],
];

/** How the cloud combines the devices' changes of a Gaussian (see `combineDeviceChanges`). */
export type ChangeCombination = 'mean' | 'sum' | 'straightness' | 'serverAdam';

/**
 * The cloud's step on a round's combined update, in place. Each parameter row arrives as the mean change over
 * the k devices that changed it (k: its summed row weight over `iterations` (κ2) edge iterations). 'mean'
 * applies it as it is (FedAvg), which moves a Gaussian about as far as one device's steps: k devices then make
 * 1/k of centralized training's progress per image. 'sum' multiplies it by k, so the devices' changes add up
 * as centralized training's steps over the same images would; but a device whose steps already reached the
 * optimum has moved the Gaussian there, and k such changes added overshoot it k-fold. 'straightness' scales
 * each summed group (GAUSSIAN_PARAMETER_GROUPS) by 1 + (k - 1) s, s the devices' mean straightness: the sum
 * where the devices' paths ran straight (far from the optimum), the mean where they turned back (at it). The
 * opacity is averaged except under 'sum'. The straightness tensor is removed from the update either way.
 */
export function combineDeviceChanges(combined: ModelUpdate, how: ChangeCombination, iterations: number): void {
  const straightness = combined.delta.get(GAUSSIAN_STRAIGHTNESS_TENSOR);
  combined.delta.delete(GAUSSIAN_STRAIGHTNESS_TENSOR);
  const t = combined.delta.get(GAUSSIAN_PARAMS_TENSOR);
  if (how === 'mean' || how === 'serverAdam' || !t || t.kind !== 'sparse' || !t.rowWeights) return;
  const groups = GAUSSIAN_PARAMETER_GROUPS.length;
  const straightAt = new Map<number, number>();
  if (how === 'straightness' && straightness?.kind === 'sparse') straightness.rows.forEach((row, k) => straightAt.set(row, k));
  for (let k = 0; k < t.rows.length; k++) {
    const devices = t.rowWeights[k] / iterations;
    if (!(devices > 1)) continue;
    const s = straightAt.get(t.rows[k]);
    const groupsSummed: readonly (readonly [number, number])[] = how === 'sum' ? [[0, GAUSSIAN_STRIDE]] : GAUSSIAN_PARAMETER_GROUPS;
    groupsSummed.forEach(([first, end], g) => {
      const straight =
        how === 'sum' ? 1 : s === undefined ? 0 : Math.min(1, Math.max(0, straightness!.values[s * groups + g] / iterations));
      const factor = 1 + (devices - 1) * straight;
      for (let j = k * GAUSSIAN_STRIDE + first; j < k * GAUSSIAN_STRIDE + end; j++) t.values[j] *= factor;
    });
  }
}

/**
 * Checks a device's (or an edge's) update against the scaffold of the model it was trained from: sparse rows
 * of the parameters and the statistic only, every row in the scaffold, row weights present, the statistic
 * (a mean of gradient norms) not negative, and the parameter rows' weights, which the cloud multiplies the mean
 * change by (`combineDeviceChanges`), and of the straightness: exactly 1 from a device, a whole number of at
 * most `maxDevices` (the devices times κ2) from an edge; a straightness in [0, 1] (from an edge, a sum of at
 * most `iterations` (κ2) means). With `gradientLimit` (combineChanges 'serverAdam': the parameter rows are
 * gradients summed over a device's images, and an edge's are a mean of those), every entry is at most that in
 * size. Finite values and row weights >= 0 are checked before this.
 */
export function checkScaffoldUpdate(
  update: ModelUpdate,
  model: ModelParams,
  from: UpdateSender,
  { maxDevices, iterations, gradientLimit }: { maxDevices: number; iterations: number; gradientLimit?: number },
): void {
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
    if (name === GAUSSIAN_PARAMS_TENSOR || name === GAUSSIAN_STRAIGHTNESS_TENSOR)
      checkDeviceRowWeights(name, t.rows, t.rowWeights, from, maxDevices);
    if (name === GAUSSIAN_PARAMS_TENSOR && gradientLimit !== undefined) checkGradients(t.rows, t.values, gradientLimit);
    if (name === GAUSSIAN_STRAIGHTNESS_TENSOR) checkStraightness(t.rows, t.values, from === 'device' ? 1 : iterations);
    if (name !== GAUSSIAN_DENSIFY_TENSOR) continue;
    for (let k = 0; k < t.values.length; k++) {
      if (!(t.values[k] >= 0)) {
        throw new InvalidUpdateError('bad_statistic', `tensor '${name}' row ${t.rows[k]}: mean gradient norm ${t.values[k]} is negative`);
      }
    }
  }
}

/**
 * The largest size of one entry of the L1 loss's gradient over one image that the cloud's Adam takes (per image:
 * a device's sum over κ1 images may reach κ1 times it). Honest gradients stay far below it: at most 0.03 on the
 * procedural scene (32 px, every column, measured over a run); it refuses the values that would blow a row's
 * second moment up (a squared 1e20 overflows float32 and freezes the row for the rest of the run).
 */
export const GAUSSIAN_GRADIENT_LIMIT = 10;

/** Gradient rows: every entry at most `limit` in size. */
function checkGradients(rows: Uint32Array, values: Float32Array, limit: number): void {
  for (let k = 0; k < values.length; k++) {
    if (Math.abs(values[k]) <= limit) continue;
    throw new InvalidUpdateError(
      'bad_statistic',
      `tensor '${GAUSSIAN_PARAMS_TENSOR}' row ${rows[Math.floor(k / GAUSSIAN_STRIDE)]}: gradient ${values[k]} exceeds ${limit} (${GAUSSIAN_GRADIENT_LIMIT} per image)`,
    );
  }
}

/** A row's weight counts devices: 1 from a device, a whole number up to `maxDevices` from an edge. */
function checkDeviceRowWeights(name: string, rows: Uint32Array, weights: Float32Array, from: UpdateSender, maxDevices: number): void {
  for (let k = 0; k < weights.length; k++) {
    const w = weights[k];
    const bad = from === 'device' ? w !== 1 : !(Number.isInteger(w) && w >= 1 && w <= maxDevices);
    if (!bad) continue;
    const expected = from === 'device' ? 'a device uploads each row with weight 1' : `an edge's rows count 1 to ${maxDevices} devices`;
    throw new InvalidUpdateError('bad_weight', `tensor '${name}' row ${rows[k]} has weight ${w}: ${expected}`);
  }
}

/**
 * A straightness is a ratio in [0, 1] (from an edge, a sum over at most `most` iterations' means: [0, most]; the
 * cloud clamps what it reads to [0, 1] per iteration).
 */
function checkStraightness(rows: Uint32Array, values: Float32Array, most: number): void {
  const groups = GAUSSIAN_PARAMETER_GROUPS.length;
  for (let k = 0; k < values.length; k++) {
    if (values[k] >= 0 && values[k] <= most) continue;
    throw new InvalidUpdateError(
      'bad_statistic',
      `tensor '${GAUSSIAN_STRAIGHTNESS_TENSOR}' row ${rows[Math.floor(k / groups)]}: straightness ${values[k]} is outside [0, ${most}]`,
    );
  }
}
