// One user's device in federated LightGCN. The user's interactions and ego embedding never leave it. The
// global model holds the item ego table and, per layer k, the item-side neighbour sums
// item_layer_k[i] = sum over users u of i of e_u^(k-1) / sqrt(|N_u| |N_i|), built from one round's devices:
// each device sends, for each of its items, |N_i| times its own term minus the current row, with row weight
// 1, so the per-row mean the edges and the cloud compute (FedAvg, server learning rate 1) is the sum over
// the item's users. The device computes its own layers e_u^k from the rows of its items; the item degrees
// |N_i| are a public aggregate (the counts popularity ranks by).

import type { DeviceTrainer, EvaluationSums, LocalTrainOptions, ModelParams, ModelUpdate, SparseRows } from '@strata/shared';
import { ConfigError, SeededRandom } from '@strata/shared';
import { addUserRanking } from '../evaluation/user-ranking.js';
import { scoreItems } from '../bpr-mf/bpr-mf-model.js';
import { sampleOutside } from '../bpr-mf/user-item-index.js';
import type { LIGHTGCN_ROUND_OPTIONS, LightGcnTaskOptions } from './lightgcn-task-options.js';
import { itemFinalEmbeddings, itemLayerName, ITEM_EMBEDDING, readItemTables, type ItemTables } from './lightgcn-model-tensors.js';

export class LightGcnDevice implements DeviceTrainer {
  readonly numSamples: number;
  /** The user's ego embedding e_u^0: private, kept across rounds. */
  readonly userEmbedding: Float32Array;
  private userAdagrad = 0;
  private readonly random: SeededRandom;
  /** 1 / sqrt(|N_u| |N_i|) for each training item. */
  private readonly norms: Float32Array;

  constructor(
    readonly user: number,
    /** Sorted training and held-out item lists. */
    readonly trainItems: Int32Array,
    readonly testItems: Int32Array,
    /** |N_i| of every item (public). */
    private readonly degrees: Float32Array,
    private readonly options: LightGcnTaskOptions,
    seedLabel: string,
  ) {
    this.numSamples = trainItems.length;
    const root = new SeededRandom(options.seed);
    const init = root.fork(`lightgcn:user:${seedLabel}`);
    this.userEmbedding = Float32Array.from({ length: options.dim }, () => init.normal() * options.initStd);
    this.random = root.fork(`lightgcn:device:${seedLabel}`);
    this.norms = Float32Array.from(trainItems, (i) => 1 / Math.sqrt(trainItems.length * Math.max(1, degrees[i])));
  }

  get numItems(): number {
    return this.degrees.length;
  }

  /**
   * `localSteps` local epochs of BPR (each positive once, `negatives` sampled negatives each) on the final
   * embeddings, the neighbour sums held fixed. Item rows train by SGD on local copies; the user's ego row by
   * row-wise Adagrad. The update: the touched item ego rows (row weight = touches) and, per layer, this
   * user's term for each of its items (row weight 1); weight = training positives; metrics.loss summed.
   */
  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const o = this.options;
    const d = o.dim;
    const tables = readItemTables(model, this.numItems, d, o.layers);
    const epochs = options.localSteps;
    if (!Number.isInteger(epochs) || epochs < 1) throw new ConfigError(`localSteps must be an integer >= 1, got ${epochs}`);
    const local = (key: (typeof LIGHTGCN_ROUND_OPTIONS)[number]): number => options.options[key] ?? o[key];
    const negatives = local('negatives');
    if (!Number.isInteger(negatives) || negatives < 1) throw new ConfigError(`negatives must be an integer >= 1, got ${negatives}`);
    const userLr = local('userLearningRate');
    const itemLr = local('itemLearningRate');
    const reg = local('reg');
    const positives = this.trainItems;
    const numPositives = positives.length;
    if (numPositives === 0) return { delta: new Map(), weight: 0, metrics: { loss: 0 } };
    const scale = 1 / (o.layers + 1);

