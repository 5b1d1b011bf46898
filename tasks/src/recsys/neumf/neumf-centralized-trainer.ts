// Centralized NeuMF: every user's interactions in one place, trained epoch by epoch (all positives with
// fresh negatives) and evaluated with the shared full-ranking protocol. The baseline federated NeuMF is
// measured against.

import { cloneModel, ConfigError, SeededRandom, type ModelParams } from '@strata/shared';
import type { UserSplit } from '../data/interactions.js';
import { evaluateRanking } from '../evaluation/ranking-evaluation.js';
import { resolveNeuMFConfig, type NeuMFConfig } from './neumf-config.js';
import type { NeuMFBatch } from './neumf-batch.js';
import { NegativeSampler } from './negative-sampler.js';
import { NeuMFKernel } from './neumf-kernel.js';
import { NeuMFKernelTrainer } from './neumf-kernel-trainer.js';
import { denseWeightsView, initNeuMFParams, itemTablesView, userTablesView } from './neumf-params.js';
import { NeuMFTfjsModel } from './neumf-tfjs-model.js';
import { TrainingSamples } from './training-samples.js';

/**
 * `tfjs`: NeuMFTfjsModel (tfjs ops and tf.train.adam; uses the native backend when initTfjsBackend found
 * one). `kernel`: the hand-written kernel with lazy Adam (same loss; 5× faster than tfjs on the pure-JS
 * backend: 84k vs 16k samples/s, see neumf-bench.ts).
 */
export type NeuMFEngine = 'tfjs' | 'kernel';

export interface NeuMFTrainingOptions {
  readonly seed: number;
  readonly config?: Partial<NeuMFConfig>;
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly engine?: NeuMFEngine;
  /** Evaluate (recall/ndcg/hit/mrr at `ks`) after every this many epochs; 0 evaluates only at the end. */
  readonly evaluateEvery?: number;
  readonly ks?: readonly number[];
}

/** 4 epochs: Recall@20 peaks there (0.318; epoch 5: 0.314, 6: 0.308 with the kernel engine). */
export const DEFAULT_NEUMF_TRAINING: Readonly<Required<Omit<NeuMFTrainingOptions, 'seed' | 'config'>>> = {
  epochs: 4,
  batchSize: 1024,
  engine: 'tfjs',
  evaluateEvery: 0,
  ks: [10, 20],
};

export interface NeuMFEpochProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** Mean training loss over the epoch's batches. */
  readonly loss: number;
  readonly samples: number;
  /** Training seconds of this epoch (sampling and evaluation excluded). */
  readonly seconds: number;
  readonly samplesPerSecond: number;
  /** Held-out metrics, on the epochs that evaluate. */
  readonly metrics?: Record<string, number>;
}

export interface NeuMFTrainingResult {
  readonly epochs: readonly NeuMFEpochProgress[];
  /** Held-out metrics of the final model. */
  readonly metrics: Record<string, number>;
  readonly trainSeconds: number;
  readonly samplesPerSecond: number;
}

/** The step function both engines provide. */
interface TrainingEngine {
  step(batch: NeuMFBatch): number;
  params(): ModelParams;
  dispose(): void;
}

export class NeuMFCentralizedTrainer {
  readonly config: NeuMFConfig;
  readonly epochs: number;
  readonly batchSize: number;
  readonly engineName: NeuMFEngine;
  private readonly evaluateEvery: number;
  private readonly ks: readonly number[];
  private readonly engine: TrainingEngine;
  private readonly sampler: NegativeSampler;
  private readonly positives: { users: Int32Array; items: Int32Array };
  private readonly rng: SeededRandom;

