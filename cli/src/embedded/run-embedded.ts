// Runs a hierarchical federated job in one process and produces its run record: start the embedded topology,
// run the cloud rounds, evaluate as scheduled, and collect per-round figures (metrics, bytes per tier).

import { hostname, cpus } from 'node:os';
import type { EdgeNodeObserver } from '@strata/edge-node';
import {
  redactSecrets,
  newRunId,
  requireFinalMetrics,
  StrataError,
  type FederatedTask,
  type Logger,
  type RoundRecord,
  type RunRecord,
} from '@strata/shared';
import type { RunConfig } from '@strata/shared';
import { EmbeddedTopology, embeddedTopologyOptions } from './embedded-topology.js';

export interface RunObserver {
  /** Before a round: how many device trainings it will run at most. */
  roundStarted?(round: number, expectedTrainings: number): void;
  deviceTrained?(): void;
  roundFinished?(record: RoundRecord): void;
  /** Watches an edge as it works (the live dashboard). */
  edgeObserver?(region: string, nodeId: string): EdgeNodeObserver | undefined;
}

export async function runEmbedded(
  config: RunConfig,
  task: FederatedTask,
  logger: Logger,
  observer: RunObserver = {},
  environment: Record<string, unknown> = {},
): Promise<RunRecord> {
  const started = performance.now();
  const topology = new EmbeddedTopology(
    embeddedTopologyOptions(config, task, logger, {
      onDeviceTrained: () => observer.deviceTrained?.(),
      edgeObserver: (region, nodeId) => observer.edgeObserver?.(region, nodeId),
    }),
  );
  await topology.start();
  const rounds: RoundRecord[] = [];
  const { schedule } = config;
  const expected = Math.ceil(topology.deviceCount * schedule.fraction) * schedule.kappa2;
  let lastEvaluation: Record<string, number> = {};
  /** DP: why the run stopped before its last round (the target ε). */
  let stopped: string | undefined;
  try {
    for (let round = 1; round <= schedule.rounds; round++) {
      stopped = topology.coordinator.privacyStop() ?? undefined;
      if (stopped) break;
      observer.roundStarted?.(round, expected);
      stopped = (await topology.runRound(round)).stopped;
      if (stopped) break;
      const evaluateNow = round === schedule.rounds || (schedule.evalEvery > 0 && round % schedule.evalEvery === 0);
      if (evaluateNow) lastEvaluation = (await topology.evaluate(round)).metrics;
      // The coordinator's own record of the round (with its evaluation), as the distributed runtime keeps it.
      const record = topology.coordinator.roundRecord(round);
      if (!record) throw new StrataError('STRATA_ERR_INTERNAL', `the coordinator kept no record of round ${round}`);
      rounds.push(record);
      observer.roundFinished?.(record);
    }
    // DP: the run stopped at its target ε; evaluate the model its released rounds made.
    if (stopped) lastEvaluation = (await topology.evaluate(rounds.length)).metrics;
  } finally {
    await topology.stop();
  }
  if (stopped) logger.info({ epsilon: topology.coordinator.epsilon }, stopped);
  requireFinalMetrics(lastEvaluation, schedule.rounds);
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    id: newRunId(task.id.replace('/', '-')),
    task: task.id,
    mode: 'embedded',
    startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
    config: redactSecrets({ ...config, task: task.describe(), taskName: config.task }),
    environment: { node: process.version, host: hostname(), cpus: cpus().length, platform: process.platform, ...environment },
    rounds,
    final: {
      metrics: lastEvaluation,
      wallSeconds,
      ...(topology.coordinator.epsilon !== undefined ? { epsilon: topology.coordinator.epsilon, delta: config.privacy.delta } : {}),
      ...(stopped ? { stopped } : {}),
    },
  };
}
