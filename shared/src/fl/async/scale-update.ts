// An update with its delta scaled by a factor (its weight and row weights kept): how FedBuff and FedAsync
// down-weight a stale update, so that a buffer of equally stale updates moves the model less, as in the
// papers, instead of the factor cancelling out in a weighted mean.

import type { ModelUpdate, TensorValue } from '../model.js';

export function scaleUpdate(update: ModelUpdate, factor: number): ModelUpdate {
  if (!Number.isFinite(factor) || factor < 0) throw new RangeError(`scale factor must be finite and non-negative, got ${factor}`);
  if (factor === 1) return update;
  const delta = new Map<string, TensorValue>();
  for (const [name, value] of update.delta) {
    const values = new Float32Array(value.values.length);
    for (let i = 0; i < values.length; i++) values[i] = value.values[i] * factor;
    delta.set(name, { ...value, values });
  }
  return { delta, weight: update.weight, metrics: update.metrics };
}