  constructor(
    readonly split: UserSplit,
    options: NeuMFTrainingOptions,
  ) {
    this.config = resolveNeuMFConfig(options.config);
    this.epochs = options.epochs ?? DEFAULT_NEUMF_TRAINING.epochs;
    this.batchSize = options.batchSize ?? DEFAULT_NEUMF_TRAINING.batchSize;
    this.engineName = options.engine ?? DEFAULT_NEUMF_TRAINING.engine;
    this.evaluateEvery = options.evaluateEvery ?? DEFAULT_NEUMF_TRAINING.evaluateEvery;
    this.ks = options.ks ?? DEFAULT_NEUMF_TRAINING.ks;
    if (!Number.isInteger(this.epochs) || this.epochs < 1)
      throw new ConfigError(`neumf epochs must be a positive integer, got ${this.epochs}`);
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1)
      throw new ConfigError(`neumf batchSize must be a positive integer, got ${this.batchSize}`);
    if (!Number.isInteger(this.evaluateEvery) || this.evaluateEvery < 0)
      throw new ConfigError(`neumf evaluateEvery must be an integer >= 0, got ${this.evaluateEvery}`);
    this.rng = new SeededRandom(options.seed).fork('neumf-centralized');
    const params = initNeuMFParams(
      this.config,
      { numUsers: split.numUsers, numItems: split.numItems, includeUsers: true },
      this.rng.fork('init'),
    );
    this.engine = createEngine(this.engineName, this.config, params);
    this.sampler = new NegativeSampler(split.numItems, split.train);
    this.positives = flattenPositives(split.train);
  }

  /**
   * Trains all epochs, calling `onEpoch` after each and `onBatches` every few batches within one (an epoch
   * takes about a minute on two cores); evaluates the final model.
   */
  train(
    onEpoch?: (progress: NeuMFEpochProgress) => void,
    onBatches?: (epoch: number, samplesDone: number, samples: number) => void,
  ): NeuMFTrainingResult {
    const history: NeuMFEpochProgress[] = [];
    let trainSeconds = 0;
    let samples = 0;
    for (let epoch = 1; epoch <= this.epochs; epoch++) {
      const epochSamples = new TrainingSamples(
        this.config.loss,
        this.positives,
        this.sampler,
        this.config.negatives,
        this.rng.fork(`epoch-${epoch}`),
      );
      const start = performance.now();
      let lossSum = 0;
      let batches = 0;
      for (const batch of epochSamples.batches(this.batchSize)) {
        lossSum += this.engine.step(batch);
        batches++;
        if (batches % 20 === 0) onBatches?.(epoch, Math.min(epochSamples.size, batches * this.batchSize), epochSamples.size);
      }
      const seconds = (performance.now() - start) / 1000;
      trainSeconds += seconds;
      samples += epochSamples.size;
      const evaluate = this.evaluateEvery > 0 && epoch % this.evaluateEvery === 0;
      const progress: NeuMFEpochProgress = {
        epoch,
        epochs: this.epochs,
        loss: lossSum / batches,
        samples: epochSamples.size,
        seconds,
        samplesPerSecond: epochSamples.size / seconds,
        ...(evaluate ? { metrics: this.evaluate() } : {}),
      };
      history.push(progress);
      onEpoch?.(progress);
    }
    const last = history[history.length - 1];
    return { epochs: history, metrics: last.metrics ?? this.evaluate(), trainSeconds, samplesPerSecond: samples / trainSeconds };
  }

  /** Held-out full-ranking metrics of the current model. */
  evaluate(): Record<string, number> {
    return evaluateNeuMF(this.config, this.engine.params(), this.split, this.ks);
  }

  /** A copy of the current model (user tables included). */
  params(): ModelParams {
    return this.engine.params();
  }

  dispose(): void {
    this.engine.dispose();
  }
}

/** Full-ranking metrics of a centralized model (one holding the user tables) on the split's test items. */
export function evaluateNeuMF(
  config: NeuMFConfig,
  params: ModelParams,
  split: UserSplit,
  ks: readonly number[] = [10, 20],
): Record<string, number> {
  const kernel = new NeuMFKernel(config, denseWeightsView(config, params));
  const users = userTablesView(params);
  const items = itemTablesView(params);
  return evaluateRanking(split, (user, out) => kernel.scoreAll(users, user, items, split.numItems, out), { ks });
}

function createEngine(name: NeuMFEngine, config: NeuMFConfig, params: ModelParams): TrainingEngine {
  if (name === 'tfjs') {
    const model = new NeuMFTfjsModel(config, params);
    return { step: (batch) => model.trainStep(batch), params: () => model.params(), dispose: () => model.dispose() };
  }
  if (name === 'kernel') {
    const trainer = new NeuMFKernelTrainer(
      config,
      {
        users: userTablesView(params),
        items: itemTablesView(params),
        dense: denseWeightsView(config, params),
      },
      { learningRate: config.learningRate },
    );
    return { step: (batch) => trainer.step(batch), params: () => cloneModel(params), dispose: () => undefined };
  }
  throw new ConfigError(`neumf engine must be 'tfjs' or 'kernel', got '${String(name)}'`);
}

function flattenPositives(train: readonly Int32Array[]): { users: Int32Array; items: Int32Array } {
  const n = train.reduce((s, items) => s + items.length, 0);
  const users = new Int32Array(n);
  const items = new Int32Array(n);
  let k = 0;
  train.forEach((list, u) => {
    for (const i of list) {
      users[k] = u;
      items[k++] = i;
    }
  });
  return { users, items };
}
