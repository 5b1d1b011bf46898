// `strata coordinator`: the cloud daemon. Runs the cloud rounds of a deployment against Redis, resuming from
// the state there; serves /healthz and /metrics. Options: file, STRATA_* variables, flags (README, Operations).

import type { Command } from 'commander';
import { DEFAULT_UPDATE_DEFENCES, strategyNames } from '@strata/shared';
import { createLogger } from '@strata/runtime';
import { CoordinatorDaemon, parseCoordinatorDaemonConfig } from '@strata/coordinator';
import {
  addConfigOptions,
  httpFields,
  loadDaemonConfig,
  printDryRun,
  redisFields,
  taskFields,
  type ConfigField,
} from '../flags/daemon-config.js';
import { buildDaemonTask, splitTaskConfig } from '../flags/daemon-task.js';
import { downlinkFields } from '../flags/downlink-flags.js';
import { entropyField } from '../flags/entropy-flags.js';
import { onShutdownSignal } from '../flags/shutdown-signals.js';
import { fieldSources } from '../flags/config-fields.js';
import { addExamples } from '../console/help-text.js';
import { findTask } from '@strata/tasks';
import { defencesWithTaskDefaults } from '../flags/task-run-defaults.js';

export const coordinatorFields: readonly ConfigField[] = [
  {
    path: 'regions',
    flag: '--regions',
    env: 'STRATA_REGIONS',
    type: 'list',
    description: 'regions of the deployment, comma-separated (required)',
  },
  { path: 'schedule.rounds', flag: '--rounds', env: 'STRATA_ROUNDS', type: 'int', description: 'cloud rounds (default 40)' },
  { path: 'schedule.kappa1', flag: '--kappa1', type: 'int', description: 'κ1: local steps per edge aggregation (default 1)' },
  { path: 'schedule.kappa2', flag: '--kappa2', type: 'int', description: 'κ2: edge aggregations per cloud round (default 1)' },
  {
    path: 'schedule.fraction',
    flag: '--fraction',
    type: 'number',
    description: "fraction of each edge's devices selected per iteration (default 1)",
  },
  {
    path: 'schedule.quorum',
    flag: '--quorum',
    type: 'number',
    description: 'fraction of selected devices whose answers close an iteration (default 1)',
  },
  {
    path: 'schedule.edgeDeadlineSeconds',
    flag: '--edge-deadline',
    type: 'number',
    description: 'deadline of one edge iteration, seconds (default 120)',
  },
  {
    path: 'schedule.roundDeadlineSeconds',
    flag: '--round-deadline',
    type: 'number',
    description: 'deadline of one cloud round, seconds (default 900)',
  },
  { path: 'schedule.evalEvery', flag: '--eval-every', type: 'int', description: 'evaluate every n rounds, 0: only at the end (default 1)' },
  {
    path: 'schedule.mode',
    flag: '--schedule',
    env: 'STRATA_SCHEDULE',
    type: 'string',
    description: 'how edges aggregate their devices: sync, fedbuff or fedasync (default sync); the edges take it from each job',
  },
  { path: 'schedule.bufferSize', flag: '--buffer-size', type: 'int', description: 'fedbuff: device updates per edge step (default 10)' },
  {
    path: 'schedule.maxStaleness',
    flag: '--max-staleness',
    type: 'int',
    description: 'fedbuff/fedasync: refuse updates based on a model more than n edge versions old (default 20)',
  },
  {
    path: 'schedule.mixing',
    flag: '--mixing',
    type: 'number',
    description: 'fedasync: α, how far one update moves the model (default 0.5)',
  },
  {
    path: 'schedule.cloud.mode',
    flag: '--cloud-schedule',
    env: 'STRATA_CLOUD_SCHEDULE',
    type: 'string',
    description:
      'how the cloud aggregates its edges: sync (a flow per round, every edge awaited), fedbuff or fedasync (each edge gets its next job as soon as its result is in; a round is one cloud step) (default sync)',
  },
  {
    path: 'schedule.cloud.bufferSize',
    flag: '--cloud-buffer-size',
    type: 'int',
    description: 'cloud fedbuff: edge results per cloud step (default 1)',
  },
  {
    path: 'schedule.cloud.maxStaleness',
    flag: '--cloud-max-staleness',
    type: 'int',
    description: 'cloud fedbuff/fedasync: refuse edge results based on a global model more than n versions old (default 4)',
  },
  {
    path: 'schedule.cloud.stalenessExponent',
    flag: '--cloud-staleness-exponent',
    type: 'number',
    description: 'cloud fedbuff/fedasync: scale an edge result τ versions old by (1+τ)^-a (default 0.5)',
  },
  {
    path: 'schedule.cloud.mixing',
    flag: '--cloud-mixing',
    type: 'number',
    description: 'cloud fedasync: α, how far one edge result moves the global model (default 0.5)',
  },
  {
    path: 'strategy.name',
    flag: '--strategy',
    type: 'string',
    description: 'cloud aggregation strategy (default fedavg)',
    choices: strategyNames,
  },
  { path: 'strategy.options', flag: '--strategy-option', type: 'key-values', description: 'strategy option key=value, repeatable' },
  {
    path: 'defences.clipFactor',
    flag: '--clip-factor',
    type: 'number',
    description: `edges clip each device update to x times the iteration's median norm, 0: off (default ${DEFAULT_UPDATE_DEFENCES.clipFactor}, or the task's own: 0 for the radiance tasks)`,
  },
  {
    path: 'defences.updateClipFactor',
    flag: '--update-clip-factor',
    type: 'number',
    description: `before that, edges scale each update's sparse tables to x times the iteration's median update scale, 0: off (default ${DEFAULT_UPDATE_DEFENCES.updateClipFactor})`,
  },
  {
    path: 'defences.maxFailedRounds',
    flag: '--max-failed-rounds',
    type: 'int',
    description: 'rounds in a row without an accepted update before the run stops (default 3)',
  },
  ...downlinkFields,
  entropyField('downlink.entropy', 'the downlink sent to the edges in every job and the model blobs'),
  {
    path: 'privacy.mode',
    flag: '--dp',
    type: 'string',
    description:
      'user-level differential privacy: central (edges clip, the coordinator adds noise), distributed (devices clip and add their noise shares; needs --secure-aggregation) or off (default off)',
    choices: ['off', 'central', 'distributed'],
  },
  { path: 'privacy.clipNorm', flag: '--dp-clip', type: 'number', description: 'DP: L2 norm each device update is clipped to (default 1)' },
  {
    path: 'privacy.noiseMultiplier',
    flag: '--dp-noise',
    type: 'number',
    description: 'DP: noise multiplier, noise std over the clip norm (default 1)',
  },
  { path: 'privacy.delta', flag: '--dp-delta', type: 'number', description: 'DP: the δ at which ε is reported (default 1e-5)' },
  {
    path: 'privacy.targetEpsilon',
    flag: '--dp-target-epsilon',
    type: 'number',
    description: 'DP: stop before a round that would spend more than this ε',
  },
  {
    path: 'privacy.adaptiveClip.targetQuantile',
    flag: '--dp-clip-quantile',
    type: 'number',
    description: 'DP central: adaptive clipping, C tracks this quantile of the update norms (--dp-clip is the first C)',
  },
  {
    path: 'privacy.adaptiveClip.countNoiseStd',
    flag: '--dp-clip-count-noise',
    type: 'number',
    description: 'DP adaptive clipping: noise std on the count of updates within C (> --dp-noise / 2; the paper: devices per round / 20)',
  },
  {
    path: 'secureAggregation.enabled',
    flag: '--secure-aggregation',
    type: 'boolean',
    description: "secure aggregation (SecAgg+) at the edges: an edge learns only its devices' sum (edges and devices follow the jobs)",
  },
  {
    path: 'secureAggregation.clipRange',
    flag: '--secagg-clip-range',
    type: 'number',
    description: 'secure aggregation: fixed-point range, each value times its weight over the weight cap is clipped to [-r, r] (default 1)',
  },
  {
    path: 'leaseSeconds',
    flag: '--lease-seconds',
    env: 'STRATA_LEASE_SECONDS',
    type: 'number',
    description: 'coordinator lease; a successor waits this long at most (default 15)',
  },
  {
    path: 'exitWhenDone',
    flag: '--exit-when-done',
    type: 'boolean',
    description: 'exit once the run is done (default: keep serving /metrics)',
  },
  { path: 'reset', flag: '--reset', type: 'boolean', description: 'forget the saved state and start a new run' },
  { path: 'runsDir', flag: '--runs-dir', type: 'string', description: 'where the run record goes (default runs)' },
  {
    path: 'dashboard.token',
    flag: '--dashboard-token',
    env: 'STRATA_DASHBOARD_TOKEN',
    type: 'string',
    description: 'bearer token of the dashboard at / (default: made up at startup and logged)',
  },
  ...redisFields,
  ...httpFields,
  ...taskFields,
];

