// How much Gaussian noise DP-FedAvg adds, and where. With every device's update clipped to L2 norm C, the
// sum of the updates has sensitivity C, and noise N(0, σ²C²) on it makes a round a Gaussian mechanism with
// noise multiplier σ, which the accountant composes.
//
// - Central mode: the coordinator adds N(0, σ²C²) to the sum. Trust: the coordinator (and every tier that
//   sees an unnoised sum or an individual update: the edges, unless secure aggregation hides the updates)
//   is trusted; the released model is private.
// - Distributed mode: each device adds N(0, σ²C²/m) to its own clipped update before secure aggregation, so
//   that a sum over m devices carries N(0, σ²C²). Trust: no tier sees an unnoised sum, as long as secure
//   aggregation holds and at least m honest devices' noise is in the sum. m is the fewest devices a sum may
//   hold (the secure-aggregation threshold): a sum over more devices carries more noise than needed, never
//   less. A device's own noise alone protects it only with σ/√m, which is why the updates must stay masked.

/** Standard deviation of the noise the coordinator adds to the sum of clipped updates. */
export function centralNoiseStd(noiseMultiplier: number, clipNorm: number): number {
  checkPositive('noise multiplier', noiseMultiplier);
  checkPositive('clip norm', clipNorm);
  return noiseMultiplier * clipNorm;
}

/** Standard deviation of the noise each device adds when the sum holds at least `minContributors` devices. */
export function distributedNoiseStd(noiseMultiplier: number, clipNorm: number, minContributors: number): number {
  if (!(Number.isInteger(minContributors) && minContributors >= 1)) {
    throw new RangeError(`minContributors must be a positive integer, got ${minContributors}`);
  }
  return centralNoiseStd(noiseMultiplier, clipNorm) / Math.sqrt(minContributors);
}

function checkPositive(name: string, value: number): void {
  if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`${name} must be > 0 and finite, got ${value}`);
}
