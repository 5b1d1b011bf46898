// Gaussian noise on an update, from a cryptographic generator (CryptoRandom: a ChaCha20 stream keyed by
// getRandomValues). Noise goes on every coordinate of every tensor, sparse tensors made dense over their
// whole shape: noise only on the rows a device touched would tell which rows those were, and the
// mechanism's guarantee is for the whole vector.
//
// The samples are doubles from Box–Muller rounded to float32. Floating-point samplers leak a little through
// the gaps between representable outputs (Mironov 2012 for Laplace; Jin et al. 2022 for Gaussians); the
// exact remedy is a discrete Gaussian on an integer grid (Canonne, Kamath and Steinke 2020), not built here.

import { elementCount, type ModelUpdate, type TensorValue } from '../../fl/model.js';
import type { CryptoRandom } from '../crypto-random.js';

/** The values of `tensor` over its whole shape (a copy; rows a sparse tensor does not hold are zeros). */
export function denseValues(tensor: TensorValue): Float32Array {
  if (tensor.kind === 'dense') return tensor.values.slice();
  const width = elementCount(tensor.shape) / tensor.shape[0];
  const out = new Float32Array(elementCount(tensor.shape));
  for (let k = 0; k < tensor.rows.length; k++) {
    out.set(tensor.values.subarray(k * width, (k + 1) * width), tensor.rows[k] * width);
  }
  return out;
}

/** Adds N(0, std²) to each of `values` in place. */
export function addGaussianNoiseInto(values: Float32Array, std: number, random: CryptoRandom): Float32Array {
  if (!(std >= 0 && Number.isFinite(std))) throw new RangeError(`noise std must be >= 0 and finite, got ${std}`);
  for (let i = 0; i < values.length; i++) values[i] += std * random.normal();
  return values;
}

/** A copy of `update` with N(0, std²) on every coordinate; every tensor comes out dense. */
export function addGaussianNoise(update: ModelUpdate, std: number, random: CryptoRandom): ModelUpdate {
  const delta = new Map<string, TensorValue>();
  for (const [name, tensor] of update.delta) {
    delta.set(name, { kind: 'dense', shape: [...tensor.shape], values: addGaussianNoiseInto(denseValues(tensor), std, random) });
  }
  return { ...update, delta };
}
