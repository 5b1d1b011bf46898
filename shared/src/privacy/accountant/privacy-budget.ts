// What a coordinator keeps per run under differential privacy: the rounds it has released (each a
// subsampled Gaussian mechanism), ε spent so far at the run's δ, and whether one more round still fits a
// target ε. Its state is plain JSON, so it persists with the coordinator's round state and resumes.

import { RdpAccountant } from './rdp-accountant.js';

export interface PrivacyBudgetOptions {
  /** Noise standard deviation over the clip norm (σ), for rounds recorded without their own. */
  readonly noiseMultiplier: number;
  readonly delta: number;
  /** The run stops before a round that would spend more than this. Infinity: account only. */
  readonly targetEpsilon?: number;
}

/** A run of identical rounds. */
export interface PrivacyBudgetEntry {
  readonly samplingRate: number;
  readonly noiseMultiplier: number;
  readonly rounds: number;
}

export interface PrivacyBudgetState {
  readonly noiseMultiplier: number;
  readonly delta: number;
  /** null: no target (JSON has no Infinity). */
  readonly targetEpsilon: number | null;
  readonly entries: readonly PrivacyBudgetEntry[];
}

export class PrivacyBudget {
  readonly noiseMultiplier: number;
  readonly delta: number;
  readonly targetEpsilon: number;
  private readonly entries: PrivacyBudgetEntry[] = [];
  private readonly accountant = new RdpAccountant();

  constructor(options: PrivacyBudgetOptions) {
    if (!(options.noiseMultiplier > 0)) throw new RangeError(`noiseMultiplier must be > 0, got ${options.noiseMultiplier}`);
    if (!(options.delta > 0 && options.delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${options.delta}`);
    const target = options.targetEpsilon ?? Infinity;
    if (!(target > 0)) throw new RangeError(`targetEpsilon must be > 0, got ${target}`);
    this.noiseMultiplier = options.noiseMultiplier;
    this.delta = options.delta;
    this.targetEpsilon = target;
  }

  static fromState(state: PrivacyBudgetState): PrivacyBudget {
    const budget = new PrivacyBudget({
      noiseMultiplier: state.noiseMultiplier,
      delta: state.delta,
      targetEpsilon: state.targetEpsilon ?? Infinity,
    });
    for (const entry of state.entries) budget.add(entry.samplingRate, entry.noiseMultiplier, entry.rounds);
    return budget;
  }

  /** Rounds recorded so far. */
  get rounds(): number {
    return this.entries.reduce((n, e) => n + e.rounds, 0);
  }

  /** ε spent by the rounds recorded so far, at the budget's δ. */
  epsilonSpent(): number {
    return this.accountant.epsilon(this.delta);
  }

  /** ε the run would have spent after one more round sampled at `samplingRate`. */
  epsilonAfter(samplingRate: number, noiseMultiplier = this.noiseMultiplier): number {
    const next = new RdpAccountant(this.accountant.orders);
    for (const e of this.entries) next.composeSubsampledGaussian(e.samplingRate, e.noiseMultiplier, e.rounds);
    return next.composeSubsampledGaussian(samplingRate, noiseMultiplier).epsilon(this.delta);
  }

  /** Whether one more round sampled at `samplingRate` stays within the target ε. */
  canSpend(samplingRate: number, noiseMultiplier = this.noiseMultiplier): boolean {
    return this.epsilonAfter(samplingRate, noiseMultiplier) <= this.targetEpsilon;
  }

  /** Records a released round. Throws when it would pass the target: the caller should have asked canSpend. */
  record(samplingRate: number, noiseMultiplier = this.noiseMultiplier): void {
    const after = this.epsilonAfter(samplingRate, noiseMultiplier);
    if (after > this.targetEpsilon) {
      throw new RangeError(
        `a round at q ${samplingRate}, σ ${noiseMultiplier} would spend ε ${after}, past the target ε ${this.targetEpsilon}`,
      );
    }
    this.add(samplingRate, noiseMultiplier, 1);
  }

  state(): PrivacyBudgetState {
    return {
      noiseMultiplier: this.noiseMultiplier,
      delta: this.delta,
      targetEpsilon: Number.isFinite(this.targetEpsilon) ? this.targetEpsilon : null,
      entries: this.entries.map((e) => ({ ...e })),
    };
  }

  private add(samplingRate: number, noiseMultiplier: number, rounds: number): void {
    this.accountant.composeSubsampledGaussian(samplingRate, noiseMultiplier, rounds);
    const last = this.entries.at(-1);
    if (last && last.samplingRate === samplingRate && last.noiseMultiplier === noiseMultiplier) {
      this.entries[this.entries.length - 1] = { ...last, rounds: last.rounds + rounds };
    } else {
      this.entries.push({ samplingRate, noiseMultiplier, rounds });
    }
  }
}
