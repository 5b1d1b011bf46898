// Centralized BPR-MF on MovieLens 100K (d = 64): training throughput in triples per second with 1 and 2
// worker threads (1 runs in the calling thread), and the held-out Recall@20 / NDCG@20 after the default
// epochs, beside the popularity baseline. Figures, not pass/fail; on a shared machine they are noisy.
// Usage:
//   node bench/dist/src/bpr-bench.js [--threads 1,2] [--epochs 40] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import {
  CentralizedBprTrainer, DEFAULT_CENTRALIZED_BPR_OPTIONS, evaluateRanking, loadInteractions, ml100kSource,
  Popularity, splitPerUser, type BprEpochProgress,
} from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1,2' },
    epochs: { type: 'string', default: String(DEFAULT_CENTRALIZED_BPR_OPTIONS.epochs) },
    seed: { type: 'string', default: '0' },
  },
});
const threadCounts = args.threads.split(',').map(Number);
const epochs = Number(args.epochs);
const seed = Number(args.seed);

const split = splitPerUser(loadInteractions(ml100kSource()), { seed });
const popularity = evaluateRanking(split, new Popularity(split).scoreUser);
const { optimizer, learningRate, reg, negatives, dim } = DEFAULT_CENTRALIZED_BPR_OPTIONS;
console.log(`BPR-MF on ml-100k: ${split.numUsers} users, ${split.numItems} items, d=${dim}, ${optimizer} lr=${learningRate} ` +
  `reg=${reg}, ${negatives} negative(s), ${epochs} epochs, seed ${seed}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`);
console.log(`popularity: recall@20 ${popularity['recall@20'].toFixed(4)}, ndcg@20 ${popularity['ndcg@20'].toFixed(4)}`);
console.log('threads | median triples/s | best epoch triples/s | train s | recall@20 | ndcg@20');

for (const threads of threadCounts) {
  const progress: BprEpochProgress[] = [];
  const start = performance.now();
  const model = await new CentralizedBprTrainer(split, { threads, epochs, seed }).train((p) => progress.push(p));
  const seconds = (performance.now() - start) / 1000;
  const metrics = evaluateRanking(split, model.scoreUser);
  const rates = progress.map((p) => p.triplesPerSecond).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(
    `${String(threads).padStart(7)} | ${Math.round(median).toLocaleString('en-US').padStart(16)} | ` +
      `${Math.round(rates[rates.length - 1]).toLocaleString('en-US').padStart(20)} | ${seconds.toFixed(2).padStart(7)} | ` +
      `${metrics['recall@20'].toFixed(4).padStart(9)} | ${metrics['ndcg@20'].toFixed(4)}`,
  );
}
