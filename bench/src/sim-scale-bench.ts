// The topology simulator at scale: 10,000 simulated devices (one synthetic user each) under 10 edges run
// federated BPR-MF for 5 cloud rounds on the virtual clock. Prints wall time per round, simulated time,
// simulated seconds per wall second, heap per simulated device and peak RSS. Figures, not pass/fail; on a
// shared machine they are noisy. Run with --expose-gc so the heap per device is measured after a collection:
//   node --expose-gc bench/dist/src/sim-scale-bench.js [--devices 10000] [--edges 10] [--rounds 5] [--kappa2 2] [--items 2000] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { createLogger } from '@strata/runtime';
import { cloudLinkBytes } from '@strata/shared';
import { Simulation, createSimulationTask, parseTopology } from '@strata/simulator';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    edges: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '5' },
    kappa2: { type: 'string', default: '2' },
    items: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '0' },
  },
});
const devices = Number(args.devices);
const edges = Number(args.edges);
const perEdge = Math.floor(devices / edges);
const phones = Math.floor(perEdge * 0.3);

// Each district: an edge with a 1 Gbit/s server link and a 100 Mbit/s backhaul; 70% always-on homes on
// broadband, 30% phones on a duty cycle.
const districts = Array.from({ length: edges }, (_, i) => `district-${i + 1}`);
const spec = {
  name: `scale-${devices}`,
  seed: Number(args.seed),
  task: { data: { synthetic: { items: Number(args.items), communities: 16 } } },
  schedule: {
    rounds: Number(args.rounds),
    kappa1: 1,
    kappa2: Number(args.kappa2),
    edgeDeadlineSeconds: 600,
    roundDeadlineSeconds: 3600,
    evalEvery: 1,
  },
  links: {
    home: { latencyMs: 10, jitterMs: 3, upMbps: 20, downMbps: 100, loss: 0.0005 },
    mobile: { latencyMs: 40, jitterMs: 15, upMbps: 5, downMbps: 30, loss: 0.002 },
    'edge-server': { latencyMs: 0.5, upMbps: 1000, downMbps: 1000 },
    backhaul: { latencyMs: 20, jitterMs: 2, upMbps: 100, downMbps: 100 },
  },
  regions: { cloud: {}, ...Object.fromEntries(districts.map((d) => [d, { backhaul: 'backhaul' }])) },
  cloud: { region: 'cloud' },
  edges: districts.map((d) => ({ id: `edge-${d}`, region: d, link: 'edge-server' })),
  devices: districts.flatMap((d, i) => [
    {
      group: `${d}-homes`,
      edge: `edge-${d}`,
      count: (i === edges - 1 ? devices - perEdge * (edges - 1) : perEdge) - phones,
      link: 'home',
      compute: { speed: 2, jitter: 0.3 },
    },
    {
      group: `${d}-phones`,
      edge: `edge-${d}`,
      count: phones,
      link: 'mobile',
      compute: { speed: 0.5, jitter: 0.5 },
      availability: { kind: 'duty-cycle', onSeconds: 1800, offSeconds: 600 },
    },
  ]),
};

const heapMiB = (): number => process.memoryUsage().heapUsed / 2 ** 20;
const cpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const started = performance.now();
const loaded = parseTopology(spec, { baseDir: '.' });
const { task, baselines } = await createSimulationTask(loaded.topology);
const setupSeconds = (performance.now() - started) / 1000;
console.log(
  `sim-scale: ${devices.toLocaleString('en-US')} devices under ${edges} edges, ${args.rounds} cloud rounds ` +
    `(κ1=1, κ2=${args.kappa2}), synthetic ${devices.toLocaleString('en-US')} users × ${args.items} items, BPR-MF d=${(task.describe().options as { dim: number }).dim}; ` +
    `${cpus().length} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}${globalThis.gc ? '' : ' (no --expose-gc: heap per device not measured)'}`,
);
console.log(
  `data and task: ${setupSeconds.toFixed(1)} s, heap ${heapMiB().toFixed(0)} MiB; planted recall@20 ${baselines['planted scores']['recall@20'].toFixed(4)}, popularity ${baselines.popularity['recall@20'].toFixed(4)}`,
);

let trainings = 0;
const cpuAtStart = cpuSeconds();
console.log('round | sim time s | wall s | trainings | recall@20 | cloud link MB | device links MB | dropped | heap MiB | rss MiB');
const simulation = new Simulation({
  loaded,
  task,
  baselines,
  logger: createLogger('bench', 'silent'),
  observer: {
    deviceTrained: () => trainings++,
    roundFinished: (r) => {
      const p = r.participation as { dropped: number };
      console.log(
        `${String(r.round).padStart(5)} | ${r.simSeconds!.toFixed(1).padStart(10)} | ${r.wallSeconds.toFixed(1).padStart(6)} | ` +
          `${String(trainings).padStart(9)} | ${r.metrics['recall@20'].toFixed(4).padStart(9)} | ${(cloudLinkBytes(r.bytes) / 1e6).toFixed(1).padStart(13)} | ` +
          `${(r.bytes.deviceEdge / 1e6).toFixed(0).padStart(15)} | ${String(p.dropped).padStart(7)} | ${heapMiB().toFixed(0).padStart(8)} | ` +
          `${(process.memoryUsage().rss / 2 ** 20).toFixed(0).padStart(7)}`,
      );
      trainings = 0;
    },
  },
});
const record = await simulation.run();
const cpu = cpuSeconds() - cpuAtStart;
const { final } = record;
const roundsWall = record.rounds.reduce((s, r) => s + r.wallSeconds, 0);
const kb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : 'not measured');
console.log(
  `total wall ${final.wallSeconds.toFixed(1)} s (the rounds ${roundsWall.toFixed(1)} s, each with its evaluation on every device's held-out data); ` +
    `simulated ${final.simSeconds.toFixed(1)} s: ${final.scale.simSecondsPerWallSecond.toFixed(2)} simulated s per wall s; ` +
    `${cpu.toFixed(1)} CPU s (${(final.simSeconds / cpu).toFixed(2)} simulated s per CPU s, unaffected by other load)`,
);
console.log(
  `heap per simulated device: ${kb(final.scale.heapBytesPerDevice)} (device state, after a collection); ` +
    `${kb(final.scale.heapUsedBytesPerDevice)} (whole heap at the end / devices, data and model included); ` +
    `peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB; final recall@20 ${final.metrics['recall@20'].toFixed(4)}`,
);
