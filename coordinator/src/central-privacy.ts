// The coordinator's step of DP-FedAvg (McMahan et al. 2018): the edges' sums of clipped device updates
// added up, N(0, σ²C²) added to every coordinate from a cryptographic generator (central mode; in distributed
// mode the devices added their shares of it under secure aggregation, and the sums arrive noised), divided by
// the devices selected (a fixed denominator: the count of who answered is never used), and the round composed
// into the run's privacy budget at the round's sampling rate. A release that would pass the target ε is
// refused: the round's model is not published, so no ε is spent on it. With adaptive clipping (Andrew et al.
// 2021) the clip norm C the edges are told follows a quantile of the update norms: after each release it
// steps by the noised count of updates the edges found within C, and the update noise uses z_Δ, so that the
// count and the sum together spend what one Gaussian mechanism with the configured z does.

import {
  AdaptiveClipNorm,
  CryptoRandom,
  PrivacyBudget,
  updateNoiseMultiplier,
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
  /** The C this round's updates were clipped to. */
  readonly clipNorm: number;
  /** Adaptive clipping: the C the next round uses, and the noised fraction of updates within this round's C. */
  readonly nextClipNorm?: number;
  readonly withinClipFraction?: number;
  /** The fixed denominator: devices selected this round. */
  readonly devices: number;
}

/** How many of a round's clipped-and-summed device updates were within C, and how many were scaled down. */
export interface ClipReport {
  readonly within: number;
  readonly clipped: number;
}

/** A round's combined update (with its privacy figures under DP), or why DP refuses to release it. */
export type Release = { readonly combined: ModelUpdate; readonly privacy?: RoundPrivacy } | { readonly stop: string };

export class CentralPrivacy {
  private readonly budget: PrivacyBudget;
  private readonly adaptive: AdaptiveClipNorm | undefined;
  /** z_Δ: the noise multiplier of the update sum (z itself unless adaptive clipping noises a count too). */
  private readonly updateNoise: number;

  constructor(
    readonly config: PrivacyConfig,
    private readonly random: CryptoRandom = CryptoRandom.fromEntropy(),
  ) {
    const adaptive = config.adaptiveClip;
    this.adaptive = adaptive ? new AdaptiveClipNorm({ initialClipNorm: config.clipNorm, ...adaptive }) : undefined;
    this.updateNoise = adaptive ? updateNoiseMultiplier(config.noiseMultiplier, adaptive.countNoiseStd) : config.noiseMultiplier;
    this.budget = new PrivacyBudget({
      noiseMultiplier: config.noiseMultiplier,
      delta: config.delta,
      ...(config.targetEpsilon !== undefined ? { targetEpsilon: config.targetEpsilon } : {}),
    });
  }

  /** Composes the rounds a resumed run released before (their records carry `privacy`), and resumes its C. */
  replay(records: readonly RoundRecord[]): void {
    for (const record of records) {
      const privacy = record.privacy as RoundPrivacy | undefined;
      if (!privacy) continue;
      this.budget.record(privacy.samplingRate, privacy.noiseMultiplier);
      if (this.adaptive && privacy.nextClipNorm !== undefined) this.adaptive.restore(privacy.nextClipNorm);
    }
  }

  /** The C of the next round. */
  get clipNorm(): number {
    return this.adaptive?.clipNorm ?? this.config.clipNorm;
  }

  /** What the edges are told: clip to C; in distributed mode, also σ, for their devices' noise shares. */
  edgeJobPrivacy(): NonNullable<EdgeRoundJob['privacy']> {
    const { clipNorm } = this;
    return this.config.mode === 'distributed' ? { clipNorm, distributedNoiseMultiplier: this.config.noiseMultiplier } : { clipNorm };
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
   * recorded in the budget; or why it is not released. `clips` (adaptive clipping) steps C for the next round.
   */
  release(edgeSums: readonly ModelUpdate[], devices: number, samplingRate: number, clips?: ClipReport): Release {
    const stop = this.stopBefore(samplingRate);
    if (stop) return { stop };
    const { noiseMultiplier, delta } = this.config;
    const { clipNorm } = this;
    const sum = weightedDenseSum(
      edgeSums.map((update) => ({ ...update, weight: 1 })),
      1,
    );
    const noised =
      this.config.mode === 'distributed' ? sum : addGaussianNoise(sum, centralNoiseStd(this.updateNoise, clipNorm), this.random);
    const mean = fixedDenominatorMean(noised, Math.max(1, devices));
    this.budget.record(samplingRate);
    const weight = edgeSums.reduce((w, u) => w + u.weight, 0);
    const adaptive = this.adaptive ? this.stepClipNorm(this.adaptive, devices, clips) : {};
    return {
      combined: { ...mean, weight, metrics: {} },
      privacy: { epsilon: this.budget.epsilonSpent(), delta, samplingRate, noiseMultiplier, clipNorm, devices, ...adaptive },
    };
  }

  /**
   * Steps C from the edges' counts: Σ (b - 1/2) over the summed updates, each b 1 within C and 0 beyond, the
   * sum bounded by what `devices` selected devices can give (an edge over-counting moves C at most that far).
   */
  private stepClipNorm(adaptive: AdaptiveClipNorm, devices: number, clips: ClipReport = { within: 0, clipped: 0 }) {
    const selected = Math.max(1, devices);
    const centred = Math.min(selected / 2, Math.max(-selected / 2, (clips.within - clips.clipped) / 2));
    const withinClipFraction = adaptive.update(centred, selected, this.random);
    return { nextClipNorm: adaptive.clipNorm, withinClipFraction };
  }
}
