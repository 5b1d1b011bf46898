// Poisoning at scale in the simulator: federated BPR-MF, one device per user under two edges (ml-100k: 943
// users; --population synthetic: --devices users of the synthetic population, default 2,000, for a fleet above
// 1,000), a seeded 10% of them attacking (scaled updates ×100, weights ×10^6), against FedAvg without
// clipping, with per-row clipping only, with the defaults (per-update scale clipping, then per-row), and
// median, trimmed mean and Multi-Krum (f = the attackers' share of an edge's updates, keeping n − f) at the
// edges. Prints Recall@20 over the honest users and the drop each attack causes, then the targeted
// item-promotion attack (--promote-fraction of the devices push --target-item, an unpopular ml-100k item,
// toward their own recommendations): the share of honest users with the target in their top 20, without
// and under attack. Figures, not pass/fail:
//   node bench/dist/src/poisoning-bench.js [--rounds 20] [--fraction 0.1] [--strength 100] [--skip-robust]
//     [--population ml-100k|synthetic] [--devices 2000] [--promote-fraction 0.01] [--target-item 1500]
//     [--promote-strength 10] [--skip-untargeted] [--skip-promotion]

import { parseArgs } from 'node:util';
import { createLogger } from '@strata/runtime';
import { DEFAULT_UPDATE_DEFENCES } from '@strata/shared';
import { type AdversaryReport, Simulation, createSimulationTask, parseTopology } from '@strata/simulator';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    fraction: { type: 'string', default: '0.1' },
    strength: { type: 'string', default: '100' },
    population: { type: 'string', default: 'ml-100k' },
    devices: { type: 'string', default: '2000' },
    'skip-promotion': { type: 'boolean', default: false },
    'skip-robust': { type: 'boolean', default: false },
    'promote-fraction': { type: 'string', default: '0.01' },
    'target-item': { type: 'string', default: '1500' },
    'promote-strength': { type: 'string', default: '10' },
    'skip-untargeted': { type: 'boolean', default: false },
  },
});

const synthetic = args.population === 'synthetic';
if (!synthetic && args.population !== 'ml-100k') throw new Error(`--population must be ml-100k or synthetic, got ${args.population}`);
const deviceCount = synthetic ? Number(args.devices) : 943;
const perEdge = [Math.ceil(deviceCount / 2), Math.floor(deviceCount / 2)];
const fedavg = { name: 'fedavg', options: {} };
const { clipFactor, updateClipFactor } = DEFAULT_UPDATE_DEFENCES;
const noClipping = { clipFactor: 0, updateClipFactor: 0 };
/** Multi-Krum told the attackers' share of the smaller edge, keeping the n − f best of each edge's updates. */
const byzantine = Math.ceil(Number(args.fraction) * perEdge[1]);
const defences = [
  { label: 'fedavg, no clipping', edgeStrategy: fedavg, clipping: noClipping },
  { label: `fedavg, row clip ×${clipFactor} only`, edgeStrategy: fedavg, clipping: { clipFactor, updateClipFactor: 0 } },
  { label: `fedavg, defaults (×${updateClipFactor}, ×${clipFactor})`, edgeStrategy: fedavg, clipping: { clipFactor, updateClipFactor } },
  ...(!args['skip-robust']
    ? [
        { label: 'median', edgeStrategy: { name: 'median', options: {} }, clipping: noClipping },
        { label: 'trimmed mean', edgeStrategy: { name: 'trimmed-mean', options: {} }, clipping: noClipping },
        {
          label: `multi-krum f=${byzantine}`,
          edgeStrategy: { name: 'krum', options: { byzantine, keep: perEdge[1] - byzantine } },
          clipping: noClipping,
        },
      ]
    : []),
];
const attacks = [undefined, 'scale', 'inflate-weight'] as const;
type Adversary = { fraction: number; attack: string; strength: number; targetItem?: number } | undefined;

