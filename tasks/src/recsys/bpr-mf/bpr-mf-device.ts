// One user's device in federated BPR-MF (federated collaborative filtering, Ammad-ud-din et al. 2019):
// it holds the user's interactions and embedding, which never leave it; it trains against the global item
// table and returns only the item rows it touched, plus `padItems` pseudo rows that hide which (item-padding.ts).

import type { EvaluationSums, LocalTrainOptions, ModelParams, ModelUpdate, SparseRows } from '@strata/shared';
import { ConfigError, SeededRandom } from '@strata/shared';
import { restorePrivateArrays, type DevicePrivateState, type RestorableDevice } from '../device-data/device-private-state.js';
import { addUserRanking, topKExcluding } from '../evaluation/user-ranking.js';
import { allocateRowState, BprKernel } from './bpr-kernel.js';
import { scoreItems } from './bpr-mf-model.js';
import { choosePseudoItems, paddingRandom, pseudoItemRows, type UniformIntegers } from './item-padding.js';
import type { BPR_MF_ROUND_OPTIONS, BprMfTaskOptions } from './bpr-mf-task-options.js';
import { sampleOutside } from './user-item-index.js';

export const ITEM_EMBEDDING = 'item_embedding';
export const ITEM_BIAS = 'item_bias';

export class BprMfDevice implements RestorableDevice {
  readonly numSamples: number;
  /** The user's embedding: private, kept across rounds. */
  readonly userEmbedding: Float32Array;
  private readonly userState: Float32Array | null;
  private readonly random: SeededRandom;
  private readonly paddingRandom: UniformIntegers;

  constructor(
    readonly user: number,
    /** Sorted training and held-out item lists. */
    readonly trainItems: Int32Array,
    readonly testItems: Int32Array,
    readonly numItems: number,
    private readonly options: BprMfTaskOptions,
    /** Stable id for seeding (the user's original id). */
    seedLabel: string,
  ) {
    this.numSamples = trainItems.length;
    const root = new SeededRandom(options.seed);
    const init = root.fork(`bpr-mf:user:${seedLabel}`);
    this.userEmbedding = Float32Array.from({ length: options.dim }, () => init.normal() * options.initStd);
    this.userState = allocateRowState(options.userOptimizer, 1);
    this.random = root.fork(`bpr-mf:device:${seedLabel}`);
    // Its own stream, so that padding leaves the training (and the real rows) exactly as without it.
    this.paddingRandom = paddingRandom(options.padRandom, root.fork(`bpr-mf:padding:${seedLabel}`));
  }

