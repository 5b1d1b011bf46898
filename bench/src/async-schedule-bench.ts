// Synchronous rounds against FedBuff and FedAsync on heterogeneous, intermittent devices: the topology
// simulator/topologies/heterogeneous-async.yaml (ml-100k BPR-MF, 943 devices, speeds 0.2 to 2, 50% duty
// cycles) run on the virtual clock with each schedule. The synchronous run sets the target (its final
// Recall@20); each asynchronous run stops at the first evaluation that reaches it. Prints, per schedule, the
// simulated time and the device-link and cloud-link bytes spent to reach the target, and the speed-up over
// synchronous. Figures, not pass/fail:
//   node bench/dist/src/async-schedule-bench.js [--sync-rounds 30] [--async-rounds 200] [--buffer-size 100]
//     [--async-kappa2 2] [--max-staleness 50] [--concurrency 0.5] [--mixing 0.1] [--fedasync-kappa2 200]
//     [--staleness-exponent 0.5] [--downlink-dtype int8] [--downlink-row-fraction 0.25]
//     [--only fedbuff,fedasync --target 0.3385] [--seed 0]

import { parseArgs } from 'node:util';
import { createLogger } from '@strata/runtime';
import { type AggregationMode, type RoundRecord, asyncScheduleLabel, downlinkSchema } from '@strata/shared';
import { type LoadedTopology, Simulation, createSimulationTask, loadTopology } from '@strata/simulator';

const { values: args } = parseArgs({
  options: {
    topology: { type: 'string', default: 'simulator/topologies/heterogeneous-async.yaml' },
    'sync-rounds': { type: 'string', default: '30' },
    'async-rounds': { type: 'string', default: '200' },
    'buffer-size': { type: 'string', default: '100' },
    'async-kappa2': { type: 'string', default: '2' },
    'max-staleness': { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '0.5' },
    mixing: { type: 'string', default: '0.1' },
    'staleness-exponent': { type: 'string', default: '0.5' },
    /** Every run's downlink (the topology's, i.e. the default int8 quarter-row patches, when unset). */
    'downlink-dtype': { type: 'string' },
    'downlink-row-fraction': { type: 'string' },
    /** The asynchronous edges' FedAvg server learning rate (how far one buffered step moves the edge model). */
    'edge-server-lr': { type: 'string', default: '1' },
    'fedasync-kappa2': { type: 'string', default: '200' },
    only: { type: 'string' },
    levels: { type: 'string', default: '0.6,0.8,0.9,0.95,1' },
    target: { type: 'string' },
    seed: { type: 'string', default: '0' },
  },
});
const METRIC = 'recall@20';

interface Outcome {
  mode: AggregationMode;
  label: string;
  rounds: RoundRecord[];
  /** The first round whose evaluation reached the target, if any. */
  reached?: RoundRecord;
  finalRecall: number;
  wallSeconds: number;
}

/** `loaded` with the downlink the flags ask for (the same for every schedule). */
function withDownlink(loaded: LoadedTopology): LoadedTopology {
  const dtype = args['downlink-dtype'];
  const rowFraction = args['downlink-row-fraction'];
  if (dtype === undefined && rowFraction === undefined) return loaded;
  const downlink = downlinkSchema.parse({
    ...loaded.topology.downlink,
    ...(dtype !== undefined ? { dtype } : {}),
    ...(rowFraction !== undefined ? { rowFraction: Number(rowFraction) } : {}),
  });
  return { ...loaded, topology: { ...loaded.topology, downlink } };
}

/** `loaded` with the edges' FedAvg server learning rate from the flag, for an asynchronous run. */
function withEdgeServerLr(loaded: LoadedTopology, mode: AggregationMode): LoadedTopology {
  const serverLr = Number(args['edge-server-lr']);
  if (mode === 'sync' || serverLr === 1) return loaded;
  const { edgeStrategy } = loaded.topology;
  if (edgeStrategy.name !== 'fedavg') throw new Error(`--edge-server-lr needs the edge strategy fedavg, not ${edgeStrategy.name}`);
  return { ...loaded, topology: { ...loaded.topology, edgeStrategy: { ...edgeStrategy, options: { ...edgeStrategy.options, serverLr } } } };
}

