// Centralized SASRec: every user's sequence windows in minibatches of `batchSize` windows, Adam on the dense weights
// and lazy Adam on the item rows a batch touched. The baseline the federated task is compared against.

import { SeededRandom } from '@strata/shared';
import type { SequenceSplit } from '../data/split-leave-one-out.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { AdamState, TFJS_ADAM, type AdamHyper } from '../neumf/adam-state.js';
import { NegativeSampler } from '../neumf/negative-sampler.js';
import { SasrecGradients, SasrecKernel } from './sasrec-kernel.js';
import { SasrecModel } from './sasrec-model.js';
import { resolveSasrecOptions, type SasrecOptions } from './sasrec-options.js';
import { initSasrecWeights, type SasrecShape } from './sasrec-params.js';
import { sampleNegatives, sequenceWindows } from './sasrec-sequence-samples.js';

export interface SasrecEpochProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Mean loss per position over the epoch. */
  readonly loss: number;
  readonly positions: number;
  readonly seconds: number;
  readonly positionsPerSecond: number;
  /** Held-out metrics on the epochs that evaluate. */
  readonly metrics?: Record<string, number>;
}

export class SasrecCentralizedTrainer {
  readonly options: SasrecOptions;
  readonly shape: SasrecShape;

  constructor(
    readonly split: SequenceSplit,
    options: Partial<SasrecOptions> | Readonly<Record<string, unknown>> = {},
    /** Evaluate every this many epochs (0: only after the last). */
    private readonly evaluateEvery = 0,
  ) {
    this.options = resolveSasrecOptions(options);
    const { dim, maxLength, blocks } = this.options;
    this.shape = { numItems: split.numItems, dim, maxLength, blocks };
  }

  /** Trains for `options.epochs` and returns the model; `onEpoch` sees every epoch's figures. */
  train(onEpoch?: (progress: SasrecEpochProgress) => void): SasrecModel {
    const o = this.options;
    const { split, shape } = this;
    const d = shape.dim;
    const random = new SeededRandom(o.seed);
    const weights = initSasrecWeights(shape, random.fork('sasrec:model'));
    const model = new SasrecModel(shape, weights, split.sequences);
    const kernel = new SasrecKernel(shape);
    const grads = new SasrecGradients(shape);
    const denseAdam = new AdamState(weights.dense.length);
    const itemAdam = new AdamState(weights.items.length);
    const hyper: AdamHyper = { ...TFJS_ADAM, learningRate: o.learningRate };
    const sampler = new NegativeSampler(split.numItems, split.train);
    const samples = split.sequences.flatMap((history, user) =>
      sequenceWindows(history, o.maxLength, o.windows).map((w) => ({ ...w, user })),
    );
    const order = Int32Array.from(samples.keys());
    const negatives = new Int32Array(o.maxLength);
    const shuffler = random.fork('sasrec:order');
    const noise = random.fork('sasrec:samples');
    let step = 0;
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const start = performance.now();
      shuffler.shuffle(order);
      let loss = 0;
      let positions = 0;
      for (let first = 0; first < order.length; first += o.batchSize) {
        const batch = order.subarray(first, first + o.batchSize);
        const count = batch.reduce((n, w) => n + samples[w].inputs.length, 0);
        for (const w of batch) {
          const { inputs, targets, user } = samples[w];
          const neg = sampleNegatives(sampler, user, negatives.subarray(0, inputs.length), noise);
          loss += kernel.accumulate(weights, grads, inputs, targets, neg, o.dropout, noise, 1 / count);
        }
        positions += count;
        step++;
        denseAdam.update(weights.dense, grads.dense, 0, weights.dense.length, step, hyper);
        for (const item of grads.touched) itemAdam.update(weights.items, grads.items, item * d, (item + 1) * d, step, hyper);
        grads.clear(d);
      }
      const seconds = (performance.now() - start) / 1000;
      const evaluate = epoch === o.epochs || (this.evaluateEvery > 0 && epoch % this.evaluateEvery === 0);
      onEpoch?.({
        epoch,
        epochs: o.epochs,
        loss: loss / Math.max(1, positions),
        positions,
        seconds,
        positionsPerSecond: positions / seconds,
        metrics: evaluate ? evaluateRanking(split, model.scoreUser, { ks: o.ks }) : undefined,
      });
    }
    return model;
  }
}
