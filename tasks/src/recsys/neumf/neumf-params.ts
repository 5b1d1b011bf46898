// NeuMF's tensors: their stable names, shapes and seeded initialisation. Every engine (the tfjs model, the
// hand-written kernel, the federated task) reads and writes models through these names.
//
//   gmf.user_embedding    [numUsers, gmfDim]           private to the user's device when federated
//   mlp.user_embedding    [numUsers, mlpEmbeddingDim]  private to the user's device when federated
//   gmf.item_embedding    [numItems, gmfDim]           federated as sparse rows
//   mlp.item_embedding    [numItems, mlpEmbeddingDim]  federated as sparse rows
//   mlp.dense_<k>.kernel  [in_k, out_k]                k = 0.. ; in_0 = 2 * mlpEmbeddingDim (user ++ item)
//   mlp.dense_<k>.bias    [out_k]
//   output.kernel         [gmfDim + last MLP width, 1] input is (GMF product ++ last MLP layer)
//   output.bias           [1]
//
// Kernels are row-major [in, out], as tfjs's dense layers store them: y = x · kernel + bias.

import { dense, type SeededRandom, type DenseTensor, type ModelParams } from '@strata/shared';
import type { NeuMFConfig } from './neumf-config.js';
import type { EmbeddingTables, NeuMFDenseWeights } from './neumf-kernel.js';

export const GMF_USER_EMBEDDING = 'gmf.user_embedding';
export const MLP_USER_EMBEDDING = 'mlp.user_embedding';
export const GMF_ITEM_EMBEDDING = 'gmf.item_embedding';
export const MLP_ITEM_EMBEDDING = 'mlp.item_embedding';
export const OUTPUT_KERNEL = 'output.kernel';
export const OUTPUT_BIAS = 'output.bias';

export function mlpKernelName(layer: number): string {
  return `mlp.dense_${layer}.kernel`;
}

export function mlpBiasName(layer: number): string {
  return `mlp.dense_${layer}.bias`;
}

/** The dense (non-embedding) tensors in canonical order: each MLP layer's kernel and bias, then the output's. */
export function neumfDenseTensors(config: NeuMFConfig): { name: string; shape: number[] }[] {
  const layers = config.mlpLayers.flatMap((width, k) => [
    { name: mlpKernelName(k), shape: mlpLayerShape(config, k) },
    { name: mlpBiasName(k), shape: [width] },
  ]);
  return [...layers, { name: OUTPUT_KERNEL, shape: [outputInputWidth(config), 1] }, { name: OUTPUT_BIAS, shape: [1] }];
}

/** [in, out] of MLP layer k. */
export function mlpLayerShape(config: NeuMFConfig, layer: number): [number, number] {
  const input = layer === 0 ? 2 * config.mlpEmbeddingDim : config.mlpLayers[layer - 1];
  return [input, config.mlpLayers[layer]];
}

/** Width of the output layer's input: the GMF product concatenated with the last MLP layer. */
export function outputInputWidth(config: NeuMFConfig): number {
  return config.gmfDim + config.mlpLayers[config.mlpLayers.length - 1];
}

export interface NeuMFInitOptions {
  readonly numUsers: number;
  readonly numItems: number;
  /** Whether the model holds the user embedding tables (centralized) or leaves them to devices (federated). */
  readonly includeUsers: boolean;
}

/**
 * A freshly initialised model: embeddings ~ N(0, initStd²) as in He et al. 2017, dense kernels Glorot-uniform,
 * biases zero. Deterministic for `rng`'s seed; each tensor draws from its own forked stream.
 */
export function initNeuMFParams(config: NeuMFConfig, options: NeuMFInitOptions, rng: SeededRandom): ModelParams {
  const params: ModelParams = new Map();
  if (options.includeUsers) {
    params.set(GMF_USER_EMBEDDING, normalTensor([options.numUsers, config.gmfDim], config.initStd, rng.fork(GMF_USER_EMBEDDING)));
    params.set(MLP_USER_EMBEDDING, normalTensor([options.numUsers, config.mlpEmbeddingDim], config.initStd, rng.fork(MLP_USER_EMBEDDING)));
  }
  params.set(GMF_ITEM_EMBEDDING, normalTensor([options.numItems, config.gmfDim], config.initStd, rng.fork(GMF_ITEM_EMBEDDING)));
  params.set(MLP_ITEM_EMBEDDING, normalTensor([options.numItems, config.mlpEmbeddingDim], config.initStd, rng.fork(MLP_ITEM_EMBEDDING)));
  config.mlpLayers.forEach((_, k) => {
    params.set(mlpKernelName(k), glorotTensor(mlpLayerShape(config, k), rng.fork(mlpKernelName(k))));
    params.set(mlpBiasName(k), dense([config.mlpLayers[k]]));
  });
  params.set(OUTPUT_KERNEL, glorotTensor([outputInputWidth(config), 1], rng.fork(OUTPUT_KERNEL)));
  params.set(OUTPUT_BIAS, dense([1]));
  return params;
}

/** One user's private embedding rows (GMF and MLP), as a device initialises them. */
export function initUserEmbeddings(config: NeuMFConfig, rng: SeededRandom): { gmf: Float32Array; mlp: Float32Array } {
  return {
    gmf: normalTensor([config.gmfDim], config.initStd, rng.fork(GMF_USER_EMBEDDING)).values,
    mlp: normalTensor([config.mlpEmbeddingDim], config.initStd, rng.fork(MLP_USER_EMBEDDING)).values,
  };
}

/** Zero-copy views of the model's dense weights, in the kernel's layout. */
export function denseWeightsView(config: NeuMFConfig, params: ModelParams): NeuMFDenseWeights {
  return {
    kernels: config.mlpLayers.map((_, k) => tensor(params, mlpKernelName(k)).values),
    biases: config.mlpLayers.map((_, k) => tensor(params, mlpBiasName(k)).values),
    outKernel: tensor(params, OUTPUT_KERNEL).values,
    outBias: tensor(params, OUTPUT_BIAS).values,
  };
}

/** Zero-copy views of the model's item tables. */
export function itemTablesView(params: ModelParams): EmbeddingTables {
  return { gmf: tensor(params, GMF_ITEM_EMBEDDING).values, mlp: tensor(params, MLP_ITEM_EMBEDDING).values };
}

/** Zero-copy views of the model's user tables (centralized models only). */
export function userTablesView(params: ModelParams): EmbeddingTables {
  return { gmf: tensor(params, GMF_USER_EMBEDDING).values, mlp: tensor(params, MLP_USER_EMBEDDING).values };
}

/** The named tensor, or an error naming what the model has. */
function tensor(params: ModelParams, name: string): DenseTensor {
  const t = params.get(name);
  if (!t) throw new RangeError(`NeuMF model has no tensor '${name}' (has ${[...params.keys()].join(', ')})`);
  return t;
}

function normalTensor(shape: number[], std: number, rng: SeededRandom): DenseTensor {
  const t = dense(shape);
  for (let i = 0; i < t.values.length; i++) t.values[i] = std * rng.normal();
  return t;
}

function glorotTensor(shape: [number, number], rng: SeededRandom): DenseTensor {
  const limit = Math.sqrt(6 / (shape[0] + shape[1]));
  const t = dense(shape);
  for (let i = 0; i < t.values.length; i++) t.values[i] = (2 * rng.next() - 1) * limit;
  return t;
}
