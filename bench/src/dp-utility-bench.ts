// The privacy-utility curve of central DP-FedAvg (issue 15): federated BPR-MF's Recall@20 at ε ∈ {1, 2, 4, 8, ∞}
// (δ = 1e-5) on (a) a synthetic population of 10,000 devices and (b) ml-100k (943 devices), both in the
// simulator. For each ε the noise multiplier is the smallest that spends at most ε over the run's rounds at its
// sampling rate (the schedule's fraction); ∞ is DP clipping with negligible noise; "FedAvg" is the non-private
// per-row mean for reference. Figures, not pass/fail:
//   node bench/dist/src/dp-utility-bench.js [--population synthetic|ml-100k|both] [--rounds 10] [--fraction 0.1]
//     [--clip 0.5] [--server-lr 50] [--epsilons 1,2,4,8,inf] [--no-baseline] [--devices 10000] [--edges 10] [--seed 0]

import { parseArgs } from 'node:util';
import { createLogger } from '@strata/runtime';
import { noiseMultiplierForEpsilon } from '@strata/shared';
import { Simulation, createSimulationTask, parseTopology } from '@strata/simulator';

const { values: args } = parseArgs({
  options: {
    population: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '10' },
    fraction: { type: 'string', default: '0.1' },
    clip: { type: 'string', default: '0.5' },
    'server-lr': { type: 'string', default: '50' },
    epsilons: { type: 'string', default: '1,2,4,8,inf' },
    'no-baseline': { type: 'boolean', default: false },
    devices: { type: 'string', default: '10000' },
    edges: { type: 'string', default: '10' },
    items: { type: 'string', default: '2000' },
    seed: { type: 'string', default: '0' },
  },
});
const rounds = Number(args.rounds);
const fraction = Number(args.fraction);
const clipNorm = Number(args.clip);
const serverLr = Number(args['server-lr']);
const delta = 1e-5;
/** σ for the ∞ column: clipping and the fixed denominator as under DP, noise too small to matter. */
const NEGLIGIBLE_NOISE = 1e-6;
const epsilons = args.epsilons.split(',').map((e) => (e === 'inf' ? Number.POSITIVE_INFINITY : Number(e)));

/** A population: `devices` always-online devices split over `edges` edges on home broadband. */
function topology(population: 'synthetic' | 'ml-100k', privacy: Record<string, unknown> | undefined): Record<string, unknown> {
  const devices = population === 'synthetic' ? Number(args.devices) : 943;
  const edges = population === 'synthetic' ? Number(args.edges) : 2;
  const districts = Array.from({ length: edges }, (_, i) => `district-${i + 1}`);
  const perEdge = Math.floor(devices / edges);
  return {
    name: `dp-utility-${population}`,
    seed: Number(args.seed),
    task: population === 'synthetic' ? { data: { synthetic: { items: Number(args.items), communities: 16 } } } : {},
    schedule: { rounds, kappa1: 1, kappa2: 1, fraction, edgeDeadlineSeconds: 600, roundDeadlineSeconds: 3600, evalEvery: 0 },
    strategy: { name: 'fedavg', options: privacy ? { serverLr } : {} },
    ...(privacy ? { privacy } : {}),
    links: { home: { latencyMs: 10, upMbps: 20, downMbps: 100 }, backhaul: { latencyMs: 20, upMbps: 100, downMbps: 100 } },
    regions: { cloud: {}, ...Object.fromEntries(districts.map((d) => [d, { backhaul: 'backhaul' }])) },
    cloud: { region: 'cloud' },
    edges: districts.map((d) => ({ id: `edge-${d}`, region: d })),
    devices: districts.map((d, i) => ({
      group: `${d}-homes`,
      edge: `edge-${d}`,
      count: i === edges - 1 ? devices - perEdge * (edges - 1) : perEdge,
      link: 'home',
    })),
  };
}

async function simulate(spec: Record<string, unknown>): Promise<{ recall: number; epsilon: number | undefined; seconds: number }> {
  const started = performance.now();
  const loaded = parseTopology(spec, { baseDir: '.' });
  const { task, baselines } = await createSimulationTask(loaded.topology);
  const record = await new Simulation({ loaded, task, baselines, logger: createLogger('bench', 'silent') }).run();
  const epsilon = record.final.epsilon as number | undefined;
  return { recall: record.final.metrics['recall@20'], epsilon, seconds: (performance.now() - started) / 1000 };
}

const populations = args.population === 'both' ? (['synthetic', 'ml-100k'] as const) : [args.population as 'synthetic' | 'ml-100k'];
for (const population of populations) {
  console.log(
    `dp-utility ${population}: ${rounds} rounds, fraction ${fraction} (the accountant's q), κ2 = 1, clip C = ${clipNorm}, ` +
      `server lr ${serverLr} under DP, δ = ${delta}`,
  );
  console.log('target ε | σ | ε spent | recall@20 | wall s');
  const row = (target: string, sigma: string, spent: string, run: { recall: number; seconds: number }): void =>
    console.log(
      `${target.padStart(8)} | ${sigma.padStart(8)} | ${spent.padStart(7)} | ${run.recall.toFixed(4).padStart(9)} | ${run.seconds.toFixed(0).padStart(6)}`,
    );
  if (!args['no-baseline']) row('FedAvg', '-', '-', await simulate(topology(population, undefined)));
  for (const target of epsilons) {
    const noiseMultiplier = Number.isFinite(target)
      ? noiseMultiplierForEpsilon({ targetEpsilon: target, delta, samplingRate: fraction, rounds })
      : NEGLIGIBLE_NOISE;
    const run = await simulate(topology(population, { mode: 'central', clipNorm, noiseMultiplier, delta }));
    row(
      Number.isFinite(target) ? String(target) : '∞',
      noiseMultiplier.toPrecision(4),
      Number.isFinite(target) ? run.epsilon!.toFixed(3) : '∞',
      run,
    );
  }
}