function adversary(attack: (typeof attacks)[number]): Adversary {
  return attack ? { fraction: Number(args.fraction), attack, strength: attack === 'scale' ? Number(args.strength) : 1e6 } : undefined;
}

/** The promotion attack with `fraction` attackers (0: the target's hit rate without attack). */
function promotion(fraction: number): Adversary {
  return { fraction, attack: 'promote-item', targetItem: Number(args['target-item']), strength: Number(args['promote-strength']) };
}

async function simulate(defence: (typeof defences)[number], attacker: Adversary) {
  const loaded = parseTopology(topology(defence, attacker), { baseDir: '.' });
  const { task } = await createSimulationTask(loaded.topology);
  const record = await new Simulation({ loaded, task, logger: createLogger('bench', 'silent') }).run();
  await task.close?.();
  return record.final;
}

function topology({ edgeStrategy, clipping }: (typeof defences)[number], attacker: Adversary) {
  return {
    name: 'poisoning',
    seed: 0,
    task: { name: 'recsys/bpr-mf', ...(synthetic ? { data: { synthetic: { users: deviceCount, items: 2000, communities: 16 } } } : {}) },
    schedule: { rounds: Number(args.rounds), kappa1: 1, kappa2: 1, evalEvery: 0, edgeDeadlineSeconds: 3600, roundDeadlineSeconds: 7200 },
    edgeStrategy,
    defences: { ...clipping, maxFailedRounds: 3 },
    ...(attacker ? { adversary: attacker } : {}),
    links: { lan: { latencyMs: 1, upMbps: 1000, downMbps: 1000 } },
    regions: { cloud: {} },
    cloud: { region: 'cloud' },
    edges: [
      { id: 'edge-a', region: 'cloud', link: 'lan' },
      { id: 'edge-b', region: 'cloud', link: 'lan' },
    ],
    devices: [
      { group: 'a', edge: 'edge-a', count: perEdge[0], link: 'lan' },
      { group: 'b', edge: 'edge-b', count: perEdge[1], link: 'lan' },
    ],
  };
}

if (!args['skip-untargeted']) {
  console.log(
    `poisoning: BPR-MF on ${args.population}, ${deviceCount} devices, ${args.rounds} rounds, ${Number(args.fraction) * 100}% attackers; Recall@20 of the honest users`,
  );
  console.log('defence                      | no attack | scale ×100 (drop) | weight ×1e6 (drop)');
  for (const defence of defences) {
    const recall: number[] = [];
    for (const attack of attacks) recall.push((await simulate(defence, adversary(attack))).metrics['recall@20']);
    const [clean, scaled, inflated] = recall;
    const cell = (r: number): string => `${r.toFixed(4)} (${(clean - r >= 0 ? '-' : '+') + Math.abs(clean - r).toFixed(4)})`;
    console.log(
      `${defence.label.padEnd(28)} | ${clean.toFixed(4).padStart(9)} | ${cell(scaled).padStart(17)} | ${cell(inflated).padStart(18)}`,
    );
  }
}

const promoteFraction = Number(args['promote-fraction']);
if (!args['skip-promotion']) {
  console.log(
    `\nitem promotion: target item ${args['target-item']}, ${promoteFraction * 100}% attackers, strength ${args['promote-strength']}; target in top-20 (honest users), Recall@20`,
  );
  console.log('defence                      | no attack: top-20, recall | under attack: top-20, recall (attackers)');
  for (const defence of defences) {
    const clean = await simulate(defence, promotion(0));
    const attacked = await simulate(defence, promotion(promoteFraction));
    const hit = (final: typeof clean): string => (final.adversary as AdversaryReport)['targetHitRate@20'].toFixed(4);
    const recall = (final: typeof clean): string => final.metrics['recall@20'].toFixed(4);
    const attackers = (attacked.adversary as AdversaryReport).attackers;
    console.log(
      `${defence.label.padEnd(28)} | ${hit(clean)}, ${recall(clean)}${''.padEnd(10)} | ${hit(attacked)}, ${recall(attacked)} (${attackers})`,
    );
  }
}
