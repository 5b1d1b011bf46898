// Centralized BPR-MF: trains user and item embeddings on every user's training positives, in the calling
// thread or Hogwild-style over worker_threads sharing the tables. The baseline the federated task is
// compared against, and the reference for throughput.

import { Worker } from 'node:worker_threads';
import { SeededRandom } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { allocateRowState, BprKernel, type BprHyperparameters, type BprTables } from './bpr-kernel.js';
import { runEpochShard, type EpochShard } from './bpr-epoch.js';
import { BprMfModel } from './bpr-mf-model.js';
import type { BprWorkerData, BprWorkerReply } from './bpr-worker.js';
import { resolveCentralizedBprOptions, type CentralizedBprOptions } from './centralized-bpr-options.js';
import { UserItemIndex } from './user-item-index.js';

export interface BprEpochProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Mean BPR loss per triple over the epoch. */
  readonly loss: number;
  readonly triples: number;
  readonly seconds: number;
  readonly triplesPerSecond: number;
  /** Held-out metrics (recall@20, ...) on the epochs that evaluate. */
  readonly metrics?: Record<string, number>;
}

export class CentralizedBprTrainer {
  readonly options: CentralizedBprOptions;

  constructor(
    readonly split: UserSplit,
    options: Partial<CentralizedBprOptions> = {},
  ) {
    this.options = resolveCentralizedBprOptions(options);
  }

  /** Trains for `options.epochs` and returns the model; `onEpoch` sees every epoch's figures. */
  async train(onEpoch?: (progress: BprEpochProgress) => void): Promise<BprMfModel> {
    const o = this.options;
    const { numUsers, numItems } = this.split;
    const tables = allocateTables(numUsers, numItems, o);
    const hyper: BprHyperparameters = {
      userOptimizer: o.optimizer,
      userLearningRate: o.learningRate,
      itemOptimizer: o.optimizer,
      itemLearningRate: o.learningRate,
      reg: o.reg,
    };
    const index = UserItemIndex.fromSplit(this.split);
    const numPairs = index.offsets[numUsers];
    const pairUsers = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, numPairs)));
    for (let u = 0; u < numUsers; u++) pairUsers.fill(u, index.offsets[u], index.offsets[u + 1]);
    const pairItems = index.items;
    const positions = new SeededRandom(o.seed).fork('bpr-shards').shuffle(Int32Array.from({ length: numPairs }, (_, p) => p));
    const shardOf = (w: number): Int32Array =>
      positions.slice(Math.floor((w * numPairs) / o.threads), Math.floor(((w + 1) * numPairs) / o.threads));

    const runner =
      o.threads === 1
        ? inThreadRunner(new BprKernel(tables, hyper), index, { pairUsers, pairItems, order: shardOf(0) }, o)
        : await workerRunner(o.threads, (worker) => ({
            tables,
            hyper,
            numItems,
            offsets: index.offsets,
            items: index.items,
            pairUsers,
            pairItems,
            order: shardOf(worker),
            negatives: o.negatives,
            seed: o.seed,
            worker,
          }));
    const model = new BprMfModel(numUsers, numItems, o.dim, tables.users, tables.items, tables.itemBias);
    try {
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        const start = performance.now();
        const { loss, triples } = await runner.epoch();
        const seconds = (performance.now() - start) / 1000;
        const evaluate = epoch === o.epochs || (o.evaluateEvery > 0 && epoch % o.evaluateEvery === 0);
        onEpoch?.({
          epoch,
          epochs: o.epochs,
          loss: loss / Math.max(1, triples),
          triples,
          seconds,
          triplesPerSecond: triples / seconds,
          metrics: evaluate ? evaluateRanking(this.split, model.scoreUser) : undefined,
        });
      }
    } finally {
      await runner.close();
    }
    return model;
  }
}

interface EpochRunner {
  epoch(): Promise<BprWorkerReply>;
  close(): Promise<void>;
}

function inThreadRunner(kernel: BprKernel, index: UserItemIndex, shard: EpochShard, o: CentralizedBprOptions): EpochRunner {
  const random = new SeededRandom(o.seed).fork('bpr-worker:0');
  return {
    async epoch() {
      // Let the event loop breathe between epochs (progress bars, signals).
      await new Promise((resolve) => setImmediate(resolve));
      return runEpochShard(kernel, index, shard, o.negatives, random);
    },
    async close() {},
  };
}

async function workerRunner(threads: number, dataFor: (worker: number) => BprWorkerData): Promise<EpochRunner> {
  const workers = Array.from(
    { length: threads },
    (_, w) => new Worker(new URL('./bpr-worker.js', import.meta.url), { workerData: dataFor(w) }),
  );
  const reply = <T>(worker: Worker, request?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => {
        worker.off('message', onMessage);
        reject(err);
      };
      const onMessage = (message: T): void => {
        worker.off('error', onError);
        resolve(message);
      };
      worker.once('message', onMessage);
      worker.once('error', onError);
      if (request !== undefined) worker.postMessage(request);
    });
  // Workers announce themselves once loaded, so the first epoch's timing excludes their start-up.
  try {
    await Promise.all(workers.map((w) => reply<'ready'>(w)));
  } catch (err) {
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  return {
    async epoch() {
      const replies = await Promise.all(workers.map((w) => reply<BprWorkerReply>(w, 'epoch')));
      return {
        loss: replies.reduce((a, r) => a + r.loss, 0),
        triples: replies.reduce((a, r) => a + r.triples, 0),
      };
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/** Embedding tables in SharedArrayBuffers, normal(0, initStd) from the seed; zero optimizer state and biases. */
function allocateTables(numUsers: number, numItems: number, o: CentralizedBprOptions): BprTables {
  const shared = (n: number): Float32Array => new Float32Array(new SharedArrayBuffer(4 * Math.max(1, n)));
  const d = o.dim;
  const users = shared(numUsers * d);
  const items = shared(numItems * d);
  const random = new SeededRandom(o.seed).fork('bpr-init');
  for (let k = 0; k < users.length; k++) users[k] = random.normal() * o.initStd;
  for (let k = 0; k < items.length; k++) items[k] = random.normal() * o.initStd;
  return {
    dim: d,
    users,
    items,
    itemBias: o.itemBias ? shared(numItems) : null,
    userState: allocateRowState(o.optimizer, numUsers, shared),
    itemState: allocateRowState(o.optimizer, numItems, shared),
    biasState: o.itemBias ? allocateRowState(o.optimizer, numItems, shared) : null,
  };
}
