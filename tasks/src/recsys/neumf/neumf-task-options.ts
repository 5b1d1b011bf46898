// Options of the federated NeuMF task (recsys/neumf): the model (NeuMFConfig), the split, and how a device
// trains locally. Defaults chosen by a flat federated simulation on ml-100k (every user a device each
// round, one local epoch, FedAvg: dense deltas by weighted mean, item rows by per-row mean weighted by
// touches, server lr 1). Recall@20 by round: 5: 0.225, 10: 0.286, 15: 0.291, 20: 0.297, 25: 0.303,
// 30: 0.304 (centralized NeuMF, same model: 0.318; within 10% from round 11). Measured alternatives at
// round 10: dense/item/user lr 0.01/0.05/0.05: 0.266; 0.005/0.02/0.05: 0.196; 0.02/0.1/0.1: 0.278;
// two local epochs: 0.256 (at twice the work); keeping the user's Adam state across rounds: 0.281.

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';
import { neumfConfigSchema } from './neumf-config.js';

/** What `--task-option` can set for recsys/neumf (the seed is the run's `--seed`). */
export const neumfOptionsSchema = neumfConfigSchema.extend({
  testFraction: z.number().gt(0).lt(1).default(0.2).describe("held-out fraction of each user's items"),
  localBatchSize: z.number().int().min(1).default(32).describe('samples per local Adam step on a device'),
  userLearningRate: z.number().positive().default(0.05).describe("Adam step size of the user's private embeddings"),
  // Large because the server takes the per-row mean of the deltas: a row moves by about one device's steps.
  itemLearningRate: z.number().positive().default(0.2).describe('Adam step size of the item rows a device trains'),
  rowWeights: z
    .enum(['count', 'one'])
    .default('count')
    .describe("aggregation weight of a returned item row: 'count' = samples that touched it, 'one' = 1"),
  ks: z.array(z.number().int().min(1)).min(1).default([10, 20]).describe('cut-offs of the on-device ranking evaluation'),
});

export type NeuMFTaskOptions = z.output<typeof neumfOptionsSchema> & {
  /** Seeds the split, the global model, every user's embeddings and every device's sampling. */
  readonly seed: number;
};

/** The options devices read from every training request (the rest are fixed when the task is made). */
export const NEUMF_ROUND_OPTIONS = ['learningRate', 'itemLearningRate', 'userLearningRate', 'negatives', 'localBatchSize'] as const;

export const DEFAULT_NEUMF_TASK_OPTIONS: NeuMFTaskOptions = { ...neumfOptionsSchema.parse({}), seed: 0 };

/** The defaults overridden by `options` (undefined fields ignored), validated; a bad option names itself. */
export function resolveNeuMFTaskOptions(options: Partial<NeuMFTaskOptions> | Readonly<Record<string, unknown>> = {}): NeuMFTaskOptions {
  const { seed = 0, ...rest } = options as { seed?: number };
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`recsys/neumf: seed must be an integer >= 0, got ${seed}`);
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  return { ...parseOptions('task recsys/neumf', neumfOptionsSchema, defined), seed };
}
