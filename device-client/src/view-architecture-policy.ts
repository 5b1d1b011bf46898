// Which rendering architecture a device should view with on its current link, decided from measured
// sessions: among the architectures that keep up (frame rate at least `minFpsFraction` of the pose rate
// and p95 motion-to-photon latency within `maxP95Ms`), the one whose shown frames are closest to what the
// user should see (highest displayed-frame PSNR); when none keeps up, the one with the highest frame rate.
// The policy remembers its choice per device and reports a switch when a new link's measurements change it.

import { ConfigError } from '@strata/shared';
import type { ViewArchitecture } from './view-session-player.js';

export interface ArchitectureMeasurement {
  readonly architecture: ViewArchitecture;
  readonly fps: number;
  readonly p95LatencyMs: number;
  readonly meanPsnr: number;
}

export interface PolicyThresholds {
  /** Default 0.8: 24 fps for a 30 Hz path. */
  readonly minFpsFraction: number;
  /** Default 100 ms. */
  readonly maxP95Ms: number;
}

export const DEFAULT_POLICY_THRESHOLDS: PolicyThresholds = { minFpsFraction: 0.8, maxP95Ms: 100 };

export interface ArchitectureChoice {
  readonly architecture: ViewArchitecture;
  readonly reason: string;
}

export function chooseViewArchitecture(
  measured: readonly ArchitectureMeasurement[],
  rateHz: number,
  thresholds: PolicyThresholds = DEFAULT_POLICY_THRESHOLDS,
): ArchitectureChoice {
  if (measured.length === 0) throw new ConfigError('choose a view architecture: nothing measured');
  const keepsUp = measured.filter((m) => m.fps >= thresholds.minFpsFraction * rateHz && m.p95LatencyMs <= thresholds.maxP95Ms);
  if (keepsUp.length > 0) {
    const best = keepsUp.reduce((a, b) => (b.meanPsnr > a.meanPsnr ? b : a));
    return {
      architecture: best.architecture,
      reason: `highest displayed PSNR (${best.meanPsnr.toFixed(2)} dB) of ${keepsUp.map((m) => m.architecture).join(', ')} (>= ${(thresholds.minFpsFraction * rateHz).toFixed(0)} fps, p95 <= ${thresholds.maxP95Ms} ms)`,
    };
  }
  const fastest = measured.reduce((a, b) => (b.fps > a.fps ? b : a));
  return { architecture: fastest.architecture, reason: `none keeps up; highest frame rate (${fastest.fps.toFixed(1)} fps)` };
}

/** A device's policy over time: the choice per link, and the switches as the link changes. */
export class ViewArchitecturePolicy {
  private current: ArchitectureChoice | undefined;
  readonly switches: { from: ViewArchitecture | null; to: ViewArchitecture; link: string; reason: string }[] = [];

  constructor(
    private readonly rateHz: number,
    private readonly thresholds: PolicyThresholds = DEFAULT_POLICY_THRESHOLDS,
  ) {}

  /** The link is now `link`, measured as `measured`: returns the architecture to use (recording a switch). */
  linkChanged(link: string, measured: readonly ArchitectureMeasurement[]): ArchitectureChoice {
    const choice = chooseViewArchitecture(measured, this.rateHz, this.thresholds);
    if (choice.architecture !== this.current?.architecture)
      this.switches.push({ from: this.current?.architecture ?? null, to: choice.architecture, link, reason: choice.reason });
    this.current = choice;
    return choice;
  }
}
