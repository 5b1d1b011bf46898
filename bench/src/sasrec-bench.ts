// SASRec on MovieLens 100K (leave-one-out by timestamp) with the default model: centralized training throughput
// (positions per second, and per CPU-second, which a shared machine disturbs much less), the federated devices'
// throughput (every user's device training one step on its own sequence, as in a round), and full-ranking
// evaluation speed. A position is one (prefix, next item, sampled negative) term of the loss.
// Figures, not pass/fail.
// Usage: node bench/dist/src/sasrec-bench.js [--epochs 2] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import type { ModelUpdate } from '@strata/shared';
import { evaluateRanking, loadInteractions, ml100kSource, SasrecCentralizedTrainer, SasrecTask } from '@strata/tasks';

const { values: args } = parseArgs({ options: { epochs: { type: 'string', default: '2' }, seed: { type: 'string', default: '0' } } });
const epochs = Number(args.epochs);
const seed = Number(args.seed);
const task = SasrecTask.fromInteractions(loadInteractions(ml100kSource()), { seed, epochs });
const o = task.options;
console.log(
  `SASRec on ml-100k: ${task.split.numUsers} users, ${task.split.numItems} items; d ${o.dim}, window ${o.maxLength}, ${o.blocks} blocks, ` +
    `dropout ${o.dropout}, batch ${o.batchSize}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);

const cpuSecondsSince = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};
let cpu = process.cpuUsage();
const trainer = new SasrecCentralizedTrainer(task.split, task.options);
const model = trainer.train((p) => {
  const cpuSeconds = cpuSecondsSince(cpu);
  console.log(
    `centralized epoch ${p.epoch}: loss ${p.loss.toFixed(4)}, ${Math.round(p.positionsPerSecond).toLocaleString('en-US')} positions/s, ` +
      `${Math.round(p.positions / cpuSeconds).toLocaleString('en-US')} per CPU-s`,
  );
  cpu = process.cpuUsage();
});

const global = task.initModel();
const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
cpu = process.cpuUsage();
let start = performance.now();
const updates: ModelUpdate[] = [];
for (const device of devices) updates.push(await device.train(global, { round: 1, localSteps: 1, options: task.defaultOptions() }));
let seconds = (performance.now() - start) / 1000;
const positions = updates.reduce((n, u) => n + u.weight, 0);
console.log(
  `devices: ${devices.length} train one step each in ${seconds.toFixed(2)} s: ${Math.round(positions / seconds).toLocaleString('en-US')} positions/s, ` +
    `${Math.round(positions / cpuSecondsSince(cpu)).toLocaleString('en-US')} per CPU-s (model copy and deltas included)`,
);

start = performance.now();
const metrics = evaluateRanking(task.split, model.scoreUser, { ks: [10] });
seconds = (performance.now() - start) / 1000;
console.log(
  `evaluation: ${task.split.numUsers} users ranked over ${task.split.numItems} items in ${seconds.toFixed(2)} s ` +
    `(${Math.round(task.split.numUsers / seconds)} users/s); after ${epochs} epochs Hit@10 ${metrics['hit@10'].toFixed(4)}, NDCG@10 ${metrics['ndcg@10'].toFixed(4)}`,
);
