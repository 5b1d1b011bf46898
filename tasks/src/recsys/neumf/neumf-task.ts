// recsys/neumf: federated NeuMF. Each device is one user; the global model is the two item embedding
// tables and the MLP/output weights (tensor names in neumf-params.ts); each user's GMF and MLP embeddings
// stay on the device. Devices return the item rows they touched as SparseRows, which aggregate per row,
// and dense deltas of the MLP/output weights, which aggregate like any dense tensor (FedAvg, FedAdam,
// Krum, ...). Devices evaluate themselves (full ranking over the items outside their training set).

import type { FederatedTask, ModelParams } from '@strata/shared';
import { ConfigError, SeededRandom } from '@strata/shared';
import type { InteractionSource } from '../data/interaction-source.js';
import type { Interactions, UserSplit } from '../data/interactions.js';
import { loadInteractions } from '../data/load-interactions.js';
import { splitPerUser } from '../data/split-per-user.js';
import { NeuMFDevice } from './neumf-device.js';
import { initNeuMFParams, neumfDenseTensors, GMF_ITEM_EMBEDDING, MLP_ITEM_EMBEDDING } from './neumf-params.js';
import { resolveNeuMFTaskOptions, type NeuMFTaskOptions } from './neumf-task-options.js';

export class NeuMFTask implements FederatedTask {
  readonly id = 'recsys/neumf';
  readonly numDevices: number;
  readonly options: NeuMFTaskOptions;

  constructor(readonly data: Interactions, readonly split: UserSplit, options: Partial<NeuMFTaskOptions> = {}) {
    this.options = resolveNeuMFTaskOptions(options);
    this.numDevices = split.numUsers;
  }

  /** The task on `data`, split per user with the task's seed and test fraction. */
  static fromInteractions(data: Interactions, options: Partial<NeuMFTaskOptions> = {}): NeuMFTask {
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
    return new NeuMFDevice(index, this.split.train[index], this.split.test[index], this.split.numItems, this.options, this.data.userIds[index]);
  }

  /**
   * Options sent with every training request, which devices read (NEUMF_LOCAL_OPTIONS): learning_rate
   * (dense weights), item_learning_rate, user_learning_rate, negatives, batch_size; local_steps documents
   * the local epochs per round the defaults were tuned with.
   */
  defaultOptions(): Record<string, number> {
    const o = this.options;
    return {
      learning_rate: o.learningRate,
      item_learning_rate: o.itemLearningRate,
      user_learning_rate: o.userLearningRate,
      negatives: o.negatives,
      batch_size: o.localBatchSize,
      local_steps: 1,
    };
  }
}

/** What the CLI passes: where the interactions come from, and any NeuMFTaskOptions to override. */
export interface CreateNeuMFTaskOptions extends Partial<NeuMFTaskOptions> {
  readonly data: InteractionSource;
}

/**
 * The federated NeuMF task on the interactions at `data` (e.g. ml100kSource()). Every other field is
 * optional and defaults as in DEFAULT_NEUMF_TASK_OPTIONS: seed, testFraction, gmfDim, mlpEmbeddingDim,
 * mlpLayers, loss ('log' | 'bpr'), negatives, learningRate (dense), itemLearningRate, userLearningRate,
 * l2, initStd, localBatchSize, rowWeights ('count' | 'one'), ks.
 */
export function createNeuMFTask(options: CreateNeuMFTaskOptions): NeuMFTask {
  const { data, ...rest } = options;
  return NeuMFTask.fromInteractions(loadInteractions(data), rest);
}
