// The inverse of the accountant: the smallest noise multiplier σ that keeps `rounds` rounds at sampling rate
// q within a target ε at δ. ε falls monotonically as σ grows, so a bracket and bisection find it.

import { RdpAccountant } from './rdp-accountant.js';

export interface NoiseMultiplierTarget {
  readonly targetEpsilon: number;
  readonly delta: number;
  /** Probability that a device takes part in a round (Poisson sampling). */
  readonly samplingRate: number;
  readonly rounds: number;
  /** Relative width of the final bracket; the answer errs on the private side. Default 1e-4. */
  readonly tolerance?: number;
}

const MAX_NOISE_MULTIPLIER = 1e6;

function epsilonAt(sigma: number, target: NoiseMultiplierTarget): number {
  return new RdpAccountant().composeSubsampledGaussian(target.samplingRate, sigma, target.rounds).epsilon(target.delta);
}

/** The noise multiplier that spends at most `targetEpsilon` (within `tolerance` of it) over the rounds. */
export function noiseMultiplierForEpsilon(target: NoiseMultiplierTarget): number {
  const { targetEpsilon, delta, samplingRate, rounds, tolerance = 1e-4 } = target;
  if (!(targetEpsilon > 0 && Number.isFinite(targetEpsilon))) {
    throw new RangeError(`targetEpsilon must be > 0 and finite, got ${targetEpsilon}`);
  }
  if (!(delta > 0 && delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${delta}`);
  if (!(samplingRate > 0 && samplingRate <= 1)) throw new RangeError(`samplingRate must be in (0, 1], got ${samplingRate}`);
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new RangeError(`rounds must be a positive integer, got ${rounds}`);
  let low = 0;
  let high = 1;
  while (epsilonAt(high, target) > targetEpsilon) {
    low = high;
    high *= 2;
    if (high > MAX_NOISE_MULTIPLIER) throw new RangeError(`no noise multiplier up to ${MAX_NOISE_MULTIPLIER} reaches ε ${targetEpsilon}`);
  }
  while (high - low > tolerance * high) {
    const middle = (low + high) / 2;
    if (epsilonAt(middle, target) > targetEpsilon) low = middle;
    else high = middle;
  }
  return high;
}
