// LIRD on MovieLens 100K: the user simulator's fidelity on held-out ratings, centralized training throughput
// (episodes and steps per second, and per CPU-second, which a shared machine disturbs much less), federated LIRD
// through the embedded runtime (every user a device playing its own episodes; device steps per second), and the
// cumulative list-wise reward table in the same simulator: LIRD central, LIRD federated, BPR-MF greedy, popularity.
// Figures, not pass/fail.
// Usage: node bench/dist/src/lird-bench.js [--epochs 1] [--rounds 4] [--server-lr 1] [--seed 0]

import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { runEmbedded } from '@strata/cli';
import { createLogger } from '@strata/runtime';
import { parseRunConfig } from '@strata/shared';
import { LIRD_ACTOR, LIRD_CRITIC, LirdCentralizedTrainer, LirdTask, loadInteractions, ml100kSource } from '@strata/tasks';

const { values: args } = parseArgs({
  options: {
    epochs: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '4' },
    'server-lr': { type: 'string', default: '1' },
    seed: { type: 'string', default: '0' },
  },
});
const seed = Number(args.seed);
const rounds = Number(args.rounds);
const task = await LirdTask.fromInteractions(loadInteractions(ml100kSource()), { seed, epochs: Number(args.epochs) });
const env = task.environment;
const o = env.options;
console.log(
  `LIRD on ml-100k: ${env.histories.numUsers} users, ${env.histories.numItems} items; K ${o.listSize}, T ${o.episodeLength}, N ${o.stateItems}, ` +
    `BPR-MF embeddings d ${o.embeddingDim}; ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
);
const fidelity = env.fidelity();
console.log(
  `simulator on ${fidelity.count} held-out ratings: RMSE ${fidelity.rmse.toFixed(3)} (user mean ${fidelity.userMeanRmse.toFixed(3)}, global mean ` +
    `${fidelity.globalMeanRmse.toFixed(3)}); rounded rating exact ${fidelity.accuracy.toFixed(3)}; positive or not ${fidelity.positiveAccuracy.toFixed(3)}`,
);

const cpuSecondsSince = (from: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e6;
};
let cpu = process.cpuUsage();
const weights = new LirdCentralizedTrainer(env).train((p) => {
  const cpuSeconds = cpuSecondsSince(cpu);
  console.log(
    `centralized epoch ${p.epoch}: exploring reward ${p.trainingReward.toFixed(3)}, critic loss ${p.criticLoss.toFixed(3)}, ` +
      `${(p.episodes / p.seconds).toFixed(1)} episodes/s (${Math.round(p.steps / p.seconds)} steps/s, ${Math.round(p.steps / cpuSeconds)} per CPU-s)`,
  );
  cpu = process.cpuUsage();
});
const central = env.meanReward(env.actorPolicy(weights));

const config = parseRunConfig({
  task: 'recsys/lird',
  seed,
  schedule: { rounds, evalEvery: 0 },
  strategy: { name: 'fedavg', options: { serverLr: Number(args['server-lr']) } },
  downlink: { dtype: 'float32', rowFraction: 1 },
});
let start = performance.now();
cpu = process.cpuUsage();
const record = await runEmbedded(config, task, createLogger('bench', 'silent'));
const seconds = (performance.now() - start) / 1000;
const steps = rounds * env.playable.length * o.episodeLength;
console.log(
  `federated (FedAvg, server lr ${args['server-lr']}): ${rounds} rounds of ${env.playable.length} devices, one episode each, in ${seconds.toFixed(1)} s: ${Math.round(steps / seconds)} device steps/s, ` +
    `${Math.round(steps / cpuSecondsSince(cpu))} per CPU-s (runtime, transfers and evaluation included)`,
);
const federated = record.final.metrics.reward;

start = performance.now();
const baselines = env.baselineRewards();
const untrained = task.initModel();
const initial = env.meanReward(
  env.actorPolicy({
    actor: untrained.get(LIRD_ACTOR)?.values ?? new Float32Array(),
    critic: untrained.get(LIRD_CRITIC)?.values ?? new Float32Array(),
  }),
);
console.log(`evaluation: ${env.playable.length} episodes per policy, ${((performance.now() - start) / 3000).toFixed(2)} s per policy`);
console.log('\ncumulative list-wise reward per episode (mean over users; the most possible is T × Σ Γ^(k-1)):');
for (const [name, reward] of Object.entries({
  'LIRD central': central,
  'LIRD federated': federated,
  'LIRD untrained (the state centroid)': initial,
  ...baselines,
})) {
  console.log(`  ${name.padEnd(36)} ${reward.toFixed(3)}`);
}
