// `strata run` (the default job, what `npm start` runs): a hierarchical federated run in one process with
// embedded defaults, a progress bar per round, a per-round table, a final comparison with the task's
// baselines, and a run record plus HTML report under runs/<id>/.

import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  AGGREGATION_MODES,
  DEFAULT_CLOUD_SCHEDULE,
  asyncScheduleLabel,
  asyncScheduleSchema,
  createStrategy,
  DEFAULT_PRIVACY,
  DEFAULT_SECURE_AGGREGATION,
  DEFAULT_UPDATE_DEFENCES,
  strategyNames,
  type AggregationMode,
  type RunRecord,
} from '@strata/shared';
import { createLogger, writeRunRecord } from '@strata/runtime';
import { parseRunConfig, type RunConfig } from '@strata/shared';
import { runEmbedded, type RunObserver } from '../embedded/run-embedded.js';
import { DEFAULT_DASHBOARD_PORT, EmbeddedDashboard } from '../embedded/embedded-dashboard.js';
import { collectKeyValue, type OptionValue } from '../flags/parse-key-values.js';
import { addExamples, strategiesHelp, tasksHelp } from '../console/help-text.js';
import { ProgressBar } from '../console/progress.js';
import { RoundTable, bytesSummary, comparisonTable } from '../console/round-table.js';
import { dataSourceOptions, dataSourceFromFlags } from '../flags/data-flags.js';
import { findTask, taskNames } from '@strata/tasks';
import { defencesWithTaskDefaults } from '../flags/task-run-defaults.js';
import { writeRunReport } from '../report/index.js';
import { downlinkFromFlags, downlinkOptions, type DownlinkFlags } from '../flags/downlink-flags.js';
import { entropyOption, type EntropyFlags } from '../flags/entropy-flags.js';
import { integerFlag as int } from '../flags/integer-flag.js';

const asyncDefaults = asyncScheduleSchema.parse({});

interface RunFlags extends DownlinkFlags, EntropyFlags {
  task: string;
  edges: number;
  devices?: number;
  rounds: number;
  kappa1: number;
  kappa2: number;
  fraction: number;
  quorum: number;
  edgeDeadline: number;
  roundDeadline: number;
  evalEvery: number;
  schedule: AggregationMode;
  bufferSize: number;
  maxStaleness: number;
  stalenessExponent: number;
  mixing: number;
  cloudSchedule: AggregationMode;
  cloudBufferSize: number;
  cloudMaxStaleness: number;
  cloudStalenessExponent: number;
  cloudMixing: number;
  strategy: string;
  strategyOption?: Record<string, OptionValue>;
  edgeStrategy: string;
  clipFactor?: number;
  updateClipFactor: number;
  maxFailedRounds: number;
  dp: 'off' | 'central' | 'distributed';
  dpClip: number;
  dpNoise: number;
  dpDelta: number;
  dpTargetEpsilon?: number;
  dpClipQuantile?: number;
  dpClipCountNoise?: number;
  secureAggregation: boolean;
  secaggClipRange: number;
  secaggDropoutRate: number;
  compression: 'float32' | 'float16' | 'int8';
  errorFeedback: boolean;
  perTensorScale?: boolean;
  topkFraction: number;
  taskOption?: Record<string, OptionValue>;
  seed: number;
  baselines: boolean;
  report: boolean;
  runsDir: string;
  dashboard: boolean;
  dashboardPort?: number;
  dashboardHost: string;
  dryRun?: boolean;
}

/** Where the live dashboard of a run listens; false: no dashboard. */
export type RunDashboardOptions = false | { host: string; port?: number };

