// An embedded run as the privacy and secure-aggregation tests need it: the run config's rounds on an
// EmbeddedTopology, returning the global model (which a run record does not hold) and each round's record.

import { StrataError, type FederatedTask, type Logger, type ModelParams, type RoundRecord, type RunConfig } from '@strata/shared';
import { EmbeddedTopology, embeddedTopologyOptions } from '../src/embedded/embedded-topology.js';

export async function runEmbeddedWithModel(
  config: RunConfig,
  task: FederatedTask,
  logger: Logger,
): Promise<{ model: ModelParams; record: { rounds: RoundRecord[]; final: { epsilon?: number } } }> {
  const topology = new EmbeddedTopology(embeddedTopologyOptions(config, task, logger));
  await topology.start();
  const rounds: RoundRecord[] = [];
  try {
    for (let round = 1; round <= config.schedule.rounds; round++) {
      await topology.runRound(round);
      const record = topology.coordinator.roundRecord(round);
      if (!record) throw new StrataError('STRATA_ERR_INTERNAL', `the coordinator kept no record of round ${round}`);
      rounds.push(record);
    }
    return {
      model: topology.coordinator.globalModel,
      record: { rounds, final: { epsilon: rounds.at(-1)?.epsilon as number | undefined } },
    };
  } finally {
    await topology.stop();
  }
}
