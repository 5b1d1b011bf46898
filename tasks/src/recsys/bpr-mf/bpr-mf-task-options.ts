// Options of the federated BPR-MF task (recsys/bpr-mf), with the defaults chosen by a flat federated
// simulation on ml-100k (every user a device, one local epoch, FedAvg over sparse rows with server
// learning rate 1): Recall@20 0.293 at round 4, 0.318 at round 10, 0.349 at round 40 (centralized: 0.345).
// Measured alternatives at round 40: item lr 1: 0.339, 0.5: 0.322; fresh per-round row-wise Adagrad on
// item rows: 0.266; row weights 1 instead of touch counts: equal; two local epochs or SGD on the user:
// no better; item bias: no better; two negatives: 0.350 at twice the work; FedAdam (eta 0.01 / 0.03):
// 0.343 / 0.339; FedAvgM: 0.321; FedAvg server lr s with item lr l behaves as item lr s * l.

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';
import { BPR_OPTIMIZERS } from './bpr-kernel.js';
import { PAD_DELTAS, PAD_RANDOMS } from './item-padding.js';

const optimizer = z.enum(BPR_OPTIMIZERS as ['sgd', 'rowwise-adagrad']);

/** What `--task-option` can set for recsys/bpr-mf (the seed is the run's `--seed`). */
export const bprMfOptionsSchema = z.strictObject({
  dim: z.number().int().min(1).default(64).describe('embedding size d'),
  testFraction: z.number().gt(0).lt(1).default(0.2).describe("held-out fraction of each user's items"),
  initStd: z.number().min(0).default(0.05).describe('standard deviation of the item table and user embeddings at start'),
  itemBias: z.boolean().default(false).describe('learn an item_bias [items] tensor beside item_embedding'),
  reg: z.number().min(0).default(0.01).describe('L2 weight on the rows each triple touches'),
  negatives: z.number().int().min(1).default(1).describe('sampled negatives per training positive per local epoch'),
  userOptimizer: optimizer
    .default('rowwise-adagrad')
    .describe("the user's embedding stays on the device, so its optimizer state persists across rounds"),
  userLearningRate: z.number().positive().default(0.2).describe("step size of the user's embedding"),
  itemOptimizer: optimizer
    .default('sgd')
    .describe('item rows start from the global model every round: plain SGD aggregates better than per-round Adagrad'),
  // Large because the server takes the per-row mean of deltas: a row's step is one touch's step.
  itemLearningRate: z.number().positive().default(2).describe('step size of the item rows a device trains'),
  rowWeights: z
    .enum(['count', 'one'])
    .default('count')
    .describe("aggregation weight of a returned item row: 'count' = times the row was touched, 'one' = 1"),
  padItems: z
    .number()
    .int()
    .min(0)
    .default(0)
    .describe('pseudo items (untouched rows) added to every update so its row ids do not list the items trained on'),
  padDelta: z
    .enum(PAD_DELTAS)
    .default('zero-mean')
    .describe("a pseudo row's delta: a negative BPR step times a random sign ('zero-mean') or as is ('negative-gradient')"),
  padRandom: z
    .enum(PAD_RANDOMS)
    .default('crypto')
    .describe("where pseudo items are drawn from: 'crypto' (unpredictable) or 'seed' (reproducible, protects nothing)"),
  ks: z.array(z.number().int().min(1)).min(1).default([10, 20]).describe('cut-offs of the on-device ranking evaluation'),
});

export type BprMfTaskOptions = z.output<typeof bprMfOptionsSchema> & {
  /** Seeds the split, the item table, every user's embedding and every device's sampling. */
  readonly seed: number;
};

/** The options devices read from every training request (the rest are fixed when the task is made). */
export const BPR_MF_ROUND_OPTIONS = ['itemLearningRate', 'userLearningRate', 'reg', 'negatives'] as const;

export const DEFAULT_BPR_MF_TASK_OPTIONS: BprMfTaskOptions = { ...bprMfOptionsSchema.parse({}), seed: 0 };

/**
 * The defaults overridden by `options` (typed, or as a user gave them), validated; a bad or unknown option is
 * a ConfigError naming it and the allowed ones.
 */
export function resolveBprMfTaskOptions(options: Partial<BprMfTaskOptions> | Readonly<Record<string, unknown>> = {}): BprMfTaskOptions {
  const { seed = 0, ...rest } = options as { seed?: number };
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`recsys/bpr-mf: seed must be an integer >= 0, got ${seed}`);
  return { ...parseOptions('task recsys/bpr-mf', bprMfOptionsSchema, rest), seed };
}