async function run(mode: AggregationMode, rounds: number, target: number | undefined): Promise<Outcome> {
  const schedule: Record<string, unknown> = { mode };
  if (mode === 'fedbuff') Object.assign(schedule, { bufferSize: Number(args['buffer-size']), kappa2: Number(args['async-kappa2']) });
  if (mode === 'fedasync') Object.assign(schedule, { mixing: Number(args.mixing), bufferSize: 1, kappa2: Number(args['fedasync-kappa2']) });
  // Asynchronous: a share of the online devices trains at any time, each freed slot going to a device drawn
  // at random (FedBuff's concurrency), so every device trains about as often whatever its speed.
  if (mode !== 'sync') {
    Object.assign(schedule, {
      maxStaleness: Number(args['max-staleness']),
      fraction: Number(args.concurrency),
      stalenessExponent: Number(args['staleness-exponent']),
    });
  }
  const loaded = withEdgeServerLr(withDownlink(loadTopology(args.topology, { seed: Number(args.seed), rounds, schedule })), mode);
  const { task } = await createSimulationTask(loaded.topology);
  const { downlink, edgeStrategy } = loaded.topology;
  const serverLr = edgeStrategy.options.serverLr;
  const label =
    `${asyncScheduleLabel(loaded.topology.schedule)}${serverLr !== undefined ? ` edge lr ${serverLr}` : ''}` +
    `, downlink ${downlink.dtype} rows≤${downlink.rowFraction}`;
  const started = performance.now();
  const simulation = new Simulation({
    loaded,
    task,
    logger: createLogger('bench', 'error'),
    ...(target !== undefined ? { stopWhen: (metrics: Readonly<Record<string, number>>) => (metrics[METRIC] ?? 0) >= target } : {}),
    observer: {
      roundFinished: (record) => {
        const recall = record.metrics[METRIC];
        if (recall === undefined) return;
        const seen = record.metrics[`seen:${METRIC}`];
        const staleness = record.staleness as { mean: number; max: number } | undefined;
        process.stderr.write(
          `  ${mode} round ${record.round}: ${((record.simSeconds ?? 0) / 60).toFixed(2)} min simulated, ${METRIC} ${recall.toFixed(4)}` +
            `${seen !== undefined ? ` (${seen.toFixed(4)} over the users online so far, ${record.metrics.unseenUsers} never yet)` : ''}` +
            `${staleness ? `, staleness mean ${staleness.mean.toFixed(1)} max ${staleness.max}` : ''}\n`,
        );
      },
    },
  });
  const record = await simulation.run();
  const reached = target === undefined ? undefined : record.rounds.find((r) => (r.metrics[METRIC] ?? 0) >= target);
  return {
    mode,
    label,
    rounds: record.rounds,
    ...(reached ? { reached } : {}),
    finalRecall: record.final.metrics[METRIC] ?? Number.NaN,
    wallSeconds: (performance.now() - started) / 1000,
  };
}

/** Bytes over the device links and over the cloud link in rounds 1..`upTo`. */
function bytesUpTo(rounds: readonly RoundRecord[], upTo: number): { device: number; cloud: number } {
  let device = 0;
  let cloud = 0;
  for (const r of rounds) {
    if (r.round > upTo) break;
    device += r.bytes.deviceEdge ?? 0;
    cloud += r.bytes.edgeCloud ?? 0;
  }
  return { device, cloud };
}

const modes = (args.only ? args.only.split(',') : ['sync', 'fedbuff', 'fedasync']) as AggregationMode[];
let target = args.target === undefined ? undefined : Number(args.target);
const outcomes: Outcome[] = [];
if (modes.includes('sync') || target === undefined) {
  process.stderr.write(`sync: ${args['sync-rounds']} rounds\n`);
  const sync = await run('sync', Number(args['sync-rounds']), undefined);
  target = sync.finalRecall;
  outcomes.push({ ...sync, reached: sync.rounds.find((r) => (r.metrics[METRIC] ?? 0) >= (target ?? 0)) });
}
for (const mode of modes.filter((m) => m !== 'sync')) {
  process.stderr.write(`${mode}: until ${METRIC} ≥ ${target?.toFixed(4)} (at most ${args['async-rounds']} rounds)\n`);
  outcomes.push(await run(mode, Number(args['async-rounds']), target));
}

const syncTime = outcomes.find((o) => o.mode === 'sync')?.reached?.simSeconds;
// Time to each share of the target: where the schedules part ways.
const levels = (args.levels ?? '1').split(',').map(Number);
const timeTo = (o: Outcome, level: number): number | undefined =>
  o.rounds.find((r) => (r.metrics[METRIC] ?? 0) >= level * (target ?? 0))?.simSeconds;
const syncOutcome = outcomes.find((o) => o.mode === 'sync');
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
console.log(`\ntarget: the synchronous run's final ${METRIC} ${target?.toFixed(4)}; ${args.topology}, seed ${args.seed}`);
console.log(
  '| schedule | simulated time to target | speed-up | Recall@20 there | cloud rounds | device-link bytes | cloud-link bytes | wall s |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const o of outcomes) {
  const reached = o.reached;
  if (!reached) {
    const best = Math.max(...o.rounds.map((r) => r.metrics[METRIC] ?? 0));
    const spent = bytesUpTo(o.rounds, o.rounds.length);
    const last = o.rounds.at(-1);
    console.log(
      `| ${o.label} | not reached in ${((last?.simSeconds ?? 0) / 60).toFixed(2)} min | - | best ${best.toFixed(4)} | ${o.rounds.length} | ${mb(spent.device)} | ${mb(spent.cloud)} | ${o.wallSeconds.toFixed(0)} |`,
    );
    continue;
  }
  const time = reached.simSeconds ?? 0;
  const bytes = bytesUpTo(o.rounds, reached.round);
  const speedUp = syncTime !== undefined && time > 0 ? `${(syncTime / time).toFixed(2)}×` : '-';
  console.log(
    `| ${o.label} | ${(time / 60).toFixed(2)} min | ${speedUp} | ${(reached.metrics[METRIC] ?? 0).toFixed(4)} | ${reached.round} | ${mb(bytes.device)} | ${mb(bytes.cloud)} | ${o.wallSeconds.toFixed(0)} |`,
  );
}
console.log(`\nsimulated minutes to reach a share of the target (speed-up over synchronous in brackets)`);
console.log(`| schedule | ${levels.map((l) => `${(l * 100).toFixed(0)}% (${((target ?? 0) * l).toFixed(3)})`).join(' | ')} |`);
console.log(`|---|${levels.map(() => '---').join('|')}|`);
for (const o of outcomes) {
  const cells = levels.map((level) => {
    const time = timeTo(o, level);
    if (time === undefined) return 'not reached';
    const base = syncOutcome ? timeTo(syncOutcome, level) : undefined;
    return `${(time / 60).toFixed(2)}${base !== undefined && o !== syncOutcome ? ` (${(base / time).toFixed(2)}×)` : ''}`;
  });
  console.log(`| ${o.label} | ${cells.join(' | ')} |`);
}
