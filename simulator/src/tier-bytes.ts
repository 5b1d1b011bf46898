// Bytes per tier boundary: device-edge, device-cloud (devices talking to the cloud directly, as in a flat
// deployment) and edge-cloud, each way. The bytes over the cloud's link are edge-cloud plus device-cloud.

import type { RoundRecord } from '@strata/shared';

export type Tier = 'deviceEdge' | 'deviceCloud' | 'edgeCloud';

export type TierBytes = Record<`${Tier}${'Up' | 'Down'}`, number>;

export function emptyTierBytes(): TierBytes {
  return { deviceEdgeUp: 0, deviceEdgeDown: 0, deviceCloudUp: 0, deviceCloudDown: 0, edgeCloudUp: 0, edgeCloudDown: 0 };
}

/** `after − before`, per counter. */
export function tierBytesBetween(before: TierBytes, after: TierBytes): TierBytes {
  const delta = emptyTierBytes();
  for (const key of Object.keys(delta) as (keyof TierBytes)[]) delta[key] = after[key] - before[key];
  return delta;
}

/** A run record's `bytes`: each tier's total, then each direction (the report stacks the totals). */
export function tierRecord(b: TierBytes): RoundRecord['bytes'] {
  return {
    deviceEdge: b.deviceEdgeUp + b.deviceEdgeDown,
    edgeCloud: b.edgeCloudUp + b.edgeCloudDown,
    deviceCloud: b.deviceCloudUp + b.deviceCloudDown,
    ...b,
  };
}

/** Bytes that crossed the cloud's link, from a run record's `bytes` (any mode: absent tiers count 0). */
export function cloudLinkBytes(bytes: Readonly<Record<string, number>>): number {
  return (bytes.edgeCloud ?? 0) + (bytes.deviceCloud ?? 0);
}
