// Options of the federated NeuMF task (recsys/neumf): the model (NeuMFConfig), the split, and how a device
// trains locally. Defaults chosen by a flat federated simulation on ml-100k (every user a device each
// round, one local epoch, FedAvg: dense deltas by weighted mean, item rows by per-row mean weighted by
// touches, server lr 1). Recall@20 by round: 5: 0.225, 10: 0.286, 15: 0.291, 20: 0.297, 25: 0.303,
// 30: 0.304 (centralized NeuMF, same model: 0.318; within 10% from round 11). Measured alternatives at
// round 10: dense/item/user lr 0.01/0.05/0.05: 0.266; 0.005/0.02/0.05: 0.196; 0.02/0.1/0.1: 0.278;
// two local epochs: 0.256 (at twice the work); keeping the user's Adam state across rounds: 0.281.

import { ConfigError } from '@strata/shared';
import { DEFAULT_NEUMF_CONFIG, resolveNeuMFConfig, type NeuMFConfig } from './neumf-config.js';

export interface NeuMFTaskOptions extends NeuMFConfig {
  /** Seeds the split, the global model, every user's embeddings and every device's sampling. */
  readonly seed: number;
  /** Held-out fraction of each user's items (splitPerUser). */
  readonly testFraction: number;
  /** Samples per local Adam step on a device. */
  readonly localBatchSize: number;
  /** Adam step size of the user's private embeddings (`learningRate` is the dense weights'). */
  readonly userLearningRate: number;
  /** Adam step size of the item rows a device trains. */
  readonly itemLearningRate: number;
  /** Aggregation weight of each returned item row: 'count' = samples that touched it, 'one' = 1. */
  readonly rowWeights: 'count' | 'one';
  /** Cut-offs of the on-device ranking evaluation. */
  readonly ks: readonly number[];
}

export const DEFAULT_NEUMF_TASK_OPTIONS: NeuMFTaskOptions = {
  ...DEFAULT_NEUMF_CONFIG,
  seed: 0,
  testFraction: 0.2,
  localBatchSize: 32,
  userLearningRate: 0.05,
  // Large because the server takes the per-row mean of the deltas: a row moves by about one device's steps.
  itemLearningRate: 0.2,
  rowWeights: 'count',
  ks: [10, 20],
};

export function resolveNeuMFTaskOptions(options: Partial<NeuMFTaskOptions> = {}): NeuMFTaskOptions {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<NeuMFTaskOptions>;
  const o: NeuMFTaskOptions = { ...DEFAULT_NEUMF_TASK_OPTIONS, ...defined };
  resolveNeuMFConfig(o);
  if (!Number.isInteger(o.seed) || o.seed < 0) throw new ConfigError(`neumf option seed must be an integer >= 0, got ${o.seed}`);
  if (!(o.testFraction > 0 && o.testFraction < 1)) throw new ConfigError(`neumf option testFraction must be in (0, 1), got ${o.testFraction}`);
  if (!Number.isInteger(o.localBatchSize) || o.localBatchSize < 1) {
    throw new ConfigError(`neumf option localBatchSize must be a positive integer, got ${o.localBatchSize}`);
  }
  for (const name of ['userLearningRate', 'itemLearningRate'] as const) {
    if (!(o[name] > 0)) throw new ConfigError(`neumf option ${name} must be > 0, got ${o[name]}`);
  }
  if (o.rowWeights !== 'count' && o.rowWeights !== 'one') {
    throw new ConfigError(`neumf option rowWeights must be 'count' or 'one', got ${JSON.stringify(o.rowWeights)}`);
  }
  if (o.ks.length === 0 || o.ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new ConfigError(`neumf option ks must be positive integers, got [${o.ks.join(', ')}]`);
  }
  return o;
}
