// A Hogwild worker of the centralized BPR-MF trainer: runs epochs over its shard of the positives,
// updating the embedding tables that live in SharedArrayBuffers without locks (Niu et al. 2011: with
// sparse updates, lost writes are rare and do not hurt convergence).

import { parentPort, workerData } from 'node:worker_threads';
import { SeededRandom } from '@strata/shared';
import { BprKernel, type BprHyperparameters, type BprTables } from './bpr-kernel.js';
import { runEpochShard } from './bpr-epoch.js';
import { UserItemIndex } from './user-item-index.js';

export interface BprWorkerData {
  readonly tables: BprTables;
  readonly hyper: BprHyperparameters;
  readonly numItems: number;
  readonly offsets: Int32Array;
  readonly items: Int32Array;
  readonly pairUsers: Int32Array;
  readonly pairItems: Int32Array;
  readonly order: Int32Array;
  readonly negatives: number;
  readonly seed: number;
  readonly worker: number;
}

export interface BprWorkerReply {
  readonly loss: number;
  readonly triples: number;
}

if (parentPort !== null) {
  const port = parentPort;
  const data = workerData as BprWorkerData;
  const kernel = new BprKernel(data.tables, data.hyper);
  const index = new UserItemIndex(data.numItems, data.offsets, data.items);
  const random = new SeededRandom(data.seed).fork(`bpr-worker:${data.worker}`);
  const shard = { pairUsers: data.pairUsers, pairItems: data.pairItems, order: data.order };
  port.on('message', () => {
    const reply: BprWorkerReply = runEpochShard(kernel, index, shard, data.negatives, random);
    port.postMessage(reply);
  });
  port.postMessage('ready');
}
