// The options that define a NeuMF model and how it is trained, with defaults chosen by measurement on
// ml-100k (80/20 split, seed 0; `node bench/dist/src/neumf-bench.js`), and one validation that names the
// offending option. Measured (Recall@20 after 4 epochs, kernel engine): this configuration 0.315 (tfjs
// engine 0.318); GMF 32 + MLP 64→64→32→16, lr 0.002, batch 256: 0.322 at 4× the arithmetic per sample;
// BPR loss instead of log loss: 0.292 (and 0.307 for the larger model, falling after epoch 4), so the
// pointwise log loss with 4 negatives is the default. Batch 256 with lr 0.002 reaches 0.322 but runs ~1.8×
// slower than batch 1024 with lr 0.01 on tfjs's cpu backend.

import { ConfigError } from '@strata/shared';

/** Pointwise log loss on (positive, sampled negatives), or BPR's pairwise loss on (positive, negative) pairs. */
export type NeuMFLoss = 'log' | 'bpr';

export interface NeuMFConfig {
  /** Width of the GMF tower's user and item embeddings. */
  readonly gmfDim: number;
  /** Width of the MLP tower's user and item embeddings (each; the MLP input is twice this). */
  readonly mlpEmbeddingDim: number;
  /** Widths of the MLP tower's hidden (ReLU) layers, first to last. */
  readonly mlpLayers: readonly number[];
  readonly loss: NeuMFLoss;
  /** Negatives sampled per positive interaction, uniformly from the items the user has not interacted with. */
  readonly negatives: number;
  /** Adam step size. */
  readonly learningRate: number;
  /** L2 penalty on the embedding rows a batch touches (per sample). */
  readonly l2: number;
  /** Standard deviation of the embeddings' normal initialisation. */
  readonly initStd: number;
}

export const DEFAULT_NEUMF_CONFIG: NeuMFConfig = {
  gmfDim: 16,
  mlpEmbeddingDim: 16,
  mlpLayers: [32, 16, 8],
  loss: 'log',
  negatives: 4,
  learningRate: 0.01,
  l2: 0,
  initStd: 0.01,
};

/** `DEFAULT_NEUMF_CONFIG` overridden by `overrides`, validated. */
export function resolveNeuMFConfig(overrides: Partial<NeuMFConfig> = {}): NeuMFConfig {
  const config: NeuMFConfig = { ...DEFAULT_NEUMF_CONFIG, ...definedOnly(overrides) };
  positiveInteger('gmfDim', config.gmfDim);
  positiveInteger('mlpEmbeddingDim', config.mlpEmbeddingDim);
  if (config.mlpLayers.length === 0) throw new ConfigError('neumf mlpLayers must name at least one layer, got []');
  config.mlpLayers.forEach((width, i) => positiveInteger(`mlpLayers[${i}]`, width));
  if (config.loss !== 'log' && config.loss !== 'bpr') {
    throw new ConfigError(`neumf loss must be 'log' or 'bpr', got '${String(config.loss)}'`);
  }
  positiveInteger('negatives', config.negatives);
  positiveNumber('learningRate', config.learningRate);
  if (!(config.l2 >= 0)) throw new ConfigError(`neumf l2 must be >= 0, got ${config.l2}`);
  positiveNumber('initStd', config.initStd);
  return config;
}

function definedOnly<T extends object>(values: Partial<T>): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(`neumf ${name} must be a positive integer, got ${value}`);
}

function positiveNumber(name: string, value: number): void {
  if (!(value > 0) || !Number.isFinite(value)) throw new ConfigError(`neumf ${name} must be a positive number, got ${value}`);
}
