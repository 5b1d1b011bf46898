// Expands a topology's device groups into devices: an id, an edge, and the data partition (for recommenders,
// the user) each holds. Device j of N, counted across groups in file order, owns the j-th block of the task's
// partitions; each device of a group with skew s keeps its block's partition with probability s, and the
// rest are shuffled among all the devices that did not keep theirs. Skew 0 everywhere deals partitions IID;
// skew 1 gives each group a contiguous range (for the synthetic data, whole user communities).

import { ConfigError, type SeededRandom } from '@strata/shared';
import type { Topology } from './topology-schema.js';

export interface PlannedDevice {
  /** `<group>-<n>`, n from 1. */
  readonly id: string;
  readonly groupIndex: number;
  /** Position within its group (from 0). */
  readonly indexInGroup: number;
  readonly edgeIndex: number;
  /** The task partition (device index) whose data it holds. */
  readonly partition: number;
}

export function deviceCount(topology: Topology): number {
  return topology.devices.reduce((n, group) => n + group.count, 0);
}

export function planDevices(topology: Topology, partitions: number, random: SeededRandom): PlannedDevice[] {
  const total = deviceCount(topology);
  if (total > partitions) {
    throw new ConfigError(
      `topology devices: the groups hold ${total} devices but the task has only ${partitions} data partitions (users); use fewer devices or more data`,
    );
  }
  const edgeIndex = new Map(topology.edges.map((edge, i) => [edge.id, i]));
  const devices: { id: string; groupIndex: number; indexInGroup: number; edgeIndex: number; partition: number }[] = [];
  const pooled: number[] = [];
  topology.devices.forEach((group, groupIndex) => {
    for (let k = 0; k < group.count; k++) {
      const j = devices.length;
      const partition = Math.floor((j * partitions) / total);
      if (random.next() >= group.data.skew) pooled.push(j);
      devices.push({ id: `${group.group}-${k + 1}`, groupIndex, indexInGroup: k, edgeIndex: edgeIndex.get(group.edge)!, partition });
    }
  });
  const shuffled = random.shuffle(pooled.map((j) => devices[j].partition));
  pooled.forEach((j, n) => (devices[j].partition = shuffled[n]));
  return devices;
}
