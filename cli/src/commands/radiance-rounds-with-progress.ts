// A federated radiance run in the embedded runtime as `strata train radiance --federated` shows it (the voxel
// grid's and the Gaussians' alike): a progress bar of the devices trained each round, a table row per round,
// and the rounds whose held-out renders were evaluated, whose snapshots become the run's artifacts.

import type { FederatedTask, RunConfig, RunRecord } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { ProgressBar } from '../console/progress.js';
import { RoundTable } from '../console/round-table.js';
import { runEmbedded } from '../embedded/run-embedded.js';

/** Runs `task` federated under `config`, writing the round table through `out`. */
export async function radianceRoundsWithProgress(
  config: RunConfig,
  task: FederatedTask,
  headline: readonly string[],
  out: (line: string) => void,
): Promise<{ record: RunRecord; evaluatedRounds: number[] }> {
  const table = new RoundTable(headline);
  const bar = new ProgressBar('round', 'devices');
  out(table.header());
  const evaluatedRounds: number[] = [];
  const record = await runEmbedded(config, task, createLogger('strata', process.env.STRATA_LOG_LEVEL ?? 'warn'), {
    roundStarted: (round, total) => bar.start(total, `round ${round}/${config.schedule.rounds}`),
    deviceTrained: () => bar.tick(),
    roundFinished: (round) => {
      bar.stop();
      if (round.metrics.psnr !== undefined) evaluatedRounds.push(round.round);
      out(table.row(round));
    },
  });
  return { record, evaluatedRounds };
}
