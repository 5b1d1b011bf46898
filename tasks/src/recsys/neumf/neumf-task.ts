// recsys/neumf: federated NeuMF. Each device is one user; the global model is the two item embedding
// tables and the MLP/output weights (tensor names in neumf-params.ts); each user's GMF and MLP embeddings
// stay on the device. Devices return the item rows they touched as SparseRows, which aggregate per row,
// and dense deltas of the MLP/output weights, which aggregate like any dense tensor (FedAvg, FedAdam,
// Krum, ...). Devices evaluate themselves (full ranking over the items outside their training set).

import type { FederatedTask, ModelParams, TaskLimits } from '@strata/shared';
import { ConfigError, SeededRandom } from '@strata/shared';
import type { Interactions, UserSplit } from '../data/interactions.js';
import { splitPerUser } from '../data/split-per-user.js';
import { recsysLimits } from '../evaluation/recsys-limits.js';
import { NeuMFDevice } from './neumf-device.js';
import { initNeuMFParams, neumfDenseTensors, GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING } from './neumf-params.js';
import { NEUMF_ROUND_OPTIONS, resolveNeuMFTaskOptions, type NeuMFTaskOptions } from './neumf-task-options.js';

export class NeuMFTask implements FederatedTask {
  readonly id = 'recsys/neumf';
  readonly numDevices: number;
  readonly options: NeuMFTaskOptions;

  constructor(
    readonly data: Interactions,
    readonly split: UserSplit,
    options: Partial<NeuMFTaskOptions> = {},
  ) {
    this.options = resolveNeuMFTaskOptions(options);
    this.numDevices = split.numUsers;
  }

  /** The task on `data`, split per user with the task's seed and test fraction. */
  static fromInteractions(data: Interactions, options: Partial<NeuMFTaskOptions> | Readonly<Record<string, unknown>> = {}): NeuMFTask {
    const resolved = resolveNeuMFTaskOptions(options);
    return new NeuMFTask(data, splitPerUser(data, { seed: resolved.seed, testFraction: resolved.testFraction }), resolved);
  }

  describe(): Record<string, unknown> {
    const count = (lists: readonly Int32Array[]): number => lists.reduce((n, l) => n + l.length, 0);
    return {
      task: this.id,
      options: { ...this.options, mlpLayers: [...this.options.mlpLayers], ks: [...this.options.ks] },
      // Devices train with the hand-written kernel (neumf-kernel.ts), not tfjs: see the note there.
      engine: 'kernel',
      tensors: {
        sparse: [GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING],
        dense: neumfDenseTensors(this.options).map((t) => t.name),
        private: ['gmf.user_embedding', 'mlp.user_embedding'],
      },
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

  /** The item tables and dense weights (no user tables), deterministic for the seed. */
  initModel(): ModelParams {
    return initNeuMFParams(
      this.options,
      { numUsers: this.split.numUsers, numItems: this.split.numItems, includeUsers: false },
      new SeededRandom(this.options.seed).fork('neumf:model'),
    );
  }

  createDevice(index: number): NeuMFDevice {
    if (!Number.isInteger(index) || index < 0 || index >= this.numDevices) {
      throw new ConfigError(`neumf device index ${index} is out of range [0, ${this.numDevices})`);
    }
    return new NeuMFDevice(
      index,
      this.split.train[index],
      this.split.test[index],
      this.split.numItems,
      this.options,
      this.data.userIds[index],
    );
  }

  /** As BPR-MF's: a device's weight is its positives, a row's weight the samples that touched it, one user each. */
  limits(localSteps: number): TaskLimits {
    return recsysLimits(this.split, localSteps, this.options.negatives, this.options.rowWeights, this.options.ks);
  }

  /** Options sent with every training request, which devices read (NEUMF_ROUND_OPTIONS). */
  defaultOptions(): Record<string, number> {
    return Object.fromEntries(NEUMF_ROUND_OPTIONS.map((key) => [key, this.options[key]]));
  }
}
