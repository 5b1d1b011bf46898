// Centralized NeuMF on MovieLens 100K with the default model and training options: training throughput
// (samples per second, and per CPU-second, which a shared machine disturbs much less), the held-out
// Recall@20 / NDCG@20 after the default epochs beside the popularity baseline, and the tfjs backend in use.
// A sample is one labelled (user, item) pair (log loss) or one (user, positive, negative) triple (BPR).
// With --federated-rounds R it then runs the flat federated simulation the task's defaults were tuned
// with (every user a device every round, one local epoch, FedAvg) and prints its Recall@20 curve.
// Figures, not pass/fail.
// Usage:
//   node bench/dist/src/neumf-bench.js [--engine tfjs|kernel|both] [--epochs 4] [--loss log|bpr] [--seed 0]
//     [--federated-rounds 0] [--evaluate-every 5]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { FedAvg, type ModelUpdate } from '@strata/shared';
import {
  addEvaluationSums,
  DEFAULT_NEUMF_CONFIG,
  DEFAULT_NEUMF_TRAINING,
  evaluateRanking,
  initTfjsBackend,
  loadInteractions,
  metricsFromSums,
  ml100kSource,
  NeuMFCentralizedTrainer,
  NeuMFTask,
  Popularity,
  splitPerUser,
  type NeuMFEngine,
  type NeuMFLoss,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: DEFAULT_NEUMF_TRAINING.engine },
    epochs: { type: 'string', default: String(DEFAULT_NEUMF_TRAINING.epochs) },
    loss: { type: 'string', default: DEFAULT_NEUMF_CONFIG.loss },
    seed: { type: 'string', default: '0' },
    'federated-rounds': { type: 'string', default: '0' },
    'evaluate-every': { type: 'string', default: '5' },
  },
});
const engines: NeuMFEngine[] = args.engine === 'both' ? ['tfjs', 'kernel'] : [args.engine as NeuMFEngine];
const epochs = Number(args.epochs);
const seed = Number(args.seed);
const loss = args.loss as NeuMFLoss;
const federatedRounds = Number(args['federated-rounds']);
const evaluateEvery = Number(args['evaluate-every']);

const backend = await initTfjsBackend();
const data = loadInteractions(ml100kSource());
const split = splitPerUser(data, { seed });
const popularity = evaluateRanking(split, new Popularity(split).scoreUser);
const c = { ...DEFAULT_NEUMF_CONFIG, loss };
console.log(
  `NeuMF on ml-100k: ${split.numUsers} users, ${split.numItems} items; GMF ${c.gmfDim}, MLP ${2 * c.mlpEmbeddingDim}` +
    `→${c.mlpLayers.join('→')}, ${c.loss} loss, ${c.negatives} negatives, Adam lr ${c.learningRate}, batch ` +
    `${DEFAULT_NEUMF_TRAINING.batchSize}, ${epochs} epochs, seed ${seed}`,
);
console.log(
  `tfjs backend: ${backend.backend} (${backend.package}${backend.native ? ', native' : ', pure JS'}); ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);
console.log(`popularity: recall@20 ${popularity['recall@20'].toFixed(4)}, ndcg@20 ${popularity['ndcg@20'].toFixed(4)}`);
console.log('engine | epoch | loss   | samples/s | samples per CPU-s');

for (const engine of engines) {
  const trainer = new NeuMFCentralizedTrainer(split, { seed, epochs, engine, config: { loss } });
  let cpu = process.cpuUsage();
  let cpuSeconds = 0;
  const result = trainer.train((p) => {
    const used = process.cpuUsage(cpu);
    cpuSeconds += (used.user + used.system) / 1e6;
    console.log(
      `${engine.padEnd(6)} | ${String(p.epoch).padStart(5)} | ${p.loss.toFixed(4)} | ${Math.round(p.samplesPerSecond).toLocaleString('en-US').padStart(9)} | ` +
        `${Math.round(p.samples / ((used.user + used.system) / 1e6))
          .toLocaleString('en-US')
          .padStart(17)}`,
    );
    cpu = process.cpuUsage();
  });
  trainer.dispose();
  const samples = result.epochs.reduce((n, p) => n + p.samples, 0);
  console.log(
    `${engine}: ${Math.round(result.samplesPerSecond).toLocaleString('en-US')} samples/s ` +
      `(${Math.round(samples / cpuSeconds).toLocaleString('en-US')} per CPU-s, sampling included), ` +
      `train ${result.trainSeconds.toFixed(1)} s; recall@20 ${result.metrics['recall@20'].toFixed(4)}, ndcg@20 ${result.metrics['ndcg@20'].toFixed(4)}`,
  );
}

if (federatedRounds > 0) {
  const task = NeuMFTask.fromInteractions(data, { seed, loss });
  const model = task.initModel();
  const devices = Array.from({ length: task.numDevices }, (_, i) => task.createDevice(i));
  const server = new FedAvg();
  const o = task.options;
  console.log(
    `federated: ${task.numDevices} devices, all every round, 1 local epoch, FedAvg; local Adam lr dense ${o.learningRate}, ` +
      `items ${o.itemLearningRate}, user ${o.userLearningRate}, batch ${o.localBatchSize}`,
  );
  console.log('round | loss   | round s | samples/s | recall@20 | ndcg@20');
  let trainSeconds = 0;
  for (let round = 1; round <= federatedRounds; round++) {
    const start = performance.now();
    const updates: ModelUpdate[] = [];
    for (const device of devices) updates.push(await device.train(model, { round, localSteps: 1, options: task.defaultOptions() }));
    const combined = server.aggregate(updates);
    server.apply(model, combined);
    const seconds = (performance.now() - start) / 1000;
    trainSeconds += seconds;
    if (round % evaluateEvery !== 0 && round !== federatedRounds) continue;
    const metrics = metricsFromSums(addEvaluationSums(...(await Promise.all(devices.map((d) => d.evaluate(model))))));
    const samples = combined.weight * (o.loss === 'log' ? 1 + o.negatives : o.negatives);
    console.log(
      `${String(round).padStart(5)} | ${(combined.metrics.loss / combined.weight).toFixed(4)} | ${seconds.toFixed(2).padStart(7)} | ` +
        `${Math.round(samples / seconds)
          .toLocaleString('en-US')
          .padStart(9)} | ${metrics['recall@20'].toFixed(4).padStart(9)} | ${metrics['ndcg@20'].toFixed(4)}`,
    );
  }
  console.log(
    `federated: ${(trainSeconds / federatedRounds).toFixed(2)} s per round (${task.numDevices} devices training, then FedAvg; one process)`,
  );
}
