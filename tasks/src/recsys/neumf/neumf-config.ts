// The options that define a NeuMF model and how it is trained, with defaults chosen by measurement on
// ml-100k (80/20 split, seed 0; `node bench/dist/src/neumf-bench.js`), and one validation that names the
// offending option. Measured (Recall@20 after 4 epochs, kernel engine): this configuration 0.315 (tfjs
// engine 0.318); GMF 32 + MLP 64→64→32→16, lr 0.002, batch 256: 0.322 at 4× the arithmetic per sample;
// BPR loss instead of log loss: 0.292 (and 0.307 for the larger model, falling after epoch 4), so the
// pointwise log loss with 4 negatives is the default. Batch 256 with lr 0.002 reaches 0.322 but runs ~1.8×
// slower than batch 1024 with lr 0.01 on tfjs's cpu backend.

import { z } from 'zod';
import { parseOptions } from '@strata/shared';

/** What defines a NeuMF model and how it is trained; every key with its description and default. */
export const neumfConfigSchema = z.strictObject({
  gmfDim: z.number().int().min(1).default(16).describe("width of the GMF tower's user and item embeddings"),
  mlpEmbeddingDim: z
    .number()
    .int()
    .min(1)
    .default(16)
    .describe("width of the MLP tower's user and item embeddings (each; the MLP input is twice this)"),
  mlpLayers: z
    .array(z.number().int().min(1))
    .min(1)
    .default([32, 16, 8])
    .describe("widths of the MLP tower's hidden (ReLU) layers, first to last"),
  loss: z
    .enum(['log', 'bpr'])
    .default('log')
    .describe("pointwise log loss on (positive, sampled negatives), or BPR's pairwise loss on (positive, negative) pairs"),
  negatives: z
    .number()
    .int()
    .min(1)
    .default(4)
    .describe('negatives sampled per positive, uniformly from the items the user has not interacted with'),
  learningRate: z.number().positive().default(0.01).describe('Adam step size (on devices: of the dense weights)'),
  l2: z.number().min(0).default(0).describe('L2 penalty on the embedding rows a batch touches (per sample)'),
  initStd: z.number().positive().default(0.01).describe("standard deviation of the embeddings' normal initialisation"),
});

export type NeuMFConfig = z.output<typeof neumfConfigSchema>;
export type NeuMFLoss = NeuMFConfig['loss'];

export const DEFAULT_NEUMF_CONFIG: NeuMFConfig = neumfConfigSchema.parse({});

/** `DEFAULT_NEUMF_CONFIG` overridden by `overrides` (undefined fields ignored), validated. */
export function resolveNeuMFConfig(overrides: Partial<NeuMFConfig> = {}): NeuMFConfig {
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return parseOptions('NeuMF', neumfConfigSchema, defined);
}
