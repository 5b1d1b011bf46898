// One user's device in federated NeuMF. The user's GMF and MLP embeddings (and their Adam state) live
// here and never leave; each round the device trains against the global model and returns the item rows
// it touched (SparseRows of both item tables) and dense deltas of the MLP and output weights.

import type { DenseTensor, EvaluationSums, LocalTrainOptions, ModelParams, ModelUpdate, TensorValue } from '@strata/shared';
import { ConfigError, dense, SeededRandom } from '@strata/shared';
import { restorePrivateArrays, type DevicePrivateState, type RestorableDevice } from '../device-data/device-private-state.js';
import { addUserRanking } from '../evaluation/user-ranking.js';
import type { NeuMFConfig } from './neumf-config.js';
import { NegativeSampler } from './negative-sampler.js';
import { denseArrays, NeuMFKernel, type EmbeddingTables, type NeuMFDenseWeights } from './neumf-kernel.js';
import { NeuMFKernelTrainer } from './neumf-kernel-trainer.js';
import {
  GMF_ITEM_EMBEDDING,
  MLP_ITEM_EMBEDDING,
  denseWeightsView,
  initUserEmbeddings,
  itemTablesView,
  neumfDenseTensors,
} from './neumf-params.js';
import type { NEUMF_ROUND_OPTIONS, NeuMFTaskOptions } from './neumf-task-options.js';
import { TrainingSamples } from './training-samples.js';

export class NeuMFDevice implements RestorableDevice {
  readonly numSamples: number;
  /** The user's private embeddings, as one-row tables (row 0). */
  readonly user: EmbeddingTables;
  private readonly sampler: NegativeSampler;
  private readonly random: SeededRandom;

  constructor(
    readonly userIndex: number,
    /** Sorted training and held-out item lists. */
    readonly trainItems: Int32Array,
    readonly testItems: Int32Array,
    readonly numItems: number,
    private readonly options: NeuMFTaskOptions,
    /** Stable id for seeding (the user's original id). */
    seedLabel: string,
  ) {
    this.numSamples = trainItems.length;
    const root = new SeededRandom(options.seed);
    this.user = initUserEmbeddings(options, root.fork(`neumf:user:${seedLabel}`));
    this.sampler = new NegativeSampler(numItems, [trainItems]);
    this.random = root.fork(`neumf:device:${seedLabel}`);
  }

