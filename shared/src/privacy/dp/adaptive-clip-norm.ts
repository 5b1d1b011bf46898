// Adaptive clipping (Andrew, Thakkar, McMahan and Ramaswamy, "Differentially Private Learning with Adaptive
// Clipping", NeurIPS 2021): the clip norm C tracks a target quantile γ of the devices' update norms. Each
// round every device reports whether its update was within C (b = 1) or not (b = 0); the server takes a
// noised fraction b̃ = (Σ (b - 1/2) + N(0, σ_b²)) / m + 1/2 over the expected number of devices m, and steps
// C ← C · exp(-η (b̃ - γ)) (geometric update). Centring b on 1/2 halves the count's sensitivity, so the
// count and the update sum together are one Gaussian mechanism with noise multiplier
// z = (z_Δ^-2 + (2σ_b)^-2)^-1/2: that z goes to the accountant, and the update noise must use z_Δ.

import type { CryptoRandom } from '../crypto-random.js';

export interface AdaptiveClipOptions {
  readonly initialClipNorm: number;
  /** The quantile γ of update norms that C should track. Default 0.5 (the median). */
  readonly targetQuantile?: number;
  /** η: the step of log C per unit of quantile error. Default 0.2, the paper's. */
  readonly learningRate?: number;
  /** σ_b: the noise on the count of unclipped devices. The paper suggests m / 20. */
  readonly countNoiseStd: number;
}

export class AdaptiveClipNorm {
  private norm: number;
  readonly targetQuantile: number;
  readonly learningRate: number;
  readonly countNoiseStd: number;

  constructor(options: AdaptiveClipOptions) {
    const { initialClipNorm, targetQuantile = 0.5, learningRate = 0.2, countNoiseStd } = options;
    if (!(initialClipNorm > 0 && Number.isFinite(initialClipNorm))) {
      throw new RangeError(`initialClipNorm must be > 0, got ${initialClipNorm}`);
    }
    if (!(targetQuantile >= 0 && targetQuantile <= 1)) throw new RangeError(`targetQuantile must be in [0, 1], got ${targetQuantile}`);
    if (!(learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${learningRate}`);
    if (!(countNoiseStd >= 0)) throw new RangeError(`countNoiseStd must be >= 0, got ${countNoiseStd}`);
    this.norm = initialClipNorm;
    this.targetQuantile = targetQuantile;
    this.learningRate = learningRate;
    this.countNoiseStd = countNoiseStd;
  }

  /** The clip norm for this round. */
  get clipNorm(): number {
    return this.norm;
  }

  /** Continues from a clip norm a resumed run had reached. */
  restore(clipNorm: number): void {
    if (!(clipNorm > 0 && Number.isFinite(clipNorm))) throw new RangeError(`clipNorm must be > 0, got ${clipNorm}`);
    this.norm = clipNorm;
  }

  /** A device's report, centred: +1/2 when its update norm is within the clip norm, -1/2 otherwise. */
  report(updateNorm: number): number {
    return updateNorm <= this.norm ? 0.5 : -0.5;
  }

  /**
   * Steps C from the sum of the devices' reports over a round that expected `expectedDevices` of them.
   * `reportSum` is noised here (central mode) unless `alreadyNoised` (the devices noised their reports
   * under secure aggregation). Returns the noised fraction b̃ of devices within the old clip norm.
   */
  update(reportSum: number, expectedDevices: number, random: CryptoRandom, alreadyNoised = false): number {
    if (!(expectedDevices > 0)) throw new RangeError(`expectedDevices must be > 0, got ${expectedDevices}`);
    const noisy = alreadyNoised ? reportSum : reportSum + this.countNoiseStd * random.normal();
    const fraction = noisy / expectedDevices + 0.5;
    this.norm *= Math.exp(-this.learningRate * (fraction - this.targetQuantile));
    return fraction;
  }
}

/**
 * The noise multiplier z_Δ for the updates that, together with count noise σ_b, spends what one Gaussian
 * mechanism with multiplier `noiseMultiplier` (z) does. Throws when σ_b is too small to leave any budget.
 */
export function updateNoiseMultiplier(noiseMultiplier: number, countNoiseStd: number): number {
  const remaining = noiseMultiplier ** -2 - (2 * countNoiseStd) ** -2;
  if (!(remaining > 0)) {
    throw new RangeError(
      `count noise σ_b ${countNoiseStd} spends the whole budget of noise multiplier ${noiseMultiplier}: need σ_b > z / 2`,
    );
  }
  return remaining ** -0.5;
}
