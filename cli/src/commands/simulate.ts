// `strata simulate --topology FILE`: runs a topology on the virtual clock (the real tiers, simulated links,
// compute and availability), prints each round as it completes (simulated time, accuracy, bytes per tier,
// participation), and writes runs/<id>/run.json (mode `simulated`) and its HTML report. With
// `--real-network` it launches the real daemons on loopback instead, links shaped by proxies.

import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { RoundRecord } from '@strata/shared';
import { createLogger, writeRunRecord } from '@strata/runtime';
import { ProgressBar } from '../console/progress.js';
import { comparisonTable, formatBytes } from '../console/round-table.js';
import { writeRunReport } from '../report/index.js';
import { loadTopology, type TopologyOverrides } from '@strata/simulator';
import { createSimulationTask } from '@strata/simulator';
import { Simulation } from '@strata/simulator';
import { deviceCount } from '@strata/simulator';
import { asyncScheduleLabel, cloudLinkBytes } from '@strata/shared';
import { runOnRealNetwork } from '@strata/simulator';
import { STRATA_BIN } from '../strata-bin.js';
import { addExamples } from '../console/help-text.js';
import { integerFlag as int } from '../flags/integer-flag.js';

interface SimulateFlags {
  topology: string;
  rounds?: number;
  schedule?: string;
  bufferSize?: number;
  maxStaleness?: number;
  cloudSchedule?: string;
  cloudBufferSize?: number;
  cloudMaxStaleness?: number;
  seed?: number;
  runsDir: string;
  report: boolean;
  realNetwork?: boolean;
  timeoutSeconds: number;
  dryRun?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('simulate')
    .description('simulate a topology file on a virtual clock: real coordinator, edges and devices over simulated links')
    .requiredOption('--topology <file>', 'topology file (YAML or JSON), e.g. simulator/topologies/city-slow-backhaul.yaml')
    .option('--rounds <n>', "cloud rounds (default: the topology's schedule.rounds)", int)
    .option('--seed <n>', "random seed (default: the topology's seed)", int)
    .option('--schedule <mode>', "sync | fedbuff | fedasync (default: the topology's schedule.mode)")
    .option('--buffer-size <n>', "FedBuff's K: device updates per edge step (default: the topology's schedule.bufferSize)", int)
    .option('--max-staleness <n>', 'refuse updates based on a model more versions old (default: the topology’s schedule.maxStaleness)', int)
    .option(
      '--cloud-schedule <mode>',
      "how the cloud aggregates its edges: sync | fedbuff | fedasync (default: the topology's schedule.cloud.mode)",
    )
    .option(
      '--cloud-buffer-size <n>',
      "cloud FedBuff's K: edge results per cloud step (default: the topology's schedule.cloud.bufferSize)",
      int,
    )
    .option('--cloud-max-staleness <n>', 'refuse edge results based on a global model more versions old (default: the topology’s)', int)
    .option('--runs-dir <dir>', 'where run records go', 'runs')
    .option('--no-report', 'do not write the HTML report')
    .option(
      '--real-network',
      'launch the real daemons on loopback instead, every link shaped by a proxy as the topology says (needs redis-server)',
    )
    .option('--timeout-seconds <n>', 'real-network mode: the whole run must finish within this', int, 3600)
    .option('--dry-run', 'load and check the topology and its task, print them, without simulating');
  addExamples(command, [
    'strata simulate --topology simulator/topologies/city-slow-backhaul.yaml',
    'strata simulate --topology simulator/topologies/city-flat.yaml --rounds 10',
    'strata simulate --topology simulator/topologies/campus.yaml --seed 3',
    'strata simulate --topology simulator/topologies/heterogeneous-async.yaml --schedule fedbuff --buffer-size 10',
    'strata simulate --topology simulator/topologies/city-uneven-backhaul.yaml --cloud-schedule fedbuff --cloud-buffer-size 3',
  ]);
  command.action(async (flags: SimulateFlags) => {
    if (flags.dryRun) await dryRun(flags);
    else await (flags.realNetwork ? realNetworkCommand(flags) : simulateCommand(flags));
  });
}