export function register(program: Command): void {
  const command = program
    .command('coordinator')
    .description('run the cloud coordinator daemon: cloud rounds over BullMQ/Redis, resuming where a previous one stopped');
  addConfigOptions(command, coordinatorFields);
  addExamples(command, [
    'strata coordinator --regions eu-west,us-east --redis-url redis://127.0.0.1:6379',
    'strata coordinator --regions eu-west,us-east --rounds 20 --strategy fedadam --strategy-option eta=0.05',
    'strata coordinator --regions eu-west --task recsys/neumf --exit-when-done',
    'strata coordinator --regions eu-west,us-east --secure-aggregation',
    'strata coordinator --regions eu-west --task radiance/gaussians --rounds 15 --kappa1 25 --downlink float32 --downlink-rows 1 --clip-factor 0',
  ]);
  command.action(async (flags: Record<string, unknown>) => {
    const { task: taskConfig, rest } = splitTaskConfig(loadDaemonConfig(coordinatorFields, flags), true);
    const config = parseCoordinatorDaemonConfig(
      { ...rest, defences: defencesWithTaskDefaults(taskConfig.task, rest.defences) },
      fieldSources(coordinatorFields),
    );
    const logger = createLogger('strata-coordinator');
    const { schedule, downlink, defences } = config;
    const { task, taskOptions } = await buildDaemonTask({ ...taskConfig, seed: config.seed }, { schedule, downlink, defences });
    if (flags.dryRun) return printDryRun({ config, task: task.describe(), taskOptions });
    const headlineMetrics = findTask(taskConfig.task).headlineMetrics;
    const daemon = await CoordinatorDaemon.start(
      config,
      { taskName: taskConfig.task, task, taskOptions, headlineMetrics, taskConfig },
      logger,
    );
    onShutdownSignal(logger, () => daemon.stop());
    try {
      await daemon.done;
    } catch {
      await daemon.stop();
      process.exit(1);
    }
    if (config.exitWhenDone) {
      await daemon.stop();
      process.exit(0);
    }
  });
}
