// Options of LightGCN: the federated task (recsys/lightgcn) and the centralized trainer, one schema each.
// Defaults chosen by measurement on ml-100k (80/20 split per user, seed 0); see docs/decisions.md (issue 22).

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';

const dim = z.number().int().min(1).default(64).describe('embedding size d');
const layers = z.number().int().min(1).max(4).default(2).describe('propagation layers K (the final embedding averages layers 0..K)');
const ks = z.array(z.number().int().min(1)).min(1).default([10, 20]).describe('cut-offs of the ranking evaluation');

/** What `--task-option` can set for recsys/lightgcn (the seed is the run's `--seed`). */
export const lightGcnOptionsSchema = z.strictObject({
  dim,
  layers,
  testFraction: z.number().gt(0).lt(1).default(0.2).describe("held-out fraction of each user's items"),
  initStd: z.number().min(0).default(0.1).describe('standard deviation of the item table and user embeddings at start'),
  reg: z.number().min(0).default(0.0001).describe('L2 weight on the ego rows each triple touches'),
  negatives: z.number().int().min(1).default(1).describe('sampled negatives per training positive per local epoch'),
  userLearningRate: z.number().positive().default(0.2).describe("step size (row-wise Adagrad) of the user's private embedding"),
  itemLearningRate: z.number().positive().default(4).describe('SGD step size of the item rows a device trains'),
  ks,
  centralizedEpochs: z.number().int().min(1).default(90).describe('epochs of the centralized baseline'),
});

export type LightGcnTaskOptions = z.output<typeof lightGcnOptionsSchema> & { readonly seed: number };

/** The options devices read from every training request. */
export const LIGHTGCN_ROUND_OPTIONS = ['itemLearningRate', 'userLearningRate', 'reg', 'negatives'] as const;

/** The options with the defaults, validated (a bad or unknown one is a ConfigError naming it). */
export function resolveLightGcnTaskOptions(options: Readonly<Record<string, unknown>> = {}): LightGcnTaskOptions {
  const { seed = 0, ...rest } = options as { seed?: number };
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`recsys/lightgcn: seed must be an integer >= 0, got ${seed}`);
  return { ...parseOptions('task recsys/lightgcn', lightGcnOptionsSchema, rest), seed };
}

/** The centralized LightGCN trainer's options (`strata train recsys --model lightgcn`). */
export const centralizedLightGcnOptionsSchema = z.strictObject({
  dim,
  layers,
  epochs: z.number().int().min(1).default(90).describe('passes over the training interactions'),
  batchSize: z.number().int().min(1).default(8192).describe('BPR triples per Adam step'),
  learningRate: z.number().positive().default(0.01).describe('Adam step size'),
  learningRateDecay: z.number().gt(0).max(1).default(1).describe('the step size is multiplied by this after every epoch'),
  reg: z.number().min(0).default(0.001).describe('L2 weight on the ego rows of each triple'),
  initStd: z.number().min(0).default(0.03).describe('standard deviation of the embeddings at start'),
  evaluateEvery: z.number().int().min(0).default(0).describe('evaluate every n epochs (0: only after the last)'),
});

export type CentralizedLightGcnOptions = z.output<typeof centralizedLightGcnOptionsSchema>;

export function resolveCentralizedLightGcnOptions(options: Readonly<Record<string, unknown>> = {}): CentralizedLightGcnOptions {
  return parseOptions('centralized lightgcn', centralizedLightGcnOptionsSchema, options);
}
