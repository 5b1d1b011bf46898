// The graph tasks need every device to hold the global model exactly: a device's layer term is sent as its
// difference to the row it holds, and the mean of those differences is the sum over the item's users only
// when that row is the global one. A lossy or partial downlink (int8 or float16 patches, rows deferred) leaves
// each device's copy off by its gap, and the gap goes straight into the sums (Recall@20 0.14 instead of 0.31
// at round 10 on ml-100k with the default int8 quarter-row patches).

import { ConfigError, type RunConfig } from '@strata/shared';

/** Refuses a run whose downlink is not float32 with every changed row, naming the flags that fix it. */
export function requireLosslessDownlink(config: RunConfig, task: string): void {
  const { dtype, rowFraction, energy } = config.downlink;
  if (dtype !== 'float32' || rowFraction !== 1 || energy !== 1) {
    throw new ConfigError(
      `${task} needs a lossless downlink (its item-side neighbour sums are rebuilt every round from the rows devices hold): ` +
        `pass --downlink float32 --downlink-rows 1 (got ${dtype}, rows ${rowFraction}, energy ${energy})`,
    );
  }
}
