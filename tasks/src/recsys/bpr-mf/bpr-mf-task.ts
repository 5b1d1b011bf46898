// recsys/bpr-mf: federated BPR matrix factorisation. Each device is one user; the global model is only
// the item table (and item biases when enabled); each user's embedding stays on its device. Devices
// return the item rows they touched (SparseRows), which aggregate per row; devices evaluate themselves.

import type { FederatedTask, ModelParams, TaskLimits } from '@strata/shared';
import { ConfigError, dense, SeededRandom } from '@strata/shared';
import type { Interactions, UserSplit } from '../data/interactions.js';
import { splitPerUser } from '../data/split-per-user.js';
import { recsysLimits } from '../evaluation/recsys-limits.js';
import { BprMfDevice, ITEM_BIAS, ITEM_EMBEDDING } from './bpr-mf-device.js';
import { BPR_MF_ROUND_OPTIONS, resolveBprMfTaskOptions, type BprMfTaskOptions } from './bpr-mf-task-options.js';

export class BprMfTask implements FederatedTask {
  readonly id = 'recsys/bpr-mf';
  readonly numDevices: number;
  readonly options: BprMfTaskOptions;

  constructor(
    readonly data: Interactions,
    readonly split: UserSplit,
    options: Partial<BprMfTaskOptions> = {},
  ) {
    this.options = resolveBprMfTaskOptions(options);
    this.numDevices = split.numUsers;
  }

  /** The task on `data`, split per user with the task's seed and test fraction; `options` are validated. */
  static fromInteractions(data: Interactions, options: Partial<BprMfTaskOptions> | Readonly<Record<string, unknown>> = {}): BprMfTask {
    const resolved = resolveBprMfTaskOptions(options);
    return new BprMfTask(data, splitPerUser(data, { seed: resolved.seed, testFraction: resolved.testFraction }), resolved);
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
        numInteractions: this.data.users.length,
        numTrain: count(this.split.train),
        numTest: count(this.split.test),
        ...(this.data.skippedRows ? { skippedRows: this.data.skippedRows } : {}),
      },
    };
  }

  /** `item_embedding` [numItems, dim] ~ normal(0, initStd) from the seed; `item_bias` [numItems] zeros. */
  initModel(): ModelParams {
    const { dim, initStd, seed } = this.options;
    const random = new SeededRandom(seed).fork('bpr-mf:items');
    const table = new Float32Array(this.split.numItems * dim);
    for (let k = 0; k < table.length; k++) table[k] = random.normal() * initStd;
    const model: ModelParams = new Map([[ITEM_EMBEDDING, dense([this.split.numItems, dim], table)]]);
    if (this.options.itemBias) model.set(ITEM_BIAS, dense([this.split.numItems]));
    return model;
  }

  createDevice(index: number): BprMfDevice {
    if (!Number.isInteger(index) || index < 0 || index >= this.numDevices) {
      throw new ConfigError(`bpr-mf device index ${index} is out of range [0, ${this.numDevices})`);
    }
    return new BprMfDevice(
      index,
      this.split.train[index],
      this.split.test[index],
      this.split.numItems,
      this.options,
      this.data.userIds[index],
    );
  }

  /**
   * A device's weight is its training positives (at most the largest user's); an item row is touched at most
   * once per epoch as a positive and `negatives` times per positive as a negative; a device evaluates one user.
   */
  limits(localSteps: number): TaskLimits {
    return recsysLimits(this.split, localSteps, this.options.negatives, this.options.rowWeights, this.options.ks);
  }

  /** Options sent with every training request, which devices read (BPR_MF_ROUND_OPTIONS). */
  defaultOptions(): Record<string, number> {
    return Object.fromEntries(BPR_MF_ROUND_OPTIONS.map((key) => [key, this.options[key]]));
  }
}
