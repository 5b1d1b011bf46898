// Time-to-accuracy across runs: when each run first reached a target value of a metric, in rounds,
// simulated seconds and bytes over the cloud's link. `strata compare` prints it; tests check it.

import type { RoundRecord, RunRecord } from '@strata/shared';
import { cloudLinkBytes, higherIsBetter } from '@strata/shared';

export interface TargetReached {
  readonly round: number;
  /** Simulated time at the end of that round (absent for runs without simulated time). */
  readonly simSeconds?: number;
  /** Wall seconds of the rounds up to it. */
  readonly wallSeconds: number;
  /** Bytes over the cloud's link up to the end of that round. */
  readonly cloudLinkBytes: number;
}

export interface RunComparisonRow {
  readonly id: string;
  readonly mode: string;
  readonly rounds: number;
  readonly final: number | undefined;
  readonly simSeconds: number | undefined;
  readonly totalCloudLinkBytes: number;
  /** Undefined when the run never reached the target. */
  readonly reached: TargetReached | undefined;
}

/** The first round whose `metric` is at least as good as `target`. */
export function firstReaching(record: RunRecord, metric: string, target: number): TargetReached | undefined {
  const better = higherIsBetter(metric);
  let bytes = 0;
  let wall = 0;
  for (const round of record.rounds ?? []) {
    bytes += roundCloudLinkBytes(round);
    wall += round.wallSeconds ?? 0;
    const value = round.metrics?.[metric];
    if (typeof value !== 'number' || Number.isNaN(value)) continue;
    if (better ? value >= target : value <= target) {
      return { round: round.round, simSeconds: round.simSeconds, wallSeconds: wall, cloudLinkBytes: bytes };
    }
  }
  return undefined;
}

/** The target every run is measured against by default: the worst of their final values. */
export function defaultTarget(records: readonly RunRecord[], metric: string): number | undefined {
  const finals = records.map((r) => r.final?.metrics?.[metric]).filter((v): v is number => typeof v === 'number' && !Number.isNaN(v));
  if (finals.length === 0) return undefined;
  return higherIsBetter(metric) ? Math.min(...finals) : Math.max(...finals);
}

export function compareRuns(records: readonly RunRecord[], metric: string, target: number): RunComparisonRow[] {
  return records.map((record) => {
    const rounds = record.rounds ?? [];
    const last = rounds[rounds.length - 1];
    return {
      id: String(record.id),
      mode: String(record.mode),
      rounds: rounds.length,
      final: record.final?.metrics?.[metric],
      simSeconds: typeof last?.simSeconds === 'number' ? last.simSeconds : undefined,
      totalCloudLinkBytes: rounds.reduce((sum, round) => sum + roundCloudLinkBytes(round), 0),
      reached: firstReaching(record, metric, target),
    };
  });
}

function roundCloudLinkBytes(round: RoundRecord): number {
  return cloudLinkBytes(round.bytes ?? {});
}
