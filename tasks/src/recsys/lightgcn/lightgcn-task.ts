// recsys/lightgcn: federated LightGCN. Each device is one user; the global model is the item ego table and
// the item-side neighbour sums of each layer (see lightgcn-device.ts); users' ego embeddings stay on their
// devices, and so does the user-item graph: a device sends sums over its items, never which items are its.

import type { FederatedTask, ModelParams, TaskLimits } from '@strata/shared';
import { ConfigError, dense, SeededRandom } from '@strata/shared';
import type { Interactions, UserSplit } from '../data/interactions.js';
import { splitPerUser } from '../data/split-per-user.js';
import { recsysLimits } from '../evaluation/recsys-limits.js';
import { itemDegrees } from './lightgcn-graph.js';
import { LightGcnDevice } from './lightgcn-device.js';
import { itemLayerName, ITEM_EMBEDDING } from './lightgcn-model-tensors.js';
import { LIGHTGCN_ROUND_OPTIONS, resolveLightGcnTaskOptions, type LightGcnTaskOptions } from './lightgcn-task-options.js';

export class LightGcnTask implements FederatedTask {
  readonly numDevices: number;
  readonly degrees: Float32Array;

  constructor(
    readonly data: Interactions,
    readonly split: UserSplit,
    readonly options: LightGcnTaskOptions,
    readonly id: string = 'recsys/lightgcn',
  ) {
    this.numDevices = split.numUsers;
    this.degrees = itemDegrees(split);
  }

  /** The task on `data`, split per user with the seed and test fraction; `options` are validated. */
  static fromInteractions(data: Interactions, options: Readonly<Record<string, unknown>> = {}): LightGcnTask {
    const resolved = resolveLightGcnTaskOptions(options);
    return new LightGcnTask(data, splitPerUser(data, { seed: resolved.seed, testFraction: resolved.testFraction }), resolved);
  }

  describe(): Record<string, unknown> {
    const count = (lists: readonly Int32Array[]): number => lists.reduce((n, l) => n + l.length, 0);
    return {
      task: this.id,
      options: { ...this.options, ks: [...this.options.ks] },
      data: {
        source: this.data.source,
        numUsers: this.split.numUsers,
        numItems: this.split.numItems,
        numTrain: count(this.split.train),
        numTest: count(this.split.test),
      },
    };
  }

  /** `item_embedding` ~ normal(0, initStd) from the seed; `item_layer_k` zeros (no device has spoken yet). */
  initModel(): ModelParams {
    const { dim, initStd, seed, layers } = this.options;
    const random = new SeededRandom(seed).fork('lightgcn:items');
    const table = new Float32Array(this.split.numItems * dim);
    for (let k = 0; k < table.length; k++) table[k] = random.normal() * initStd;
    const model: ModelParams = new Map([[ITEM_EMBEDDING, dense([this.split.numItems, dim], table)]]);
    for (let l = 1; l <= layers; l++) model.set(itemLayerName(l), dense([this.split.numItems, dim]));
    return model;
  }

  createDevice(index: number): LightGcnDevice {
    if (!Number.isInteger(index) || index < 0 || index >= this.numDevices) {
      throw new ConfigError(`${this.id} device index ${index} is out of range [0, ${this.numDevices})`);
    }
    return new LightGcnDevice(index, this.split.train[index], this.split.test[index], this.degrees, this.options, this.data.userIds[index]);
  }

  /**
   * As BPR-MF: weight = training positives; an ego row is touched at most once per local epoch as a positive
   * and `negatives` times per positive as a negative; layer rows have weight 1; a device evaluates one user.
   */
  limits(localSteps: number): TaskLimits {
    return recsysLimits(this.split, localSteps, this.options.negatives, 'count', this.options.ks);
  }

  defaultOptions(): Record<string, number> {
    return Object.fromEntries(LIGHTGCN_ROUND_OPTIONS.map((key) => [key, this.options[key]]));
  }
}
