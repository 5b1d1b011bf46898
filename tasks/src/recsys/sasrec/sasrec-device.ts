// One user's device in federated SASRec: it holds the user's time-ordered history, which never leaves it. Each
// round it trains the global model (item table, positions, blocks) on its own sequence by SGD and returns the
// item rows it touched (SparseRows) and dense deltas of every other tensor. It evaluates itself: its held-out
// item is the one that followed its history.

import type { DeviceTrainer, EvaluationSums, LocalTrainOptions, ModelParams, ModelUpdate, TensorValue } from '@strata/shared';
import { ConfigError, dense, SeededRandom } from '@strata/shared';
import { addUserRanking } from '../evaluation/user-ranking.js';
import { NegativeSampler } from '../neumf/negative-sampler.js';
import { SasrecGradients, SasrecKernel } from './sasrec-kernel.js';
import { recentWindow } from './sasrec-model.js';
import type { SASREC_ROUND_OPTIONS, SasrecOptions } from './sasrec-options.js';
import { SASREC_ITEM_EMBEDDING, type SasrecShape, type SasrecWeights } from './sasrec-params.js';
import { sampleNegatives, sequenceWindows, type SequenceSamples } from './sasrec-sequence-samples.js';

/**
 * The kernel and gradient buffers the devices of one task take turns with: a device's train and evaluate run
 * without awaiting, so devices in one thread never interleave, and 943 devices do not each hold a workspace.
 */
export interface SasrecWorkspace {
  readonly kernel: SasrecKernel;
  readonly grads: SasrecGradients;
}

export class SasrecDevice implements DeviceTrainer {
  /** Training positions: the transitions in the device's windows. */
  readonly numSamples: number;
  private readonly windows: SequenceSamples[];
  private readonly sampler: NegativeSampler;
  private readonly random: SeededRandom;

  constructor(
    readonly user: number,
    /** The user's training history, oldest first. */
    readonly history: Int32Array,
    /** Sorted training items and the held-out item. */
    readonly trainItems: Int32Array,
    readonly testItems: Int32Array,
    private readonly shape: SasrecShape,
    private readonly options: SasrecOptions,
    private readonly workspace: SasrecWorkspace,
    /** Stable id for seeding (the user's original id). */
    seedLabel: string,
  ) {
    this.windows = sequenceWindows(history, shape.maxLength, options.windows);
    this.numSamples = this.windows.reduce((n, w) => n + w.inputs.length, 0);
    this.sampler = new NegativeSampler(shape.numItems, [trainItems]);
    this.random = new SeededRandom(options.seed).fork(`sasrec:device:${seedLabel}`);
  }

  /**
   * `localSteps` SGD steps on the device's sequence windows, each with fresh negatives and dropout, on the mean
   * loss per position. `model` is only read. The update holds the touched item rows' deltas (rows ascending; rowWeights
   * = the steps that touched the row) and every dense tensor's delta; weight = positions; metrics.loss = mean
   * loss per position × weight.
   */
  async train(model: ModelParams, options: LocalTrainOptions): Promise<ModelUpdate> {
    const steps = options.localSteps;
    if (!Number.isInteger(steps) || steps < 1) throw new ConfigError(`localSteps must be an integer >= 1, got ${steps}`);
    // The round's options win over the task's (a coordinator may change them between rounds).
    const local = (key: (typeof SASREC_ROUND_OPTIONS)[number]): number => options.options[key] ?? this.options[key];
    const learningRate = local('deviceLearningRate');
    if (!(learningRate > 0)) throw new ConfigError(`deviceLearningRate must be > 0, got ${learningRate}`);
    const global = this.readModel(model);
    const n = this.numSamples;
    if (n === 0) return { delta: new Map(), weight: 0, metrics: { loss: 0 } };

    const { kernel, grads } = this.workspace;
    const d = this.shape.dim;
    const weights: SasrecWeights = { items: global.items.slice(), dense: global.dense.slice() };
    const touches = new Map<number, number>();
    const negatives = new Int32Array(this.shape.maxLength);
    let loss = 0;
    for (let step = 0; step < steps; step++) {
      grads.clear(d);
      for (const { inputs, targets } of this.windows) {
        const neg = sampleNegatives(this.sampler, 0, negatives.subarray(0, inputs.length), this.random);
        loss += kernel.accumulate(weights, grads, inputs, targets, neg, this.options.dropout, this.random, 1 / n);
      }
      for (let k = 0; k < weights.dense.length; k++) weights.dense[k] -= learningRate * grads.dense[k];
      for (const item of grads.touched) {
        touches.set(item, (touches.get(item) ?? 0) + 1);
        for (let c = item * d; c < (item + 1) * d; c++) weights.items[c] -= learningRate * grads.items[c];
      }
    }
    grads.clear(d);

    const rows = Uint32Array.from(touches.keys()).sort();
    const values = new Float32Array(rows.length * d);
    rows.forEach((item, r) => {
      for (let c = 0; c < d; c++) values[r * d + c] = weights.items[item * d + c] - global.items[item * d + c];
    });
    const delta = new Map<string, TensorValue>([
      [
        SASREC_ITEM_EMBEDDING,
        {
          kind: 'sparse',
          shape: [this.shape.numItems, d],
          rows,
          values,
          rowWeights: Float32Array.from(rows, (item) => touches.get(item) ?? 0),
        },
      ],
    ]);
    for (const slot of kernel.layout.slots) {
      const after = weights.dense.subarray(slot.offset, slot.offset + slot.size);
      const before = global.dense.subarray(slot.offset, slot.offset + slot.size);
      delta.set(
        slot.name,
        dense(
          slot.shape,
          Float32Array.from(after, (v, k) => v - before[k]),
        ),
      );
    }
    return { delta, weight: n, metrics: { loss: (loss / (n * steps)) * n } };
  }

  /** Ranks every item outside the user's training set after its history (count 0 without a held-out item). */
  async evaluate(model: ModelParams): Promise<EvaluationSums> {
    const window = recentWindow(this.history, this.shape.maxLength);
    if (this.testItems.length === 0 || window.length === 0) return { count: 0, sums: {} };
    const scores = new Float32Array(this.shape.numItems);
    this.workspace.kernel.scoreAll(this.readModel(model), window, scores);
    const sums: Record<string, number> = {};
    const counted = addUserRanking(scores, this.trainItems, this.testItems, this.options.ks, sums);
    return { count: counted ? 1 : 0, sums };
  }

  /** The item table (a view) and the dense tensors packed in the kernel's layout (a copy), shapes checked. */
  private readModel(model: ModelParams): SasrecWeights {
    const expect = (name: string, shape: readonly number[]): Float32Array => {
      const t = model.get(name);
      if (!t || t.shape.length !== shape.length || t.shape.some((v, k) => v !== shape[k])) {
        throw new ConfigError(`sasrec model needs ${name} of shape [${shape.join(', ')}], got ${t ? `[${t.shape.join(', ')}]` : 'none'}`);
      }
      return t.values;
    };
    const layout = this.workspace.kernel.layout;
    const packed = new Float32Array(layout.size);
    for (const slot of layout.slots) packed.set(expect(slot.name, slot.shape), slot.offset);
    return { items: expect(SASREC_ITEM_EMBEDDING, [this.shape.numItems, this.shape.dim]), dense: packed };
  }
}

/** A workspace for the devices of a task of this shape. */
export function sasrecWorkspace(shape: SasrecShape): SasrecWorkspace {
  return { kernel: new SasrecKernel(shape), grads: new SasrecGradients(shape) };
}
