// `strata train recsys`: centralized BPR-MF on an interaction file (default ml-100k) with the same split and
// evaluation as the federated task; prints a table per epoch and writes a run record (mode centralized).

import { hostname, cpus } from 'node:os';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { newRunId, writeRunRecord, type RoundRecord, type RunRecord } from '@strata/shared';
import {
  CentralizedBprTrainer, Popularity, evaluateRanking, loadInteractions, splitPerUser, DEFAULT_CENTRALIZED_BPR_OPTIONS,
} from '@strata/tasks';
import { dataSourceFromFlags, dataSourceOptions, type DataFlags } from '../cli/data-flags.js';
import { ProgressBar } from '../cli/progress.js';
import { comparisonTable } from '../cli/round-table.js';
import { interactionSource } from '../task-registry.js';
import { writeRunReport } from '../report/index.js';

interface TrainRecsysFlags extends DataFlags {
  epochs: number;
  dim: number;
  lr: number;
  reg: number;
  threads?: number;
  seed: number;
  evalEvery: number;
  runsDir: string;
  report: boolean;
}

const int = (v: string): number => Number.parseInt(v, 10);
const d = DEFAULT_CENTRALIZED_BPR_OPTIONS;

export function register(train: Command): void {
  const command = train
    .command('recsys')
    .description('centralized BPR-MF (full-ranking Recall/NDCG/Hit/MRR @10/@20 on a seeded 80/20 per-user split)')
    .option('--epochs <n>', 'passes over the training interactions', int, d.epochs)
    .option('--dim <n>', 'embedding size', int, d.dim)
    .option('--lr <x>', 'learning rate', Number.parseFloat, d.learningRate)
    .option('--reg <x>', 'L2 regularisation', Number.parseFloat, d.reg)
    .option('--threads <n>', 'worker threads (default: one per core; 1 is deterministic)', int)
    .option('--seed <n>', 'random seed (split, initialisation, sampling)', int, 0)
    .option('--eval-every <n>', 'evaluate every n epochs (0: only at the end)', int, 5)
    .option('--runs-dir <dir>', 'where run records go', 'runs')
    .option('--no-report', 'do not write the HTML report');
  dataSourceOptions(command);
  command.action(async (flags: TrainRecsysFlags) => {
    const out = (line: string): void => void process.stdout.write(line + '\n');
    const started = performance.now();
    const data = loadInteractions(interactionSource(dataSourceFromFlags(flags)));
    const split = splitPerUser(data, { seed: flags.seed, testFraction: 0.2 });
    out(`centralized BPR-MF on ${data.source}: ${data.numUsers} users, ${data.numItems} items, ${data.users.length} interactions`);
    const trainer = new CentralizedBprTrainer(split, {
      epochs: flags.epochs, dim: flags.dim, learningRate: flags.lr, reg: flags.reg, seed: flags.seed,
      evaluateEvery: flags.evalEvery, ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    });
    const rounds: RoundRecord[] = [];
    const bar = new ProgressBar('epoch', 'epochs');
    bar.start(flags.epochs);
    const model = await trainer.train((p) => {
      bar.tick(`loss ${p.loss.toFixed(4)}`);
      rounds.push({ round: p.epoch, wallSeconds: p.seconds, bytes: { deviceEdge: 0, edgeCloud: 0 },
        metrics: { loss: p.loss, ...(p.metrics ?? {}) }, triplesPerSecond: p.triplesPerSecond });
      if (p.metrics) {
        bar.stop();
        out(`epoch ${p.epoch}: loss ${p.loss.toFixed(4)}, recall@20 ${p.metrics['recall@20'].toFixed(4)}, ` +
          `ndcg@20 ${p.metrics['ndcg@20'].toFixed(4)}, ${Math.round(p.triplesPerSecond).toLocaleString('en')} triples/s`);
        if (p.epoch < flags.epochs) bar.start(flags.epochs, '');
        bar.update(p.epoch);
      }
    });
    bar.stop();
    const metrics = evaluateRanking(split, model.scoreUser);
    const popularity = evaluateRanking(split, new Popularity(split).scoreUser);
    const wallSeconds = (performance.now() - started) / 1000;
    const record: RunRecord = {
      id: newRunId('recsys-bpr-mf-centralized'), task: 'recsys/bpr-mf', mode: 'centralized',
      startedAt: new Date(Date.now() - wallSeconds * 1000).toISOString(),
      config: { ...trainer.options, data: data.source, testFraction: 0.2 },
      environment: { node: process.version, host: hostname(), cpus: cpus().length, platform: process.platform },
      rounds, final: { metrics, wallSeconds }, baselines: { popularity },
    };
    const runDir = writeRunRecord(resolve(flags.runsDir), record);
    out(comparisonTable({ 'centralized BPR-MF': metrics, popularity }, ['recall@10', 'recall@20', 'ndcg@20', 'hit@20', 'mrr@20']));
    out(`wall time ${wallSeconds.toFixed(1)} s; run record ${runDir}/run.json`);
    if (flags.report) out(`report ${writeRunReport(runDir, record)}`);
  });
}
