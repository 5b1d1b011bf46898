// The coordinator's step of DP-FedAvg (McMahan et al. 2018): the edges' sums of clipped device updates
// added up, N(0, σ²C²) added to every coordinate from a cryptographic generator (central mode; in distributed
// mode the devices added their shares of it under secure aggregation, and the sums arrive noised), divided by
// the devices selected (a fixed denominator: the count of who answered is never used), and the round composed
// into the run's privacy budget at the round's sampling rate. A release that would pass the target ε is
// refused: the round's model is not published, so no ε is spent on it.

import {
  CryptoRandom,
  PrivacyBudget,
  addGaussianNoise,
  centralNoiseStd,
  fixedDenominatorMean,
  weightedDenseSum,
  type EdgeRoundJob,
  type ModelUpdate,
  type PrivacyConfig,
  type RoundRecord,
} from '@strata/shared';

/** What a round record carries under DP. */
export interface RoundPrivacy {
  /** ε spent by the rounds released so far, this one included, at `delta`. */
  readonly epsilon: number;
  readonly delta: number;
  /** The largest fraction of an edge's devices selected this round (the accountant's q). */
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly clipNorm: number;
  /** The fixed denominator: devices selected this round. */
  readonly devices: number;
}

/** What the edges are told: clip to C; in distributed mode, also σ, for their devices' noise shares. */
export function edgePrivacy(config: PrivacyConfig): NonNullable<EdgeRoundJob['privacy']> {
  const { clipNorm, noiseMultiplier } = config;
  return config.mode === 'distributed' ? { clipNorm, distributedNoiseMultiplier: noiseMultiplier } : { clipNorm };
}

/** A round's combined update (with its privacy figures under DP), or why DP refuses to release it. */
export type Release = { readonly combined: ModelUpdate; readonly privacy?: RoundPrivacy } | { readonly stop: string };

export class CentralPrivacy {
  private readonly budget: PrivacyBudget;

  constructor(
    readonly config: PrivacyConfig,
    private readonly random: CryptoRandom = CryptoRandom.fromEntropy(),
  ) {
    this.budget = new PrivacyBudget({
      noiseMultiplier: config.noiseMultiplier,
      delta: config.delta,
      ...(config.targetEpsilon !== undefined ? { targetEpsilon: config.targetEpsilon } : {}),
    });
  }

  /** Composes the rounds a resumed run released before (their records carry `privacy`). */
  replay(records: readonly RoundRecord[]): void {
    for (const record of records) {
      const privacy = record.privacy as RoundPrivacy | undefined;
      if (privacy) this.budget.record(privacy.samplingRate, privacy.noiseMultiplier);
    }
  }

  /** ε spent so far. */
  get epsilon(): number {
    return this.budget.epsilonSpent();
  }

  /** Why a round sampled at `samplingRate` must not run (null: it fits the target ε). */
  stopBefore(samplingRate: number): string | null {
    if (this.budget.canSpend(samplingRate)) return null;
    const after = this.budget.epsilonAfter(samplingRate);
    return (
      `stopping at the privacy target: ε ${this.epsilon.toFixed(3)} spent in ${this.budget.rounds} rounds, ` +
      `one more round would reach ε ${after.toFixed(3)} > target ${this.budget.targetEpsilon} (δ ${this.config.delta})`
    );
  }

  /**
   * The noised mean of the edges' clipped sums, with `devices` selected at sampling rate `samplingRate`,
   * recorded in the budget; or why it is not released.
   */
  release(edgeSums: readonly ModelUpdate[], devices: number, samplingRate: number): Release {
    const stop = this.stopBefore(samplingRate);
    if (stop) return { stop };
    const { clipNorm, noiseMultiplier, delta } = this.config;
    const sum = weightedDenseSum(
      edgeSums.map((update) => ({ ...update, weight: 1 })),
      1,
    );
    const noised =
      this.config.mode === 'distributed' ? sum : addGaussianNoise(sum, centralNoiseStd(noiseMultiplier, clipNorm), this.random);
    const mean = fixedDenominatorMean(noised, Math.max(1, devices));
    this.budget.record(samplingRate);
    const weight = edgeSums.reduce((w, u) => w + u.weight, 0);
    return {
      combined: { ...mean, weight, metrics: {} },
      privacy: { epsilon: this.budget.epsilonSpent(), delta, samplingRate, noiseMultiplier, clipNorm, devices },
    };
  }
}
