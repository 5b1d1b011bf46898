// Options of SASRec (recsys/sasrec): the model's shape (Kang & McAuley 2018's: d 50, 2 blocks, one head, dropout
// 0.2, with a window of 50 for ml-100k's histories), its centralized training, and the federated device's local
// step. Centralized defaults measured on ml-100k (seed 0, Hit@10 / NDCG@10 after 30 epochs): batch 32 with lr
// 0.004 0.120 / 0.060; with lr 0.002 0.109 / 0.056; batch 94 with lr 0.008 0.112 / 0.058 (0.116 / 0.060 at
// epoch 20), with lr 0.003 0.085 / 0.037 at epoch 15; the paper's batch 128 with lr 0.001 learns about four times
// slower per epoch. A window of 200 reached 0.083 at epoch 10 against 0.077 for 50, at about twice the cost per
// epoch; every window of each history (windows=all) 0.102 / 0.045 at epoch 10, at 2.3 times the cost per epoch.

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';

/** What `--task-option` can set for recsys/sasrec (the seed is the run's `--seed`). */
export const sasrecOptionsSchema = z.strictObject({
  dim: z.number().int().min(2).default(50).describe('embedding and hidden size d'),
  maxLength: z.number().int().min(2).default(50).describe('the most recent items of a history the model reads'),
  blocks: z.number().int().min(1).default(2).describe('self-attention blocks'),
  windows: z
    .enum(['latest', 'all'])
    .default('latest')
    .describe("train on each history's latest window only (the paper), or cut all of it into windows"),
  dropout: z.number().min(0).lt(1).default(0.2).describe('dropout rate on the embeddings and each residual branch'),
  learningRate: z.number().positive().default(0.004).describe('Adam step size of centralized training'),
  batchSize: z.number().int().min(1).default(32).describe('sequence windows per Adam step in centralized training'),
  epochs: z.number().int().min(1).default(30).describe('passes over every sequence in centralized training'),
  deviceLearningRate: z
    .number()
    .positive()
    .default(1)
    .describe("a device's SGD step on its own sequence (1: the update is minus the gradient, for a server optimizer)"),
  ks: z.array(z.number().int().min(1)).min(1).default([10, 20]).describe('cut-offs of the ranking evaluation'),
});

export type SasrecOptions = z.output<typeof sasrecOptionsSchema> & {
  /** Seeds the parameters, the dropout masks and the sampled negatives. */
  readonly seed: number;
};

/** The options devices read from every training request. */
export const SASREC_ROUND_OPTIONS = ['deviceLearningRate'] as const;

/** The defaults overridden by `options`, validated; a bad or unknown option is a ConfigError naming it. */
export function resolveSasrecOptions(options: Partial<SasrecOptions> | Readonly<Record<string, unknown>> = {}): SasrecOptions {
  const { seed = 0, ...rest } = options as { seed?: number };
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`recsys/sasrec: seed must be an integer >= 0, got ${seed}`);
  return { ...parseOptions('task recsys/sasrec', sasrecOptionsSchema, rest), seed };
}