function overrides(flags: SimulateFlags): TopologyOverrides {
  const cloud = Object.fromEntries(
    Object.entries({ mode: flags.cloudSchedule, bufferSize: flags.cloudBufferSize, maxStaleness: flags.cloudMaxStaleness }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  const schedule = {
    mode: flags.schedule,
    bufferSize: flags.bufferSize,
    maxStaleness: flags.maxStaleness,
    ...(Object.keys(cloud).length > 0 ? { cloud } : {}),
  };
  return { seed: flags.seed, rounds: flags.rounds, schedule };
}

async function dryRun(flags: SimulateFlags): Promise<void> {
  const loaded = loadTopology(flags.topology, overrides(flags));
  const { task } = await createSimulationTask(loaded.topology);
  process.stdout.write(
    `${JSON.stringify({ topology: loaded.topology, devices: deviceCount(loaded.topology), task: task.describe() }, null, 2)}\n`,
  );
}

async function simulateCommand(flags: SimulateFlags): Promise<void> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const loaded = loadTopology(flags.topology, overrides(flags));
  const { topology } = loaded;
  const { schedule } = topology;
  out(
    `Strata simulation: ${topology.name}, ${topology.edges.length} edges, ${deviceCount(topology)} devices, ${schedule.rounds} rounds, ` +
      `κ1=${schedule.kappa1} κ2=${schedule.kappa2}, ${asyncScheduleLabel(schedule)}, cloud ${asyncScheduleLabel(schedule.cloud)}, seed ${topology.seed}`,
  );
  const { task, environment, baselines } = await createSimulationTask(topology);
  out(`task: ${JSON.stringify(task.describe())}`);
  if (Object.keys(baselines).length > 0) out(comparisonTable(baselines, HEADLINE));

  const bar = new ProgressBar('round', 'trainings');
  const header = ['round', 'sim time', 'loss', ...HEADLINE, 'cloud link', 'device links', 'answered', 'dropped', 'online', 'wall s'];
  out(header.map((h) => h.padStart(COLUMN)).join(''));
  const simulation = new Simulation({
    loaded,
    task,
    environment,
    baselines,
    logger: createLogger('strata', process.env.STRATA_LOG_LEVEL ?? 'error'),
    observer: {
      roundStarted: (round, expected) => bar.start(expected, `round ${round}/${schedule.rounds}`),
      deviceTrained: () => bar.tick(),
      roundFinished: (record) => {
        bar.stop();
        out(
          roundLine(record)
            .map((c) => c.padStart(COLUMN))
            .join(''),
        );
      },
    },
  });
  const record = await simulation.run();
  const runDir = writeRunRecord(resolve(flags.runsDir), record);
  const { final } = record;
  out('');
  out(comparisonTable({ [`simulated (${record.rounds.length} rounds)`]: record.final.metrics, ...baselines }, HEADLINE));
  out(
    `\nsimulated ${formatSeconds(final.simSeconds)} in ${final.wallSeconds.toFixed(1)} s wall ` +
      `(${final.scale.simSecondsPerWallSecond.toFixed(1)} simulated s per wall s); ${formatBytes(final.cloudLinkBytes)} over the cloud link; ` +
      `heap per device ${Number.isFinite(final.scale.heapBytesPerDevice) ? formatBytes(final.scale.heapBytesPerDevice) : '(run node with --expose-gc to measure)'}, ` +
      `${formatBytes(final.scale.heapUsedBytesPerDevice)} with the data and model`,
  );
  out(`run record ${runDir}/run.json`);
  if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
}

async function realNetworkCommand(flags: SimulateFlags): Promise<void> {
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  const loaded = loadTopology(flags.topology, overrides(flags));
  const { topology } = loaded;
  out(
    `Strata real-network run: ${topology.name}, ${topology.edges.length} edges, ${deviceCount(topology)} devices as daemons on loopback, ` +
      `${topology.schedule.rounds} rounds, links shaped by proxies`,
  );
  const { task } = await createSimulationTask(topology);
  const record = await runOnRealNetwork({ loaded, task, timeoutSeconds: flags.timeoutSeconds, log: out, strataBin: STRATA_BIN });
  const runDir = writeRunRecord(resolve(flags.runsDir), record);
  out('');
  out(comparisonTable({ [`real network (${record.rounds.length} rounds)`]: record.final.metrics }, HEADLINE));
  const notes = (record.config.linkShaping as { notes: string[] }).notes;
  for (const note of notes) out(`note: ${note}`);
  out(
    `\n${record.final.wallSeconds.toFixed(1)} s; ${formatBytes(cloudLinkBytes(record.final.wireBytes as Record<string, number>))} over the cloud link (on the wire)`,
  );
  out(`run record ${runDir}/run.json`);
  if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
}

const HEADLINE = ['recall@20', 'ndcg@20'];
const COLUMN = 14;

function roundLine(record: RoundRecord): string[] {
  const metric = (name: string): string => (record.metrics[name] === undefined ? '-' : record.metrics[name].toFixed(4));
  const p = record.participation as { selected: number; answered: number; dropped: number; online: number };
  const b = record.bytes;
  return [
    String(record.round),
    formatSeconds(record.simSeconds ?? 0),
    metric('loss'),
    ...HEADLINE.map(metric),
    formatBytes(cloudLinkBytes(b)),
    formatBytes((b.deviceEdge ?? 0) + (b.deviceCloud ?? 0)),
    `${p.answered}/${p.selected}`,
    String(p.dropped),
    String(p.online),
    record.wallSeconds.toFixed(1),
  ];
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