export function register(program: Command): void {
  const command = program
    .command('run', { isDefault: true })
    .description('run a hierarchical federated job in one process (coordinator, edges, devices); no services needed')
    .addOption(new Option('--task <name>', `task to learn (${taskNames().join(', ')})`).default('recsys/bpr-mf'))
    .option('--edges <n>', 'number of edge nodes', int, 2)
    .option('--devices <n>', 'number of devices (default: one per data partition, e.g. every user)', int)
    .option('--rounds <n>', 'cloud rounds', int, 40)
    .option('--kappa1 <n>', 'κ1: local steps per edge aggregation (recommenders: local epochs)', int, 1)
    .option('--kappa2 <n>', 'κ2: edge aggregations per cloud round', int, 1)
    .option('--fraction <x>', "fraction of each edge's devices selected per edge iteration", Number.parseFloat, 1)
    .option('--quorum <x>', 'fraction of selected devices whose answers close an edge iteration', Number.parseFloat, 1)
    .option('--edge-deadline <seconds>', 'deadline of one edge iteration', Number.parseFloat, 120)
    .option('--round-deadline <seconds>', 'deadline of one cloud round', Number.parseFloat, 900)
    .option('--eval-every <n>', 'evaluate every n rounds (0: only at the end)', int, 1)
    .addOption(
      new Option(
        '--schedule <mode>',
        'how edges aggregate their devices: sync (κ2 quorum-closed iterations), fedbuff (a step every --buffer-size updates), fedasync (each update mixed in as it arrives)',
      )
        .choices(AGGREGATION_MODES)
        .default(asyncDefaults.mode),
    )
    .option(
      '--buffer-size <n>',
      'fedbuff: device updates per edge step (an async edge round is κ2 × this many updates)',
      int,
      asyncDefaults.bufferSize,
    )
    .option(
      '--max-staleness <n>',
      'fedbuff/fedasync: refuse updates based on a model more than n edge versions old',
      int,
      asyncDefaults.maxStaleness,
    )
    .option(
      '--staleness-exponent <a>',
      'fedbuff/fedasync: weight an update τ versions old by (1+τ)^-a',
      Number.parseFloat,
      asyncDefaults.stalenessExponent,
    )
    .option(
      '--mixing <alpha>',
      'fedasync: each update moves the model by alpha × its staleness weight × its delta',
      Number.parseFloat,
      asyncDefaults.mixing,
    )
    .addOption(
      new Option(
        '--cloud-schedule <mode>',
        'how the cloud aggregates its edges: sync (every edge each round), fedbuff (a cloud step every --cloud-buffer-size edge results, each edge given its next job as soon as it answers), fedasync (each edge result mixed in as it arrives)',
      )
        .choices(AGGREGATION_MODES)
        .default(DEFAULT_CLOUD_SCHEDULE.mode),
    )
    .option('--cloud-buffer-size <n>', 'cloud fedbuff: edge results per cloud step', int, DEFAULT_CLOUD_SCHEDULE.bufferSize)
    .option(
      '--cloud-max-staleness <n>',
      'cloud fedbuff/fedasync: refuse edge results based on a global model more than n versions old',
      int,
      DEFAULT_CLOUD_SCHEDULE.maxStaleness,
    )
    .option(
      '--cloud-staleness-exponent <a>',
      'cloud fedbuff/fedasync: scale an edge result τ versions old by (1+τ)^-a',
      Number.parseFloat,
      DEFAULT_CLOUD_SCHEDULE.stalenessExponent,
    )
    .option(
      '--cloud-mixing <alpha>',
      'cloud fedasync: each edge result moves the global model by alpha × its staleness weight × its delta',
      Number.parseFloat,
      DEFAULT_CLOUD_SCHEDULE.mixing,
    )
    .addOption(new Option('--strategy <name>', 'cloud aggregation strategy').choices(strategyNames).default('fedavg'))
    .option(
      '--strategy-option <key=value>',
      "strategy option, repeatable (e.g. serverLr=0.5, mu=0.01, byzantine=1; `strata run --help` lists each strategy's)",
      collectKeyValue('--strategy-option'),
    )
    .addOption(new Option('--edge-strategy <name>', 'edge aggregation strategy').choices(strategyNames).default('fedavg'))
    .option(
      '--clip-factor <x>',
      `edges clip each device update to x times the iteration's median norm (0: off) (default: ${DEFAULT_UPDATE_DEFENCES.clipFactor}, or the task's own: 0 for the radiance tasks)`,
      Number.parseFloat,
    )
    .option(
      '--update-clip-factor <x>',
      "before that, edges scale each update's sparse tables to x times the iteration's median update scale (0: off)",
      Number.parseFloat,
      DEFAULT_UPDATE_DEFENCES.updateClipFactor,
    )
    .option(
      '--max-failed-rounds <n>',
      'rounds in a row without an accepted update before the run stops',
      int,
      DEFAULT_UPDATE_DEFENCES.maxFailedRounds,
    )
    .addOption(
      new Option(
        '--dp <mode>',
        'user-level differential privacy: central (edges clip, the coordinator adds noise), distributed (devices clip and add their noise shares; needs --secure-aggregation) or off',
      )
        .choices(['off', 'central', 'distributed'])
        .default(DEFAULT_PRIVACY.mode),
    )
    .option('--dp-clip <c>', 'DP: L2 norm each device update is clipped to', Number.parseFloat, DEFAULT_PRIVACY.clipNorm)
    .option('--dp-noise <sigma>', 'DP: noise multiplier (noise std over the clip norm)', Number.parseFloat, DEFAULT_PRIVACY.noiseMultiplier)
    .option('--dp-delta <delta>', 'DP: the δ at which ε is reported', Number.parseFloat, DEFAULT_PRIVACY.delta)
    .option('--dp-target-epsilon <eps>', 'DP: stop before a round that would spend more than this ε', Number.parseFloat)
    .option(
      '--dp-clip-quantile <q>',
      'DP central: adaptive clipping, C tracks this quantile of the update norms (--dp-clip is the first C)',
      Number.parseFloat,
    )
    .option(
      '--dp-clip-count-noise <std>',
      'DP adaptive clipping: noise std on the count of updates within C (> --dp-noise / 2; the paper: devices per round / 20)',
      Number.parseFloat,
    )
    .option('--secure-aggregation', "secure aggregation (SecAgg+) at the edges: an edge learns only its devices' sum", false)
    .option(
      '--secagg-clip-range <r>',
      'secure aggregation: fixed-point range, each value times its weight over the weight cap is clipped to [-r, r]',
      Number.parseFloat,
      DEFAULT_SECURE_AGGREGATION.clipRange,
    )
    .option(
      '--secagg-dropout-rate <p>',
      'secure aggregation: the share of devices a session survives losing (sets the neighbour graph degree)',
      Number.parseFloat,
      DEFAULT_SECURE_AGGREGATION.dropoutRate,
    )
    .addOption(
      new Option('--compression <dtype>', 'update encoding on the way up').choices(['float32', 'float16', 'int8']).default('float32'),
    )
    .option('--no-error-feedback', 'do not carry the quantisation residual to the next round')
    .option('--per-tensor-scale', 'int8: one scale per tensor instead of one per row')
    .option(
      '--topk-fraction <f>',
      'top-k sparsification: send only this fraction of each dense tensor, largest magnitudes first (1: all)',
      Number.parseFloat,
      1,
    )
    .option(
      '--task-option <key=value>',
      "task option, repeatable (e.g. dim=32; `strata tasks NAME` lists a task's)",
      collectKeyValue('--task-option'),
    )
    .option('--seed <n>', 'random seed (data split, initialisation, selection)', int, 0)
    .option('--no-baselines', 'skip the centralized and popularity baselines')
    .option('--no-report', 'do not write the HTML report')
    .option('--runs-dir <dir>', 'where run records go', 'runs')
    .option(
      '--dashboard-port <n>',
      `port of the live dashboard (default ${DEFAULT_DASHBOARD_PORT}, or a free one when taken; 0: any free port)`,
      int,
    )
    .option('--dashboard-host <host>', 'interface of the live dashboard', '127.0.0.1')
    .option('--no-dashboard', 'do not serve the live dashboard')
    .option('--dry-run', 'check the configuration (strategies, task options, data) and print it, without training');
  for (const option of downlinkOptions()) command.addOption(option);
  command.addOption(entropyOption());
  dataSourceOptions(command);
  command.addHelpText('after', `\n${strategiesHelp()}\n\n${tasksHelp()}\n`);
  addExamples(command, [
    'strata run',
    'strata run --rounds 10 --devices 200 --no-baselines',
    'strata run --strategy fedadam --strategy-option eta=0.05 --compression int8',
    'strata run --task radiance/voxel-grid --task-option procedural=true --compression float16 --topk-fraction 0.01',
    'strata run --edge-strategy median --kappa2 2 --fraction 0.5 --quorum 0.8',
    'strata run --secure-aggregation --rounds 5 --devices 60',
    'strata run --schedule fedbuff --buffer-size 20 --kappa2 10 --max-staleness 50',
    'strata run --task recsys/bpr-mf --task-option dim=32 --task-option itemLearningRate=1',
    'strata run --data ../shared/data/ml-100k/ml-100k.inter --format delimited --delimiter tab --header ' +
      '--columns user_id:token,item_id:token,rating:float --min-rating 4',
    'strata run --task radiance/voxel-grid --task-option procedural=true --task-option imageRes=32 --rounds 5',
  ]);
  command.action(async (flags: RunFlags) => {
    const config = configFromFlags(flags);
    if (flags.dryRun) await dryRun(config);
    else await runCommand(config, flags.dashboard && { host: flags.dashboardHost, port: flags.dashboardPort });
  });
}

