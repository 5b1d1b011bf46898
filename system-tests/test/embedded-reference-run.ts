// The embedded runs the distributed and browser tests compare against: the same layout, seed and defaults as
// `strata run --edges E --devices D`, evaluated after every round (the distributed runtime matches the
// embedded one bit for bit).

import { createLogger } from '@strata/runtime';
import { BprMfTask, loadInteractions, ml100kSource } from '@strata/tasks';
import { parseRunConfig, type Downlink, type FederatedTask, type UpdateDefences } from '@strata/shared';
import { EmbeddedTopology, embeddedTopologyOptions } from '@strata/cli';

export interface EmbeddedRound {
  readonly training: Record<string, number>;
  readonly evaluation: Record<string, number>;
}

/**
 * `task` on `edges` edges and `devices` devices for `rounds` rounds (κ1 local steps, downlink and defences, default the
 * run's; a task with its own run defaults, as `strata run` applies them, passes its defences): the global model and
 * each round's metrics.
 */
export async function embeddedRun(
  task: FederatedTask,
  layout: {
    edges: number;
    devices: number;
    rounds: number;
    kappa1?: number;
    downlink?: Partial<Downlink>;
    defences?: Partial<UpdateDefences>;
  },
): Promise<{ model: Map<string, Float32Array>; rounds: EmbeddedRound[] }> {
  const { edges, devices } = layout;
  const schedule = { rounds: layout.rounds, ...(layout.kappa1 === undefined ? {} : { kappa1: layout.kappa1 }) };
  const config = parseRunConfig({
    topology: { edges, devices },
    schedule,
    ...(layout.downlink ? { downlink: layout.downlink } : {}),
    ...(layout.defences ? { defences: layout.defences } : {}),
  });
  const topology = new EmbeddedTopology(embeddedTopologyOptions(config, task, createLogger('test', 'silent')));
  await topology.start();
  const rounds: EmbeddedRound[] = [];
  for (let round = 1; round <= layout.rounds; round++) {
    const training = (await topology.runRound(round)).metrics;
    rounds.push({ training, evaluation: (await topology.evaluate(round)).metrics });
  }
  await topology.stop();
  return { model: new Map([...topology.coordinator.globalModel].map(([name, t]) => [name, t.values])), rounds };
}

/** Federated BPR-MF on ml-100k, 2 edges and 6 devices: each round's training and evaluation metrics together. */
export async function embeddedReferenceRun(
  rounds: number,
): Promise<{ model: Map<string, Float32Array>; rounds: Record<string, number>[] }> {
  const config = parseRunConfig({});
  const task = BprMfTask.fromInteractions(loadInteractions(ml100kSource()), { seed: config.seed });
  const run = await embeddedRun(task, { edges: 2, devices: 6, rounds });
  return { model: run.model, rounds: run.rounds.map((r) => ({ ...r.training, ...r.evaluation })) };
}