  /**
   * `localSteps` local epochs, each one pass over the user's training positives in random order with
   * `negatives` sampled negatives each. `model` is only read: touched item rows are copied first. The
   * update holds those rows' deltas (rows ascending; rowWeights = touches or 1), weight = number of
   * training positives, metrics.loss = the BPR loss summed over positives (averaged over epochs and
   * negatives, so loss / weight is the mean loss per triple). With `padItems` k, k more rows (of items not
   * touched; all of them when fewer are left) with row weight 1 and a pseudo delta (item-padding.ts).
   */
  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const { items, bias } = this.readModel(model);
    const d = this.options.dim;
    const epochs = options.localSteps;
    if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`localSteps must be an integer >= 1, got ${epochs}`);
    // The round's options win over the task's (a coordinator may change them between rounds).
    const local = (key: (typeof BPR_MF_ROUND_OPTIONS)[number]): number => options.options[key] ?? this.options[key];
    const negatives = local('negatives');
    if (!Number.isInteger(negatives) || negatives < 1) throw new ConfigError(`negatives must be an integer >= 1, got ${negatives}`);
    const positives = this.trainItems;
    const numPositives = positives.length;
    if (numPositives === 0) return { delta: new Map(), weight: 0, metrics: { loss: 0 } };

    // Local copies of the rows this round touches, numbered in first-touch order.
    const maxRows = Math.min(this.numItems, numPositives * (1 + negatives * epochs) + this.options.padItems);
    const localRow = new Int32Array(this.numItems).fill(-1);
    const rowItem = new Int32Array(maxRows);
    const touches = new Float32Array(maxRows);
    const localItems = new Float32Array(maxRows * d);
    const localBias = bias === null ? null : new Float32Array(maxRows);
    let numRows = 0;
    const touch = (item: number): number => {
      let r = localRow[item];
      if (r < 0) {
        r = numRows++;
        localRow[item] = r;
        rowItem[r] = item;
        localItems.set(items.subarray(item * d, item * d + d), r * d);
        if (localBias !== null && bias !== null) localBias[r] = bias[item];
      }
      touches[r]++;
      return r;
    };

    const hyper = {
      dim: d,
      userOptimizer: this.options.userOptimizer,
      userLearningRate: local('userLearningRate'),
      itemOptimizer: this.options.itemOptimizer,
      itemLearningRate: local('itemLearningRate'),
      reg: local('reg'),
    };
    const kernel = new BprKernel(
      {
        dim: d,
        users: this.userEmbedding,
        items: localItems,
        itemBias: localBias,
        userState: this.userState,
        itemState: allocateRowState(this.options.itemOptimizer, maxRows),
        biasState: localBias === null ? null : allocateRowState(this.options.itemOptimizer, maxRows),
      },
      hyper,
    );
    const order = positives.slice();
    // With padding, the user's embedding before every step: pseudo rows are computed against one of them.
    const padding = this.options.padItems > 0;
    const userSnapshots = new Float32Array(padding ? epochs * numPositives * negatives * d : 0);
    let step = 0;
    let loss = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      this.random.shuffle(order);
      for (let p = 0; p < numPositives; p++) {
        const i = touch(order[p]);
        for (let n = 0; n < negatives; n++) {
          const j = touch(sampleOutside(positives, 0, numPositives, this.numItems, this.random));
          if (padding) userSnapshots.set(this.userEmbedding, d * step++);
          loss += kernel.step(0, i, j);
        }
      }
    }

    // Pseudo rows take local row numbers from `firstPseudo` on; their deltas are kept apart, not as rows.
    const firstPseudo = numRows;
    let pseudo: ReturnType<typeof pseudoItemRows> | null = null;
    if (padding) {
      const chosen = choosePseudoItems(this.numItems, (item) => localRow[item] >= 0, this.options.padItems, this.paddingRandom);
      pseudo = pseudoItemRows(chosen, positives, userSnapshots, items, bias, hyper, this.options.padDelta, this.paddingRandom);
      for (const item of chosen) touch(item);
    }

    // Delta rows in ascending item order.
    const byItem = Int32Array.from(rowItem.subarray(0, numRows)).sort();
    const rows = Uint32Array.from(byItem);
    const values = new Float32Array(numRows * d);
    const rowWeights = new Float32Array(numRows);
    const biasValues = localBias === null ? null : new Float32Array(numRows);
    for (let k = 0; k < numRows; k++) {
      const item = byItem[k];
      const r = localRow[item];
      rowWeights[k] = this.options.rowWeights === 'count' ? touches[r] : 1;
      if (pseudo !== null && r >= firstPseudo) {
        const p = r - firstPseudo;
        values.set(pseudo.values.subarray(p * d, p * d + d), k * d);
        if (biasValues !== null && pseudo.biasValues !== null) biasValues[k] = pseudo.biasValues[p];
        continue;
      }
      for (let c = 0; c < d; c++) values[k * d + c] = localItems[r * d + c] - items[item * d + c];
      if (biasValues !== null && localBias !== null && bias !== null) biasValues[k] = localBias[r] - bias[item];
    }
    const delta = new Map<string, SparseRows>();
    delta.set(ITEM_EMBEDDING, { kind: 'sparse', shape: [this.numItems, d], rows, values, rowWeights });
    if (biasValues !== null) {
      delta.set(ITEM_BIAS, {
        kind: 'sparse',
        shape: [this.numItems],
        rows: rows.slice(),
        values: biasValues,
        rowWeights: rowWeights.slice(),
      });
    }
    return { delta, weight: numPositives, metrics: { loss: loss / (epochs * negatives) } };
  }

  /** The user's embedding and its optimizer state (copies): what a restarted device must keep. */
  privateState(): DevicePrivateState {
    return Object.fromEntries(Object.entries(this.privateArrays()).map(([name, values]) => [name, values.slice()]));
  }

  restorePrivateState(state: DevicePrivateState): void {
    restorePrivateArrays(`bpr-mf device ${this.user}`, this.privateArrays(), state);
  }

  private privateArrays(): DevicePrivateState {
    return this.userState ? { userEmbedding: this.userEmbedding, userOptimizer: this.userState } : { userEmbedding: this.userEmbedding };
  }

  /** Ranks every item outside the user's training set and scores the held-out items (count 0 without any). */
  async evaluate(model: ModelParams): Promise<EvaluationSums> {
    const sums: Record<string, number> = {};
    const counted = addUserRanking(this.scores(model), this.trainItems, this.testItems, this.options.ks, sums);
    return { count: counted ? 1 : 0, sums };
  }

  async topK(model: ModelParams, k: number): Promise<Int32Array> {
    return topKExcluding(this.scores(model), this.trainItems, k);
  }

  /** The user's score for every item under `model`. */
  private scores(model: ModelParams): Float32Array {
    const { items, bias } = this.readModel(model);
    const scores = new Float32Array(this.numItems);
    scoreItems(this.userEmbedding, 0, items, bias, this.options.dim, scores);
    return scores;
  }

  private readModel(model: ModelParams): { items: Float32Array; bias: Float32Array | null } {
    const table = model.get(ITEM_EMBEDDING);
    const d = this.options.dim;
    if (table?.shape.length !== 2 || table.shape[0] !== this.numItems || table.shape[1] !== d) {
      throw new ConfigError(
        `bpr-mf model needs ${ITEM_EMBEDDING} of shape [${this.numItems}, ${d}], got ${table ? `[${table.shape.join(', ')}]` : 'none'}`,
      );
    }
    if (!this.options.itemBias) return { items: table.values, bias: null };
    const bias = model.get(ITEM_BIAS);
    if (bias?.shape.length !== 1 || bias.shape[0] !== this.numItems) {
      throw new ConfigError(
        `bpr-mf model needs ${ITEM_BIAS} of shape [${this.numItems}], got ${bias ? `[${bias.shape.join(', ')}]` : 'none'}`,
      );
    }
    return { items: table.values, bias: bias.values };
  }
}