export function configFromFlags(flags: RunFlags): RunConfig {
  return parseRunConfig({
    task: flags.task,
    data: dataSourceFromFlags(flags),
    seed: flags.seed,
    topology: { edges: flags.edges, ...(flags.devices !== undefined ? { devices: flags.devices } : {}) },
    schedule: {
      rounds: flags.rounds,
      kappa1: flags.kappa1,
      kappa2: flags.kappa2,
      fraction: flags.fraction,
      quorum: flags.quorum,
      edgeDeadlineSeconds: flags.edgeDeadline,
      roundDeadlineSeconds: flags.roundDeadline,
      evalEvery: flags.evalEvery,
      mode: flags.schedule,
      bufferSize: flags.bufferSize,
      maxStaleness: flags.maxStaleness,
      stalenessExponent: flags.stalenessExponent,
      mixing: flags.mixing,
      cloud: {
        mode: flags.cloudSchedule,
        bufferSize: flags.cloudBufferSize,
        maxStaleness: flags.cloudMaxStaleness,
        stalenessExponent: flags.cloudStalenessExponent,
        mixing: flags.cloudMixing,
      },
    },
    strategy: { name: flags.strategy, options: flags.strategyOption ?? {} },
    edgeStrategy: { name: flags.edgeStrategy, options: {} },
    defences: defencesWithTaskDefaults(flags.task, {
      clipFactor: flags.clipFactor,
      updateClipFactor: flags.updateClipFactor,
      maxFailedRounds: flags.maxFailedRounds,
    }),
    privacy: {
      mode: flags.dp,
      clipNorm: flags.dpClip,
      noiseMultiplier: flags.dpNoise,
      delta: flags.dpDelta,
      ...(flags.dpTargetEpsilon !== undefined ? { targetEpsilon: flags.dpTargetEpsilon } : {}),
      ...(flags.dpClipQuantile !== undefined || flags.dpClipCountNoise !== undefined
        ? { adaptiveClip: { targetQuantile: flags.dpClipQuantile, countNoiseStd: flags.dpClipCountNoise } }
        : {}),
    },
    secureAggregation: {
      ...DEFAULT_SECURE_AGGREGATION,
      enabled: flags.secureAggregation,
      clipRange: flags.secaggClipRange,
      dropoutRate: flags.secaggDropoutRate,
    },
    compression: {
      dtype: flags.compression,
      errorFeedback: flags.errorFeedback,
      perRowScale: !flags.perTensorScale,
      topKFraction: flags.topkFraction,
      entropy: flags.entropy,
    },
    downlink: { ...downlinkFromFlags(flags), entropy: flags.entropy },
    taskOptions: flags.taskOption ?? {},
    baselines: flags.baselines,
    report: flags.report,
    runsDir: flags.runsDir,
  });
}

