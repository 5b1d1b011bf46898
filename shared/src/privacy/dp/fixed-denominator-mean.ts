// The DP-FedAvg estimator of the mean update (McMahan et al. 2018, the fixed-denominator form): the noised
// sum of clipped (weight-capped) updates divided by the expected total weight, a public number, rather than
// by the realised weight, which would itself leak whether a device took part.

import { elementCount, type ModelUpdate, type TensorValue } from '../../fl/model.js';
import { denseValues } from './gaussian-noise.js';

/** Σ_i w_i Δ_i over `updates` with w_i = weight / weightCap (at most 1), every tensor dense. */
export function weightedDenseSum(updates: readonly ModelUpdate[], weightCap: number): ModelUpdate {
  if (!(weightCap > 0)) throw new RangeError(`weightCap must be > 0, got ${weightCap}`);
  const sums = new Map<string, Float32Array>();
  const shapes = new Map<string, readonly number[]>();
  let weight = 0;
  for (const update of updates) {
    if (!(update.weight >= 0 && update.weight <= weightCap)) {
      throw new RangeError(`update weight ${update.weight} outside [0, ${weightCap}]: cap it before clipping`);
    }
    const w = update.weight / weightCap;
    weight += update.weight;
    for (const [name, tensor] of update.delta) {
      let sum = sums.get(name);
      if (!sum) {
        sum = new Float32Array(elementCount(tensor.shape));
        sums.set(name, sum);
        shapes.set(name, tensor.shape);
      }
      const values = denseValues(tensor);
      if (values.length !== sum.length) throw new RangeError(`tensor ${name}: ${values.length} values, expected ${sum.length}`);
      for (let i = 0; i < sum.length; i++) sum[i] += w * values[i];
    }
  }
  const delta = new Map<string, TensorValue>();
  for (const [name, values] of sums) delta.set(name, { kind: 'dense', shape: [...shapes.get(name)!], values });
  return { delta, weight, metrics: {} };
}

/** The mean update: `sum` / `expectedWeight` (in units of the weight cap: the expected Σ w_i). */
export function fixedDenominatorMean(sum: ModelUpdate, expectedWeight: number): ModelUpdate {
  if (!(expectedWeight > 0)) throw new RangeError(`expectedWeight must be > 0, got ${expectedWeight}`);
  const delta = new Map<string, TensorValue>();
  for (const [name, tensor] of sum.delta) delta.set(name, { ...tensor, values: tensor.values.map((v) => v / expectedWeight) });
  return { ...sum, delta };
}
