// Centralized BPR-MF on MovieLens 100K (d = 64): training throughput in triples per second with 1 and 2
// worker threads (1 runs in the calling thread), and the held-out Recall@20 / NDCG@20 after the default
// epochs, beside the popularity baseline. Figures, not pass/fail. Wall-clock rates are noisy on a shared
// machine; triples per CPU-second (process CPU time, worker threads included) much less so, and times the
// thread count bounds what an idle machine with that many cores would do.
// Usage:
//   node bench/dist/src/bpr-bench.js [--threads 1,2] [--epochs 40] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import {
  CentralizedBprTrainer,
  DEFAULT_CENTRALIZED_BPR_OPTIONS,
  evaluateRanking,
  loadInteractions,
  ml100kSource,
  Popularity,
  splitPerUser,
  type BprEpochProgress,
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
if (!(epochs >= 3)) throw new Error(`--epochs must be at least 3, got ${args.epochs}`);
const seed = Number(args.seed);

const split = splitPerUser(loadInteractions(ml100kSource()), { seed });
const popularity = evaluateRanking(split, new Popularity(split).scoreUser);
const { optimizer, learningRate, reg, negatives, dim } = DEFAULT_CENTRALIZED_BPR_OPTIONS;
console.log(
  `BPR-MF on ml-100k: ${split.numUsers} users, ${split.numItems} items, d=${dim}, ${optimizer} lr=${learningRate} ` +
    `reg=${reg}, ${negatives} negative(s), ${epochs} epochs, seed ${seed}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);
console.log(`popularity: recall@20 ${popularity['recall@20'].toFixed(4)}, ndcg@20 ${popularity['ndcg@20'].toFixed(4)}`);
console.log('threads | median epoch triples/s | best epoch triples/s | triples per CPU-s | train s | recall@20 | ndcg@20');

for (const threads of threadCounts) {
  const progress: BprEpochProgress[] = [];
  const trainer = new CentralizedBprTrainer(split, { threads, epochs, seed });
  const start = performance.now();
  // CPU time of epochs 2 .. epochs-1: not worker start-up (module loading), nor the final evaluation.
  let cpuStart = process.cpuUsage();
  let cpuSeconds = 0;
  const model = await trainer.train((p) => {
    if (p.epoch === 1) cpuStart = process.cpuUsage();
    if (p.epoch === epochs - 1) {
      const cpu = process.cpuUsage(cpuStart);
      cpuSeconds = (cpu.user + cpu.system) / 1e6;
    }
    progress.push(p);
  });
  const seconds = (performance.now() - start) / 1000;
  const counted = progress.slice(1, -1).reduce((n, p) => n + p.triples, 0);
  const metrics = evaluateRanking(split, model.scoreUser);
  const rates = progress.map((p) => p.triplesPerSecond).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(
    `${String(threads).padStart(7)} | ${Math.round(median).toLocaleString('en-US').padStart(22)} | ` +
      `${Math.round(rates[rates.length - 1])
        .toLocaleString('en-US')
        .padStart(20)} | ` +
      `${Math.round(counted / cpuSeconds)
        .toLocaleString('en-US')
        .padStart(17)} | ${seconds.toFixed(2).padStart(7)} | ` +
      `${metrics['recall@20'].toFixed(4).padStart(9)} | ${metrics['ndcg@20'].toFixed(4)}`,
  );
}
