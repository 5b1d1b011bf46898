// Options of the federated BPR-MF task (recsys/bpr-mf), with the defaults chosen by a flat federated
// simulation on ml-100k (every user a device, one local epoch, FedAvg over sparse rows with server
// learning rate 1): Recall@20 0.293 at round 4, 0.318 at round 10, 0.349 at round 40 (centralized: 0.345).
// Measured alternatives at round 40: item lr 1: 0.339, 0.5: 0.322; fresh per-round row-wise Adagrad on
// item rows: 0.266; row weights 1 instead of touch counts: equal; two local epochs or SGD on the user:
// no better; item bias: no better; two negatives: 0.350 at twice the work; FedAdam (eta 0.01 / 0.03):
// 0.343 / 0.339; FedAvgM: 0.321; FedAvg server lr s with item lr l behaves as item lr s * l.

import { ConfigError } from '@strata/shared';
import { checkOptimizer, type BprOptimizer } from './bpr-kernel.js';

export interface BprMfTaskOptions {
  /** Seeds the split, the item table, every user's embedding and every device's sampling. */
  readonly seed: number;
  /** Embedding size d. */
  readonly dim: number;
  /** Held-out fraction of each user's items (splitPerUser). */
  readonly testFraction: number;
  /** Standard deviation of the normal initialisation of the item table and the user embeddings. */
  readonly initStd: number;
  /** Whether the model has an `item_bias` [numItems] tensor beside `item_embedding`. */
  readonly itemBias: boolean;
  /** L2 weight on the rows each triple touches. */
  readonly reg: number;
  /** Sampled negatives (triples) per training positive per local epoch. */
  readonly negatives: number;
  /** The user's embedding and its optimizer state stay on the device, so its Adagrad state persists. */
  readonly userOptimizer: BprOptimizer;
  readonly userLearningRate: number;
  /**
   * Item rows start from the global model every round, so any optimizer state for them would start
   * fresh each round: plain SGD aggregates better than per-round Adagrad (see the task's notes).
   */
  readonly itemOptimizer: BprOptimizer;
  readonly itemLearningRate: number;
  /** Aggregation weight of each returned item row: 'count' = times the row was touched, 'one' = 1. */
  readonly rowWeights: 'count' | 'one';
  /** Cut-offs of the on-device ranking evaluation. */
  readonly ks: readonly number[];
}

export const DEFAULT_BPR_MF_TASK_OPTIONS: BprMfTaskOptions = {
  seed: 0,
  dim: 64,
  testFraction: 0.2,
  initStd: 0.05,
  itemBias: false,
  reg: 0.01,
  negatives: 1,
  userOptimizer: 'rowwise-adagrad',
  userLearningRate: 0.2,
  itemOptimizer: 'sgd',
  // Large because the server takes the per-row mean of deltas: a row's step is one touch's step.
  itemLearningRate: 2,
  rowWeights: 'count',
  ks: [10, 20],
};

export function resolveBprMfTaskOptions(options: Partial<BprMfTaskOptions> = {}): BprMfTaskOptions {
  const o: BprMfTaskOptions = { ...DEFAULT_BPR_MF_TASK_OPTIONS, ...options };
  const int = (name: keyof BprMfTaskOptions, min: number): void => {
    const v = o[name] as number;
    if (!Number.isInteger(v) || v < min) throw new ConfigError(`bpr-mf option ${name} must be an integer >= ${min}, got ${v}`);
  };
  const positive = (name: keyof BprMfTaskOptions): void => {
    const v = o[name] as number;
    if (!(v > 0)) throw new ConfigError(`bpr-mf option ${name} must be > 0, got ${v}`);
  };
  int('seed', 0);
  int('dim', 1);
  int('negatives', 1);
  positive('userLearningRate');
  positive('itemLearningRate');
  if (!(o.testFraction > 0 && o.testFraction < 1)) throw new ConfigError(`bpr-mf option testFraction must be in (0, 1), got ${o.testFraction}`);
  if (!(o.initStd >= 0)) throw new ConfigError(`bpr-mf option initStd must be >= 0, got ${o.initStd}`);
  if (!(o.reg >= 0)) throw new ConfigError(`bpr-mf option reg must be >= 0, got ${o.reg}`);
  checkOptimizer('bpr-mf option userOptimizer', o.userOptimizer);
  checkOptimizer('bpr-mf option itemOptimizer', o.itemOptimizer);
  if (o.rowWeights !== 'count' && o.rowWeights !== 'one') {
    throw new ConfigError(`bpr-mf option rowWeights must be 'count' or 'one', got ${JSON.stringify(o.rowWeights)}`);
  }
  return o;
}
