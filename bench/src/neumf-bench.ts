// Centralized NeuMF on MovieLens 100K with the default model and training options: training throughput
// (samples per second, and per CPU-second, which a shared machine disturbs much less), the held-out
// Recall@20 / NDCG@20 after the default epochs beside the popularity baseline, and the tfjs backend in use.
// A sample is one labelled (user, item) pair (log loss) or one (user, positive, negative) triple (BPR).
// Figures, not pass/fail.
// Usage:
//   node bench/dist/src/neumf-bench.js [--engine tfjs|kernel|both] [--epochs 4] [--loss log|bpr] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import {
  DEFAULT_NEUMF_CONFIG, DEFAULT_NEUMF_TRAINING, evaluateRanking, initTfjsBackend, loadInteractions, ml100kSource,
  NeuMFCentralizedTrainer, Popularity, splitPerUser, type NeuMFEngine, type NeuMFLoss,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: DEFAULT_NEUMF_TRAINING.engine },
    epochs: { type: 'string', default: String(DEFAULT_NEUMF_TRAINING.epochs) },
    loss: { type: 'string', default: DEFAULT_NEUMF_CONFIG.loss },
    seed: { type: 'string', default: '0' },
  },
});
const engines: NeuMFEngine[] = args.engine === 'both' ? ['tfjs', 'kernel'] : [args.engine as NeuMFEngine];
const epochs = Number(args.epochs);
const seed = Number(args.seed);
const loss = args.loss as NeuMFLoss;

const backend = await initTfjsBackend();
const split = splitPerUser(loadInteractions(ml100kSource()), { seed });
const popularity = evaluateRanking(split, new Popularity(split).scoreUser);
const c = { ...DEFAULT_NEUMF_CONFIG, loss };
console.log(
  `NeuMF on ml-100k: ${split.numUsers} users, ${split.numItems} items; GMF ${c.gmfDim}, MLP ${2 * c.mlpEmbeddingDim}` +
    `→${c.mlpLayers.join('→')}, ${c.loss} loss, ${c.negatives} negatives, Adam lr ${c.learningRate}, batch ` +
    `${DEFAULT_NEUMF_TRAINING.batchSize}, ${epochs} epochs, seed ${seed}`,
);
console.log(`tfjs backend: ${backend.backend} (${backend.package}${backend.native ? ', native' : ', pure JS'}); ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
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
        `${Math.round(p.samples / ((used.user + used.system) / 1e6)).toLocaleString('en-US').padStart(17)}`,
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
