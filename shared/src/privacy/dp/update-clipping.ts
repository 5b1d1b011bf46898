// Per-device clipping of an update to an L2 norm (DP-FedAvg, McMahan et al., ICLR 2018): the update is
// scaled by min(1, C / ‖Δ‖) so that one device moves the sum by at most C, the sensitivity the Gaussian
// noise is calibrated to. The norm runs over every tensor, dense values and sparse rows alike.

import type { ModelUpdate, TensorValue } from '../../fl/model.js';

export interface ClippedUpdate {
  readonly update: ModelUpdate;
  /** ‖Δ‖ before clipping. */
  readonly norm: number;
  /** Whether the update was scaled down (its norm exceeded the clip norm). */
  readonly clipped: boolean;
}

/** The L2 norm of all of an update's values together. */
export function updateL2Norm(update: ModelUpdate): number {
  let sum = 0;
  for (const tensor of update.delta.values()) {
    const values = tensor.values;
    for (let i = 0; i < values.length; i++) sum += values[i] * values[i];
  }
  return Math.sqrt(sum);
}

function scaleTensor(tensor: TensorValue, factor: number): TensorValue {
  return { ...tensor, values: tensor.values.map((v) => v * factor) };
}

/** The update scaled to L2 norm at most `clipNorm` (the same object when it is already within it). */
export function clipUpdate(update: ModelUpdate, clipNorm: number): ClippedUpdate {
  if (!(clipNorm > 0 && Number.isFinite(clipNorm))) throw new RangeError(`clip norm must be > 0 and finite, got ${clipNorm}`);
  const norm = updateL2Norm(update);
  if (!Number.isFinite(norm)) throw new RangeError(`cannot clip an update whose norm is ${norm}`);
  if (norm <= clipNorm) return { update, norm, clipped: false };
  // float32 rounding of the scaled values can leave the norm a few ulps above C; aim just inside it.
  const factor = (clipNorm / norm) * (1 - 1e-6);
  const delta = new Map<string, TensorValue>();
  for (const [name, tensor] of update.delta) delta.set(name, scaleTensor(tensor, factor));
  return { update: { ...update, delta }, norm, clipped: true };
}