/** Builds everything a run would (strategies, the task with its data) and prints the resolved configuration. */
async function dryRun(config: RunConfig): Promise<void> {
  createStrategy(config.strategy.name, config.strategy.options);
  createStrategy(config.edgeStrategy.name, config.edgeStrategy.options);
  const { task } = await findTask(config.task).create(config);
  process.stdout.write(`${JSON.stringify({ config, task: task.describe() }, null, 2)}\n`);
  await task.close?.();
}

export async function runCommand(config: RunConfig, dashboardOptions: RunDashboardOptions = false): Promise<void> {
  const entry = findTask(config.task);
  const logger = createLogger('strata', process.env.STRATA_LOG_LEVEL ?? 'warn');
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(
    `Strata: ${entry.name}, ${config.topology.edges} edges, ${config.schedule.rounds} rounds, ` +
      `κ1=${config.schedule.kappa1} κ2=${config.schedule.kappa2}, ${asyncScheduleLabel(config.schedule)}, cloud ${asyncScheduleLabel(config.schedule.cloud)}, strategy ${config.strategy.name}, ${config.compression.dtype} updates, ${config.downlink.dtype} downlink (rows ${config.downlink.rowFraction}), seed ${config.seed}`,
  );
  const { task, environment } = await entry.create(config);
  out(`task: ${JSON.stringify(task.describe())}`);

  let baselines: Record<string, Record<string, number>> = {};
  if (config.baselines && entry.baselines) {
    const bar = new ProgressBar('baselines', 'epochs');
    baselines = await entry.baselines(config, {
      start: (total, detail) => bar.start(total, detail),
      tick: (detail) => bar.tick(detail),
    });
    bar.stop();
    out(comparisonTable(baselines, entry.headlineMetrics));
  }

  const dashboard = dashboardOptions
    ? await EmbeddedDashboard.start({ config, headlineMetrics: entry.headlineMetrics, ...dashboardOptions, logger, task })
    : undefined;
  if (dashboard) out(`dashboard ${dashboard.url}`);
  const live: RunObserver = dashboard?.observer() ?? {};
  const table = new RoundTable(entry.headlineMetrics, config.privacy.mode !== 'off');
  const bar = new ProgressBar('round', 'devices');
  out(table.header());
  let record: RunRecord;
  try {
    record = await runEmbedded(
      config,
      task,
      logger,
      {
        roundStarted: (round, total) => {
          live.roundStarted?.(round, total);
          bar.start(total, `round ${round}/${config.schedule.rounds}`);
        },
        deviceTrained: () => bar.tick(),
        roundFinished: (round) => {
          live.roundFinished?.(round);
          bar.stop();
          out(table.row(round));
        },
        edgeObserver: live.edgeObserver,
      },
      environment,
    );
  } catch (error) {
    dashboard?.finished(undefined, 'failed');
    await dashboard?.close();
    throw error;
  }
  record.baselines = baselines;
  const runDir = writeRunRecord(resolve(config.runsDir), record);
  out('');
  out(comparisonTable({ [`federated (${record.rounds.length} rounds)`]: record.final.metrics, ...baselines }, entry.headlineMetrics));
  out(bytesSummary(record.rounds));
  if (record.final.epsilon !== undefined) {
    out(`privacy: (ε ${Number(record.final.epsilon).toFixed(3)}, δ ${config.privacy.delta})-DP over ${record.rounds.length} rounds`);
  }
  if (record.final.stopped) out(String(record.final.stopped));
  out(`\nwall time ${record.final.wallSeconds.toFixed(1)} s; run record ${runDir}/run.json`);
  if (config.report) out(`report ${writeRunReport(runDir, record)}`);
  if (dashboard) {
    dashboard.finished(record.id, 'done');
    await dashboard.close();
  }
}
