// What a report plots, pulled out of run records: metric names, byte tiers, per-round series. Records are
// read from disk, possibly written by older versions, so a missing field reads as "no data", not a crash.

import type { RoundRecord, RunRecord } from '@strata/shared';
import type { ChartPoint } from './chart/index.js';

export type TimeAxis = 'round' | 'simSeconds';

/** Metric names in order of first appearance across the records' rounds. */
export function roundMetricNames(records: readonly RunRecord[]): string[] {
  return unique(records.flatMap((r) => rounds(r).flatMap((round) => Object.keys(round.metrics ?? {}))));
}

/** Metrics in the final evaluation, then metrics only the baselines report. */
export function finalMetricNames(record: RunRecord): string[] {
  const baselines = Object.values(record.baselines ?? {});
  return unique([...Object.keys(record.final?.metrics ?? {}), ...baselines.flatMap((b) => Object.keys(b))]);
}

/** Every byte counter the records use: deviceEdge and edgeCloud first, then the rest as they appear. */
export function byteTiers(records: readonly RunRecord[]): string[] {
  return unique(['deviceEdge', 'edgeCloud', ...records.flatMap((r) => rounds(r).flatMap((round) => Object.keys(round.bytes ?? {})))]);
}

/**
 * The tiers whose sum is the total traffic. A counter named after another plus a suffix (deviceEdgeUp
 * beside deviceEdge) is a breakdown of it, so stacking both would count those bytes twice.
 */
export function topLevelTiers(tiers: readonly string[]): string[] {
  return tiers.filter((t) => !tiers.some((other) => other !== t && t.startsWith(other) && /^[A-Z_-]/.test(t.slice(other.length))));
}

export function metricPoints(record: RunRecord, metric: string, axis: TimeAxis): ChartPoint[] {
  return rounds(record)
    .filter((round) => round.metrics !== undefined && metric in round.metrics)
    .map((round) => ({ x: axisValue(round, axis), y: round.metrics[metric] }));
}

export function hasSimTime(record: RunRecord): boolean {
  return rounds(record).some((round) => typeof round.simSeconds === 'number' && Number.isFinite(round.simSeconds));
}

export function roundBytes(round: RoundRecord, tier: string): number | undefined {
  const value = round.bytes?.[tier];
  return typeof value === 'number' ? value : undefined;
}

/** Bytes per tier summed over all rounds. */
export function totalBytes(record: RunRecord, tier: string): number {
  return rounds(record).reduce((sum, round) => sum + (roundBytes(round, tier) ?? 0), 0);
}

export function rounds(record: RunRecord): RoundRecord[] {
  return Array.isArray(record.rounds) ? record.rounds : [];
}

/** Distinct legend labels for the runs of one report: ids, numbered when two runs share one. */
export function runLabels(records: readonly RunRecord[]): string[] {
  const seen = new Map<string, number>();
  return records.map((r) => {
    const id = String(r.id);
    const n = (seen.get(id) ?? 0) + 1;
    seen.set(id, n);
    return n === 1 ? id : `${id} (${n})`;
  });
}

function axisValue(round: RoundRecord, axis: TimeAxis): number {
  const value = axis === 'round' ? round.round : round.simSeconds;
  return typeof value === 'number' ? value : Number.NaN;
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
