// The embedded run a distributed test compares against: the same layout (2 edges, 6 devices), seed and
// defaults as `strata run --edges 2 --devices 6`, on ml-100k, evaluated after every round.

import { createLogger } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { parseRunConfig } from '@strata/shared';
import { EmbeddedTopology } from '@strata/cli';

export async function embeddedReferenceRun(
  rounds: number,
): Promise<{ model: Map<string, Float32Array>; rounds: Record<string, number>[] }> {
  const config = parseRunConfig({ topology: { edges: 2, devices: 6 }, schedule: { rounds } });
  const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: config.seed });
  const topology = new EmbeddedTopology({
    task,
    edges: 2,
    devices: 6,
    schedule: config.schedule,
    strategy: config.strategy,
    edgeStrategy: config.edgeStrategy,
    compression: config.compression,
    taskOptions: task.defaultOptions(),
    seed: config.seed,
    logger: createLogger('test', 'silent'),
  });
  await topology.start();
  const metrics: Record<string, number>[] = [];
  for (let round = 1; round <= rounds; round++) {
    const outcome = await topology.runRound(round);
    metrics.push({ ...outcome.metrics, ...(await topology.evaluate(round)).metrics });
  }
  await topology.stop();
  return { model: new Map([...topology.coordinator.globalModel].map(([name, t]) => [name, t.values])), rounds: metrics };
}
