// The edge's step of central DP-FedAvg: each device update clipped to L2 norm C and the clipped updates
// summed with weight 1 each (dense over every tensor), so that adding or removing one device moves the sum
// by at most C. The coordinator noises the sum of these sums and divides by the devices selected.

import { clipUpdate, weightedDenseSum, type ModelUpdate } from '@strata/shared';

export interface PrivateDeviceSum {
  /** Σ clip(Δ_i, C); its weight is the devices' sample count and its metrics their sums (not private). */
  readonly sum: ModelUpdate;
  /** Updates scaled down to C. */
  readonly clipped: number;
}

export function privateDeviceSum(updates: readonly ModelUpdate[], clipNorm: number): PrivateDeviceSum {
  let clipped = 0;
  let samples = 0;
  const metrics: Record<string, number> = {};
  const unitWeight = updates.map((update) => {
    const result = clipUpdate(update, clipNorm);
    if (result.clipped) clipped++;
    samples += update.weight;
    for (const [key, value] of Object.entries(update.metrics)) metrics[key] = (metrics[key] ?? 0) + value;
    return { ...result.update, weight: 1 };
  });
  const sum = weightedDenseSum(unitWeight, 1);
  return { sum: { ...sum, weight: samples, metrics }, clipped };
}