  /**
   * `localSteps` local epochs; each is one pass over the user's positives with `negatives` sampled
   * negatives each (as the configured loss's samples), shuffled, in Adam steps of `localBatchSize` samples.
   * `proximalMu` (from FedProx) adds its proximal term on the shared weights. `model` is only read: the
   * touched item rows and the dense weights are copied first. The update holds
   * those rows' deltas (rows ascending, rowWeights = samples touching the row, or 1) and every dense
   * tensor's delta; weight = number of training positives; metrics.loss = mean sample loss × weight.
   */
  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const config = this.options;
    const global = this.readModel(model);
    const epochs = options.localSteps;
    if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`localSteps must be an integer >= 1, got ${epochs}`);
    // The round's options win over the task's (a coordinator may change them between rounds).
    const local = (key: (typeof NEUMF_ROUND_OPTIONS)[number]): number => options.options[key] ?? config[key];
    const negatives = local('negatives');
    const batchSize = local('localBatchSize');
    if (!Number.isInteger(negatives) || negatives < 1) throw new ConfigError(`negatives must be an integer >= 1, got ${negatives}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError(`localBatchSize must be an integer >= 1, got ${batchSize}`);
    if (this.numSamples === 0) return { delta: new Map(), weight: 0, metrics: { loss: 0 } };

    const userRows = new Int32Array(this.numSamples);
    const epochSamples = Array.from(
      { length: epochs },
      () => new TrainingSamples(config.loss, { users: userRows, items: this.trainItems }, this.sampler, negatives, this.random),
    );
    // The touched items, ascending; a local table row per item, in that order.
    const touches = new Int32Array(this.numItems);
    for (const samples of epochSamples) for (const items of samples.allItems()) for (const i of items) touches[i]++;
    const rows: number[] = [];
    const localRow = new Int32Array(this.numItems).fill(-1);
    for (let i = 0; i < this.numItems; i++) {
      if (touches[i] > 0) {
        localRow[i] = rows.length;
        rows.push(i);
      }
    }
    const items = gatherRows(global.items, rows, config);
    const weights = copyDense(global.dense);
    const trainer = new NeuMFKernelTrainer(
      config,
      { users: this.user, items, dense: weights },
      {
        learningRate: local('learningRate'),
        userLearningRate: local('userLearningRate'),
        itemLearningRate: local('itemLearningRate'),
        proximalMu: options.options.proximalMu ?? 0,
      },
    );
    let lossSum = 0;
    let count = 0;
    for (const samples of epochSamples) {
      samples.remapItems((i) => localRow[i]);
      for (const batch of samples.batches(batchSize)) {
        lossSum += trainer.step(batch) * batch.users.length;
        count += batch.users.length;
      }
    }

    const delta = new Map<string, TensorValue>();
    const sortedRows = Uint32Array.from(rows);
    const rowWeights = Float32Array.from(rows, (i) => (config.rowWeights === 'count' ? touches[i] : 1));
    for (const [name, table, width] of [
      [GMF_ITEM_EMBEDDING, 'gmf', config.gmfDim],
      [MLP_ITEM_EMBEDDING, 'mlp', config.mlpEmbeddingDim],
    ] as const) {
      const values = items[table];
      const source = global.items[table];
      rows.forEach((item, r) => {
        for (let c = 0; c < width; c++) values[r * width + c] -= source[item * width + c];
      });
      delta.set(name, { kind: 'sparse', shape: [this.numItems, width], rows: sortedRows.slice(), values, rowWeights: rowWeights.slice() });
    }
    const after = denseArrays(weights);
    neumfDenseTensors(config).forEach(({ name }, k) => {
      const before = global.denseTensors[k];
      const values = new Float32Array(before.values.length);
      for (let j = 0; j < values.length; j++) values[j] = after[k][j] - before.values[j];
      delta.set(name, dense(before.shape, values));
    });
    return { delta, weight: this.numSamples, metrics: { loss: (lossSum / count) * this.numSamples } };
  }

  /** The user's GMF and MLP embeddings (copies): what a restarted device must keep (its Adam state lives one round). */
  privateState(): DevicePrivateState {
    return { gmf: this.user.gmf.slice(), mlp: this.user.mlp.slice() };
  }

  restorePrivateState(state: DevicePrivateState): void {
    restorePrivateArrays(`neumf device ${this.userIndex}`, { gmf: this.user.gmf, mlp: this.user.mlp }, state);
  }

  /** Ranks every item outside the user's training set and scores the held-out items (count 0 without any). */
  async evaluate(model: ModelParams): Promise<EvaluationSums> {
    const global = this.readModel(model);
    const scores = new Float32Array(this.numItems);
    new NeuMFKernel(this.options, global.dense).scoreAll(this.user, 0, global.items, this.numItems, scores);
    const sums: Record<string, number> = {};
    const counted = addUserRanking(scores, this.trainItems, this.testItems, this.options.ks, sums);
    return { count: counted ? 1 : 0, sums };
  }

  /** Zero-copy views of the global model, after checking every tensor's shape. */
  private readModel(model: ModelParams): { items: EmbeddingTables; dense: NeuMFDenseWeights; denseTensors: DenseTensor[] } {
    const config = this.options;
    const expect = (name: string, shape: number[]): DenseTensor => {
      const t = model.get(name);
      if (!t || t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
        throw new ConfigError(`neumf model needs ${name} of shape [${shape.join(', ')}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
      }
      return t;
    };
    expect(GMF_ITEM_EMBEDDING, [this.numItems, config.gmfDim]);
    expect(MLP_ITEM_EMBEDDING, [this.numItems, config.mlpEmbeddingDim]);
    const denseTensors = neumfDenseTensors(config).map(({ name, shape }) => expect(name, shape));
    return { items: itemTablesView(model), dense: denseWeightsView(config, model), denseTensors };
  }
}

function copyDense(w: NeuMFDenseWeights): NeuMFDenseWeights {
  return {
    kernels: w.kernels.map((k) => k.slice()),
    biases: w.biases.map((b) => b.slice()),
    outKernel: w.outKernel.slice(),
    outBias: w.outBias.slice(),
  };
}

function gatherRows(tables: EmbeddingTables, rows: readonly number[], config: NeuMFConfig): EmbeddingTables {
  const take = (table: Float32Array, width: number): Float32Array => {
    const out = new Float32Array(rows.length * width);
    rows.forEach((item, r) => out.set(table.subarray(item * width, (item + 1) * width), r * width));
    return out;
  };
  return { gmf: take(tables.gmf, config.gmfDim), mlp: take(tables.mlp, config.mlpEmbeddingDim) };
}
