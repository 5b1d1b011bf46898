// The counters a round keeps, defined once for every tier and mode: who took part (participation, summed
// over edge iterations and edges) and the bytes that crossed each tier boundary, and how both go into a run
// record. The coordinator, the edges, the embedded runtime and the simulator all count with these.

import type { RoundRecord } from '../run/run-record.js';
import type { EdgeParticipation } from './round-jobs.js';

export function emptyParticipation(): EdgeParticipation {
  return {
    selected: 0,
    answered: 0,
    dropped: 0,
    failed: 0,
    rejected: {},
    clipped: {},
    bytesDown: 0,
    bytesUp: 0,
    bytesControl: 0,
    bytesFetched: 0,
  };
}

/** Adds `part` into `total`. */
export function addParticipation(total: EdgeParticipation, part: EdgeParticipation): void {
  total.selected += part.selected;
  total.answered += part.answered;
  total.dropped += part.dropped;
  total.failed += part.failed;
  total.bytesDown += part.bytesDown;
  total.bytesUp += part.bytesUp;
  total.bytesControl += part.bytesControl;
  total.bytesFetched += part.bytesFetched;
  if (part.secAggRecovered !== undefined) total.secAggRecovered = (total.secAggRecovered ?? 0) + part.secAggRecovered;
  if (part.secAggAborted !== undefined) total.secAggAborted = (total.secAggAborted ?? 0) + part.secAggAborted;
  if (part.edgeSteps !== undefined) total.edgeSteps = (total.edgeSteps ?? 0) + part.edgeSteps;
  if (part.dpWithinClip !== undefined) total.dpWithinClip = (total.dpWithinClip ?? 0) + part.dpWithinClip;
  if (part.staleness) {
    total.staleness ??= {};
    for (const [tau, n] of Object.entries(part.staleness)) countReason(total.staleness, tau, n);
  }
  for (const [reason, n] of Object.entries(part.rejected)) countReason(total.rejected, reason, n);
  for (const [what, n] of Object.entries(part.clipped)) countReason(total.clipped, what, n);
}

/** Adds `n` to the count of `reason` (rejections, refusals) in `counts`. */
export function countReason(counts: Record<string, number>, reason: string, n = 1): void {
  counts[reason] = (counts[reason] ?? 0) + n;
}

/**
 * A tier boundary: device-edge, edge-cloud, and device-cloud (devices talking to the cloud directly, as in a
 * flat deployment). The bytes over the cloud's link are edge-cloud plus device-cloud.
 */
export type Tier = 'deviceEdge' | 'edgeCloud' | 'deviceCloud';

/** Bytes per tier boundary and direction (up: towards the cloud). */
export type TierBytes = Record<`${Tier}${'Up' | 'Down'}`, number>;

/** What a hierarchy without direct device-cloud links counts (the coordinator's view of a round). */
export type HierarchyBytes = Pick<TierBytes, 'deviceEdgeUp' | 'deviceEdgeDown' | 'edgeCloudUp' | 'edgeCloudDown'>;

export function emptyHierarchyBytes(): HierarchyBytes {
  return { deviceEdgeUp: 0, deviceEdgeDown: 0, edgeCloudUp: 0, edgeCloudDown: 0 };
}

export function emptyTierBytes(): TierBytes {
  return { ...emptyHierarchyBytes(), deviceCloudUp: 0, deviceCloudDown: 0 };
}

/** `after − before`, per counter. */
export function tierBytesBetween(before: TierBytes, after: TierBytes): TierBytes {
  const delta = emptyTierBytes();
  for (const key of Object.keys(delta) as (keyof TierBytes)[]) delta[key] = after[key] - before[key];
  return delta;
}

const TIERS: readonly Tier[] = ['deviceEdge', 'edgeCloud', 'deviceCloud'];

/** A run record's `bytes`: each counted tier's total (the report stacks these), then each direction. */
export function tierRecord(bytes: HierarchyBytes | TierBytes): RoundRecord['bytes'] {
  const counters = bytes as Partial<TierBytes>;
  const totals: Record<string, number> = {};
  for (const tier of TIERS) {
    const up = counters[`${tier}Up`];
    const down = counters[`${tier}Down`];
    if (up !== undefined && down !== undefined) totals[tier] = up + down;
  }
  return { ...(totals as RoundRecord['bytes']), ...bytes };
}

/** The purposes bytes are spent on: training (models down, updates up), evaluation, and control messages. */
export type BytePurpose = 'train' | 'evaluate' | 'control';

/**
 * A round's evaluation bytes as run-record counters: `evaluation` (the total, as the report stacks it) and
 * each tier and direction as `evaluation<Tier><Direction>` (a breakdown of it).
 */
export function evaluationRecord(bytes: HierarchyBytes): Record<string, number> {
  const out: Record<string, number> = { evaluation: 0 };
  for (const [key, value] of Object.entries(bytes)) {
    out[`evaluation${key[0].toUpperCase()}${key.slice(1)}`] = value;
    out.evaluation += value;
  }
  return out;
}

/**
 * Bytes of a run record's round by purpose: training is the plain tier counters, evaluation the
 * `evaluation` (the sum of the `evaluation*` breakdown), control `control` (device-edge, both directions).
 */
export function bytesByPurpose(bytes: Readonly<Record<string, number>>): Record<BytePurpose, number> {
  const train = (bytes.deviceEdgeUp ?? 0) + (bytes.deviceEdgeDown ?? 0) + (bytes.edgeCloudUp ?? 0) + (bytes.edgeCloudDown ?? 0);
  return { train, evaluate: bytes.evaluation ?? 0, control: bytes.control ?? 0 };
}

/** Bytes that crossed the cloud's link, from a run record's `bytes` (any mode: absent tiers count 0). */
export function cloudLinkBytes(bytes: Readonly<Record<string, number>>): number {
  return (bytes.edgeCloud ?? 0) + (bytes.deviceCloud ?? 0);
}
