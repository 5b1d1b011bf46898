// Options of KGAT: the federated task (recsys/kgat) and the centralized trainer. The knowledge-graph keys are
// shared; defaults chosen by measurement on ml-100k with its KG (80/20 split per user, seed 0), see
// docs/decisions.md (issue 22).

import { z } from 'zod';
import { ConfigError, parseOptions } from '@strata/shared';
import { centralizedLightGcnOptionsSchema, lightGcnOptionsSchema } from '../lightgcn/lightgcn-task-options.js';

const knowledgeOptions = {
  knowledgeGraph: z.boolean().default(true).describe('use the knowledge graph (false: the ablation, LightGCN on the same schedule)'),
  minEntityDegree: z
    .number()
    .int()
    .min(1)
    .default(10)
    .describe('drop entities (other than items) in fewer triples than this, as KGAT does'),
  knowledgeWeight: z.number().min(0).default(0.2).describe('scale of the attention-weighted knowledge edges beside the user-item edges'),
  relationDim: z.number().int().min(1).default(32).describe('TransR relation space size'),
  kgReg: z.number().min(0).default(0.0001).describe('L2 weight of TransR'),
  kgBatchSize: z.number().int().min(1).default(4096).describe('triples per TransR step'),
  kgTriplesPerEpoch: z.number().int().min(1).default(16384).describe('triples TransR trains on per epoch (sampled)'),
};

/** What `--task-option` can set for recsys/kgat (the seed is the run's `--seed`). */
export const kgatOptionsSchema = lightGcnOptionsSchema.extend({
  ...knowledgeOptions,
  kgEpochs: z.number().int().min(0).default(50).describe('TransR epochs at the cloud before round 1 (federated form)'),
  kgLearningRate: z.number().positive().default(0.01).describe('Adam step size of TransR at the cloud'),
});

export type KgatTaskOptions = z.output<typeof kgatOptionsSchema> & { readonly seed: number };

export function resolveKgatTaskOptions(options: Readonly<Record<string, unknown>> = {}): KgatTaskOptions {
  const { seed = 0, ...rest } = options as { seed?: number };
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError(`recsys/kgat: seed must be an integer >= 0, got ${seed}`);
  return { ...parseOptions('task recsys/kgat', kgatOptionsSchema, rest), seed };
}

/** The centralized KGAT trainer's options (`strata train recsys --model kgat`). */
export const centralizedKgatOptionsSchema = centralizedLightGcnOptionsSchema.extend({
  ...knowledgeOptions,
  // Ten times smaller than at the cloud: here TransR moves the same item rows as the recommender every epoch.
  kgLearningRate: z.number().positive().default(0.001).describe('Adam step size of TransR'),
});

export type CentralizedKgatOptions = z.output<typeof centralizedKgatOptionsSchema>;

export function resolveCentralizedKgatOptions(options: Readonly<Record<string, unknown>> = {}): CentralizedKgatOptions {
  return parseOptions('centralized kgat', centralizedKgatOptionsSchema, options);
}
