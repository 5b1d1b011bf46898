// Graph recommenders on MovieLens 100K (d = 64, 2 layers): training throughput in interactions (BPR triples)
// per second of centralized LightGCN and KGAT (with ml-100k's knowledge graph, TransR and attention included)
// and of one federated round of each (every user a device, one local epoch, in this process). Figures, not
// pass/fail; wall-clock rates are noisy on a shared machine, interactions per CPU-second much less so.
// Usage:
//   node bench/dist/src/graph-recsys-bench.js [--epochs 6] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { join } from 'node:path';
import {
  centralizedKgat,
  centralizedLightGcn,
  KgatTask,
  LightGcnTask,
  loadInteractions,
  loadRecboleKnowledgeGraph,
  ml100kSource,
  resolveDataDir,
  type GraphBprTrainer,
  type GraphEpochProgress,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '6' }, seed: { type: 'string', default: '0' } },
});
const epochs = Number(args.epochs);
if (!(epochs >= 3)) throw new Error(`--epochs must be at least 3, got ${args.epochs}`);
const seed = Number(args.seed);
const data = loadInteractions(ml100kSource());
const dir = join(resolveDataDir(), 'ml-100k');
const graph = loadRecboleKnowledgeGraph({ kgPath: join(dir, 'ml-100k.kg'), linkPath: join(dir, 'ml-100k.link') }, data);
const lightGcn = LightGcnTask.fromInteractions(data, { seed });
const kgat = KgatTask.fromKnowledgeGraph(data, graph, { seed, kgEpochs: 1 });
console.log(
  `ml-100k: ${data.numUsers} users, ${data.numItems} items, ${graph.heads.length} KG triples; ${epochs} epochs, seed ${seed}; ${cpus().length} cores`,
);
console.log('what | median epoch interactions/s | interactions per CPU-s');

const rate = (n: number): string => Math.round(n).toLocaleString('en-US');

async function centralized(label: string, trainer: GraphBprTrainer): Promise<void> {
  const progress: GraphEpochProgress[] = [];
  // CPU time of epochs 2 .. epochs-1: not the first epoch's JIT warm-up, nor the final evaluation.
  let cpuStart = process.cpuUsage();
  let cpuSeconds = 0;
  await trainer.train((p) => {
    if (p.epoch === 1) cpuStart = process.cpuUsage();
    if (p.epoch === epochs - 1) {
      const cpu = process.cpuUsage(cpuStart);
      cpuSeconds = (cpu.user + cpu.system) / 1e6;
    }
    progress.push(p);
  });
  const counted = progress.slice(1, -1).reduce((n, p) => n + p.triples, 0);
  const rates = progress.map((p) => p.triplesPerSecond).sort((a, b) => a - b);
  console.log(`${label} | ${rate(rates[rates.length >> 1])} | ${rate(counted / cpuSeconds)}`);
}

async function federatedRound(label: string, task: LightGcnTask): Promise<void> {
  const model = task.initModel();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const train = async (round: number): Promise<number> => {
    let interactions = 0;
    for (const device of devices)
      interactions += (await device.train(model, { round, localSteps: 1, options: task.defaultOptions() })).weight;
    return interactions;
  };
  await train(1);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  const interactions = await train(2);
  const cpu = process.cpuUsage(cpuStart);
  console.log(
    `${label} | ${rate(interactions / ((performance.now() - start) / 1000))} | ${rate(interactions / ((cpu.user + cpu.system) / 1e6))}`,
  );
}

await centralized('centralized LightGCN', centralizedLightGcn(lightGcn.split, { epochs }, seed));
await centralized('centralized KGAT', centralizedKgat(kgat.split, graph, { epochs }, seed));
await federatedRound('federated LightGCN, device training of one round', lightGcn);
await federatedRound('federated KGAT, device training of one round', kgat);
