// One Adam second moment per grid point, shared by every device of a federated run. Averaging devices'
// own Adam steps costs accuracy: each device divides by the second moment of its own small batches, so a
// round moves a point by the average of normalised steps, which is neither the step Adam would take on the
// devices' combined gradient nor zero where the devices' gradients cancel (the fixed point of averaged
// normalised steps is not the joint optimum). Under one shared denominator a device's steps are linear in
// its gradients, so the devices' deltas, averaged per point with equal weights, add up like one large
// batch, and the run converges to where the devices' gradients sum to zero.
//
// The moment travels in the model as two more tensors, [V, 1] each: the mean squared gradient per step of
// density and of colour (the mean over a point's colour coefficients), pooled over every device step that
// touched the point in the last round it was touched. A device uploads, per point it touched, its own mean
// minus the received value, weighted by the steps behind it, so the tiers' per-row weighted mean (FedAvg)
// leaves exactly the pooled mean in the model (a server learning rate other than 1 scales this step too; a
// moment pushed to zero or below makes the point step with the device's own Adam). Devices divide it by
// `sharedMomentDivisor` before use: the gradient of a step over all devices' rays is less noisy than one
// device's small batch.

import { dense, InvalidUpdateError, StrataError, type DenseTensor, type ModelParams, type SparseRows } from '@strata/shared';
import type { SharedMomentBuffers } from '../train/sparse-adam.js';

export const DENSITY_MOMENT_TENSOR = 'density_grad_sq';
export const COLOR_MOMENT_TENSOR = 'color_grad_sq';

/**
 * Stored moments are of the gradient of a batch's summed loss (3 × batch × the mean loss's gradient): larger
 * numbers, so fewer flush to zero when float16 compresses updates (the smallest, of points whose gradients are
 * negligible, still do; such a point then steps with the device's own Adam).
 */
function storedScale(batchSize: number): number {
  return (3 * batchSize) ** 2;
}

/** The moment tensors of a new model: zeros, so devices step with their own Adam until points are seen. */
export function initialMomentTensors(points: number): [string, DenseTensor][] {
  return [
    [DENSITY_MOMENT_TENSOR, dense([points, 1])],
    [COLOR_MOMENT_TENSOR, dense([points, 1])],
  ];
}

function momentTensor(model: ModelParams, name: string, points: number): DenseTensor {
  const t = model.get(name);
  if (!t) {
    throw new InvalidUpdateError(
      'unknown_tensor',
      `radiance model lacks tensor '${name}': the task shares a second moment (task option shared_second_moment)`,
    );
  }
  if (t.values.length !== points) {
    throw new InvalidUpdateError('shape', `radiance model tensor '${name}' holds ${t.values.length} values for a grid of ${points} points`);
  }
  return t;
}

/** Loads the shared moment of `model` into `into.moment` ([v density, v colour] per point, gradient units). */
export function loadSharedMoment(model: ModelParams, into: SharedMomentBuffers, divisor: number, batchSize: number): void {
  const points = into.moment.length / 2;
  const d = momentTensor(model, DENSITY_MOMENT_TENSOR, points).values;
  const c = momentTensor(model, COLOR_MOMENT_TENSOR, points).values;
  const scale = 1 / (divisor * storedScale(batchSize));
  const moment = into.moment;
  for (let v = 0; v < points; v++) {
    moment[2 * v] = d[v] * scale;
    moment[2 * v + 1] = c[v] * scale;
  }
}

/**
 * A device's upload for the moment tensors: for each point in `rows` (the points it touched), its mean
 * squared gradient per step minus the value it received, weighted by the steps that touched the point.
 */
export function momentDeltas(model: ModelParams, sums: SharedMomentBuffers, rows: Uint32Array, batchSize: number): [string, SparseRows][] {
  const points = sums.moment.length / 2;
  const received = [DENSITY_MOMENT_TENSOR, COLOR_MOMENT_TENSOR].map((name) => momentTensor(model, name, points).values);
  const squares = sums.squares;
  const scale = storedScale(batchSize);
  const steps = new Float32Array(rows.length);
  const deltas = [new Float32Array(rows.length), new Float32Array(rows.length)];
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i];
    const n = squares[3 * v];
    if (!(n > 0)) throw new StrataError('STRATA_ERR_INTERNAL', `point ${v} was uploaded without a step that touched it`);
    steps[i] = n;
    for (let k = 0; k < 2; k++) deltas[k][i] = (squares[3 * v + 1 + k] / n) * scale - received[k][v];
  }
  return [DENSITY_MOMENT_TENSOR, COLOR_MOMENT_TENSOR].map((name, k) => [
    name,
    { kind: 'sparse', shape: [points, 1], rows, values: deltas[k], rowWeights: steps },
  ]);
}