    // Local copies of touched ego rows, and each touched item's fixed part (its layers 1..K, scaled).
    const localRow = new Int32Array(this.numItems).fill(-1);
    const maxRows = Math.min(this.numItems, numPositives * (1 + negatives * epochs));
    const rowItem = new Int32Array(maxRows);
    const touches = new Float32Array(maxRows);
    const ego = new Float32Array(maxRows * d);
    let numRows = 0;
    const touch = (item: number): number => {
      let r = localRow[item];
      if (r < 0) {
        r = numRows++;
        localRow[item] = r;
        rowItem[r] = item;
        ego.set(tables.ego.subarray(item * d, item * d + d), r * d);
      }
      touches[r]++;
      return r;
    };
    const itemFinal = (item: number, r: number, out: Float32Array): void => {
      for (let k = 0; k < d; k++) out[k] = ego[r * d + k];
      for (const layer of tables.layers) for (let k = 0; k < d; k++) out[k] += layer[item * d + k];
      for (let k = 0; k < d; k++) out[k] *= scale;
    };
    for (const item of positives) touch(item);
    touches.fill(0);
    const userLayers = this.userLayers(tables);
    // f_u = (e_u^0 + its layers 1..K) / (K + 1); within an epoch the layers are held at the model read.
    const fixedUser = new Float32Array(d);
    for (let l = 1; l <= o.layers; l++) for (let k = 0; k < d; k++) fixedUser[k] += userLayers[l][k];
    const userFinal = new Float32Array(d);
    const fi = new Float32Array(d);
    const fj = new Float32Array(d);
    const pathGrad = new Float32Array(d);
    const order = positives.slice();
    const u = this.userEmbedding;
    let loss = 0;
    for (let epoch = 0; epoch < epochs; epoch++) {
      this.random.shuffle(order);
      pathGrad.fill(0);
      for (let p = 0; p < numPositives; p++) {
        const i = order[p];
        const ri = touch(i);
        for (let n = 0; n < negatives; n++) {
          const j = sampleOutside(positives, 0, numPositives, this.numItems, this.random);
          const rj = touch(j);
          for (let k = 0; k < d; k++) userFinal[k] = (u[k] + fixedUser[k]) * scale;
          itemFinal(i, ri, fi);
          itemFinal(j, rj, fj);
          let x = 0;
          for (let k = 0; k < d; k++) x += userFinal[k] * (fi[k] - fj[k]);
          loss += x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
          const g = -scale / (1 + Math.exp(x));
          let squared = 0;
          for (let k = 0; k < d; k++) {
            const gu = g * (fi[k] - fj[k]);
            pathGrad[k] += gu;
            const gk = gu + reg * u[k];
            squared += gk * gk;
            ego[ri * d + k] -= itemLr * (g * userFinal[k] + reg * ego[ri * d + k]);
            ego[rj * d + k] -= itemLr * (-g * userFinal[k] + reg * ego[rj * d + k]);
          }
          this.userAdagrad += squared / d;
          const step = userLr / Math.sqrt(this.userAdagrad + 1e-10);
          for (let k = 0; k < d; k++) u[k] -= step * (g * (fi[k] - fj[k]) + reg * u[k]);
        }
      }
      // The user's layer 1 sums its items' ego rows: the epoch's gradient on f_u reaches them through it.
      for (let p = 0; p < numPositives; p++) {
        const r = localRow[positives[p]];
        const w = itemLr * this.norms[p];
        for (let k = 0; k < d; k++) ego[r * d + k] -= w * pathGrad[k];
      }
    }
    return {
      delta: this.delta(tables, rowItem, localRow, touches, ego, numRows),
      weight: numPositives,
      metrics: { loss: loss / (epochs * negatives) },
    };
  }

  /** Ranks every item outside the user's training set by final embeddings (count 0 without held-out items). */
  async evaluate(model: ModelParams): Promise<EvaluationSums> {
    const o = this.options;
    const tables = readItemTables(model, this.numItems, o.dim, o.layers);
    const userFinal = new Float32Array(o.dim);
    for (const layer of this.userLayers(tables)) for (let k = 0; k < o.dim; k++) userFinal[k] += layer[k] / (o.layers + 1);
    const scores = new Float32Array(this.numItems);
    scoreItems(userFinal, 0, itemFinalEmbeddings(tables), null, o.dim, scores);
    const sums: Record<string, number> = {};
    const counted = addUserRanking(scores, this.trainItems, this.testItems, o.ks, sums);
    return { count: counted ? 1 : 0, sums };
  }

  /** e_u^0 .. e_u^K: layer k sums the user's items' rows of layer k-1 (the ego table for k = 1), normalised. */
  private userLayers(tables: ItemTables): Float32Array[] {
    const d = this.options.dim;
    const out = [this.userEmbedding.slice()];
    for (let l = 1; l <= this.options.layers; l++) {
      const source = l === 1 ? tables.ego : tables.layers[l - 2];
      const layer = new Float32Array(d);
      this.trainItems.forEach((item, p) => {
        for (let k = 0; k < d; k++) layer[k] += this.norms[p] * source[item * d + k];
      });
      out.push(layer);
    }
    return out;
  }

  private delta(
    tables: ItemTables,
    rowItem: Int32Array,
    localRow: Int32Array,
    touches: Float32Array,
    ego: Float32Array,
    numRows: number,
  ): Map<string, SparseRows> {
    const d = this.options.dim;
    const byItem = Int32Array.from(rowItem.subarray(0, numRows)).sort();
    const values = new Float32Array(numRows * d);
    const rowWeights = new Float32Array(numRows);
    byItem.forEach((item, k) => {
      const r = localRow[item];
      for (let c = 0; c < d; c++) values[k * d + c] = ego[r * d + c] - tables.ego[item * d + c];
      rowWeights[k] = Math.max(1, touches[r]);
    });
    const shape = [this.numItems, d];
    const delta = new Map<string, SparseRows>([
      [ITEM_EMBEDDING, { kind: 'sparse', shape, rows: Uint32Array.from(byItem), values, rowWeights }],
    ]);
    // Layer k's term from this user is e_u^(k-1) of the model it read (the user's ego row as trained now).
    const userLayers = this.userLayers(tables);
    for (let l = 1; l <= this.options.layers; l++) {
      const current = tables.neighbourSums[l - 1];
      const terms = new Float32Array(this.numSamples * d);
      this.trainItems.forEach((item, p) => {
        const w = this.degrees[item] * this.norms[p];
        for (let k = 0; k < d; k++) terms[p * d + k] = w * userLayers[l - 1][k] - current[item * d + k];
      });
      delta.set(itemLayerName(l), {
        kind: 'sparse',
        shape,
        rows: Uint32Array.from(this.trainItems),
        values: terms,
        rowWeights: new Float32Array(this.numSamples).fill(1),
      });
    }
    return delta;
  }
}
