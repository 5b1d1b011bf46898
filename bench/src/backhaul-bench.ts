// Slow backhaul before and after issue 16's downlink: city-flat.yaml (every home talks to the cloud over its
// district's 10 Mbit/s backhaul) and city-slow-backhaul.yaml (an edge per district, κ2 = 4), each with the
// downlink before issue 16 (the whole float32 model to every device that lacks the current one: float32,
// every row, no patch history) and with today's default (int8 patches of at most a quarter of the rows).
// The flat run before issue 16 sets the target (its final Recall@20); every run reports the simulated time
// and the bytes over all links, the device links and the cloud link up to the first evaluation that reached
// it; those runs stop there, or after --rounds (default 80) cloud rounds. Evaluation runs outside simulated time in the simulator, so the evaluation downloads that issue 16 also
// removed are not in these figures. Figures, not pass/fail:
//   node bench/dist/src/backhaul-bench.js [--baseline-rounds 40] [--rounds 80] [--seed 0]
//     [--target 0.5610 --only flat-after,backhaul-after]   (a given target skips the run that sets it)
//     [--levels 0.95,0.99,1]

import { parseArgs } from 'node:util';
import { createLogger } from '@strata/runtime';
import { type RoundRecord, cloudLinkBytes, downlinkSchema } from '@strata/shared';
import { Simulation, createSimulationTask, deviceCount, loadTopology } from '@strata/simulator';

const { values: args } = parseArgs({
  options: {
    flat: { type: 'string', default: 'simulator/topologies/city-flat.yaml' },
    backhaul: { type: 'string', default: 'simulator/topologies/city-slow-backhaul.yaml' },
    /** Rounds of the flat run before issue 16, whose final Recall@20 is the target (default: the topology's). */
    'baseline-rounds': { type: 'string' },
    /** At most this many rounds for the other runs, which stop at the target. */
    rounds: { type: 'string', default: '80' },
    target: { type: 'string' },
    only: { type: 'string', default: 'flat-before,flat-after,backhaul-before,backhaul-after' },
    levels: { type: 'string', default: '0.95,0.99,1' },
    seed: { type: 'string', default: '0' },
  },
});
const METRIC = 'recall@20';
/** The downlink before issue 16: every request carries the whole float32 model unless the device is current. */
const BEFORE = downlinkSchema.parse({ dtype: 'float32', rowFraction: 1, energy: 1, history: 0 });
const AFTER = downlinkSchema.parse({});

interface Outcome {
  readonly label: string;
  readonly rounds: readonly RoundRecord[];
  readonly devices: number;
  readonly wallSeconds: number;
}

async function simulate(
  label: string,
  file: string,
  roundCount: string | undefined,
  downlink: typeof BEFORE,
  target?: number,
): Promise<Outcome> {
  const loaded = loadTopology(file, { seed: Number(args.seed), rounds: roundCount === undefined ? undefined : Number(roundCount) });
  const topology = { ...loaded.topology, downlink };
  const { task } = await createSimulationTask(topology);
  const started = performance.now();
  const rounds: RoundRecord[] = [];
  const simulation = new Simulation({
    loaded: { ...loaded, topology },
    task,
    logger: createLogger('bench', 'error'),
    ...(target !== undefined ? { stopWhen: (metrics: Readonly<Record<string, number>>) => (metrics[METRIC] ?? 0) >= target } : {}),
    observer: {
      roundFinished: (record) => {
        const recall = record.metrics[METRIC];
        rounds.push(record);
        process.stderr.write(
          `  ${label} round ${record.round}: ${((record.simSeconds ?? 0) / 60).toFixed(2)} min simulated` +
            `${recall === undefined ? '' : `, ${METRIC} ${recall.toFixed(4)}`}, ${mb(bytesUpTo(rounds, record.round).all)} over all links\n`,
        );
      },
    },
  });
  const record = await simulation.run();
  return { label, rounds: record.rounds, devices: deviceCount(topology), wallSeconds: (performance.now() - started) / 1000 };
}

/** Bytes over all links, the device links and the cloud's link in rounds 1..`upTo`. */
function bytesUpTo(rounds: readonly RoundRecord[], upTo: number): { all: number; device: number; cloud: number } {
  const sum = { all: 0, device: 0, cloud: 0 };
  for (const r of rounds) {
    if (r.round > upTo) break;
    const b = r.bytes;
    sum.device += (b.deviceEdge ?? 0) + (b.deviceCloud ?? 0);
    sum.cloud += cloudLinkBytes(b);
    sum.all += (b.deviceEdge ?? 0) + (b.deviceCloud ?? 0) + (b.edgeCloud ?? 0);
  }
  return sum;
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const only = new Set(args.only.split(','));
const outcomes: Outcome[] = [];
let target = args.target === undefined ? undefined : Number(args.target);
if (target === undefined) {
  const flatBefore = await simulate('flat, before', args.flat, args['baseline-rounds'], BEFORE);
  outcomes.push(flatBefore);
  target = flatBefore.rounds.at(-1)?.metrics[METRIC] ?? Number.NaN;
}
const runs = [
  { key: 'flat-after', label: 'flat, after', file: args.flat, downlink: AFTER },
  { key: 'backhaul-before', label: 'slow backhaul, before', file: args.backhaul, downlink: BEFORE },
  { key: 'backhaul-after', label: 'slow backhaul, after', file: args.backhaul, downlink: AFTER },
];
for (const run of runs) {
  if (only.has(run.key)) outcomes.push(await simulate(run.label, run.file, args.rounds, run.downlink, target));
}

const minutes = (seconds: number | undefined): string => `${((seconds ?? 0) / 60).toFixed(2)} min`;
console.log(`\ntarget: ${METRIC} ${target.toFixed(4)} (the flat run's final before issue 16); seed ${args.seed}`);
console.log(`before: downlink ${JSON.stringify(BEFORE)}; after: ${JSON.stringify(AFTER)}`);
console.log('| run | devices | time to target | round | bytes, all links | device links | cloud link | last Recall@20 (time) | wall s |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const o of outcomes) {
  const reached = o.rounds.find((r) => (r.metrics[METRIC] ?? 0) >= (target ?? 0));
  const last = o.rounds.at(-1);
  const spent = bytesUpTo(o.rounds, reached?.round ?? Number.POSITIVE_INFINITY);
  const final = `${(last?.metrics[METRIC] ?? Number.NaN).toFixed(4)} (${minutes(last?.simSeconds)})`;
  const time = reached ? minutes(reached.simSeconds) : `not reached in ${o.rounds.length} rounds`;
  console.log(
    `| ${o.label} | ${o.devices} | ${time} | ${reached?.round ?? '-'} | ${mb(spent.all)} | ${mb(spent.device)} | ${mb(spent.cloud)} | ${final} | ${o.wallSeconds.toFixed(0)} |`,
  );
}

const levels = args.levels.split(',').map(Number);
console.log(`\nsimulated minutes and MB over all links to a share of the target`);
console.log(`| run | ${levels.map((l) => `${(l * 100).toFixed(0)}% (${(l * (target ?? 0)).toFixed(4)})`).join(' | ')} |`);
console.log(`|---|${levels.map(() => '---').join('|')}|`);
for (const o of outcomes) {
  const cells = levels.map((level) => {
    const reached = o.rounds.find((r) => (r.metrics[METRIC] ?? 0) >= level * (target ?? 0));
    return reached ? `${minutes(reached.simSeconds)}, ${mb(bytesUpTo(o.rounds, reached.round).all)}` : 'not reached';
  });
  console.log(`| ${o.label} | ${cells.join(' | ')} |`);
}
