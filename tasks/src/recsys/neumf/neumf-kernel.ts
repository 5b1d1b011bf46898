// NeuMF's forward and backward pass for one (user, item) sample over plain Float32Arrays. The federated
// device trains on one user's few hundred samples per round, 943 devices per round in one process; at that
// size tfjs's per-op overhead dominates: a tfjs Adam step on a device-sized batch (32 samples, local tables
// of 425 items) takes 5.7 ms on the cpu backend, so a round of 943 devices × 14 steps would spend 76 s in
// steps alone, where this kernel trains the whole round in 4.8 s (84k samples/s, 2-core EPYC, idle). It
// computes exactly the function and gradients of NeuMFTfjsModel (a test holds them equal), and scores all
// items for evaluation. Centralized training on the same cpu backend: tfjs 16k samples/s, kernel 84k.

import type { NeuMFConfig } from './neumf-config.js';

/** The dense (non-embedding) weights, or gradients of the same shapes: kernels are row-major [in, out]. */
export interface NeuMFDenseWeights {
  readonly kernels: readonly Float32Array[];
  readonly biases: readonly Float32Array[];
  /** [gmfDim + last MLP width]: weights on (GMF product ++ last MLP layer). */
  readonly outKernel: Float32Array;
  readonly outBias: Float32Array;
}

/** A pair of embedding tables (GMF and MLP) for users or items, row-major; a row index selects one entity. */
export interface EmbeddingTables<T = Float32Array> {
  readonly gmf: T;
  readonly mlp: T;
}

/** The dense arrays in the model's canonical order (neumfDenseTensors): kernel and bias per layer, then the output's. */
export function denseArrays(w: NeuMFDenseWeights): Float32Array[] {
  return [...w.kernels.flatMap((k, i) => [k, w.biases[i]]), w.outKernel, w.outBias];
}

export class NeuMFKernel {
  private readonly gmfDim: number;
  private readonly embDim: number;
  private readonly widths: readonly number[];
  /** Per slot: the GMF product and each MLP layer's output (post-ReLU). */
  private readonly products: Float32Array[] = [];
  private readonly activations: Float32Array[][] = [];
  /** Backward scratch: gradient flowing into each layer's output, and into the MLP input. */
  private readonly upstream: Float32Array[];
  private readonly inputGrad: Float32Array;

  /**
   * `weights` are read (never written) on every call; `grads`, when given, accumulate in backward. Two
   * slots hold two samples' activations at once, which BPR's pairwise loss needs.
   */
  constructor(
    config: NeuMFConfig,
    readonly weights: NeuMFDenseWeights,
    readonly grads?: NeuMFDenseWeights,
  ) {
    this.gmfDim = config.gmfDim;
    this.embDim = config.mlpEmbeddingDim;
    this.widths = config.mlpLayers;
    for (let slot = 0; slot < 2; slot++) {
      this.products.push(new Float32Array(this.gmfDim));
      this.activations.push(this.widths.map((w) => new Float32Array(w)));
    }
    this.upstream = this.widths.map((w) => new Float32Array(w));
    this.inputGrad = new Float32Array(Math.max(2 * this.embDim, ...this.widths));
  }

  /** The logit for (user row u, item row i); keeps the activations in `slot` for backward. */
  forward(slot: number, users: EmbeddingTables, u: number, items: EmbeddingTables, i: number): number {
    const { gmfDim, embDim, weights } = this;
    const product = this.products[slot];
    const acts = this.activations[slot];
    const gu = u * gmfDim;
    const gi = i * gmfDim;
    const out = weights.outKernel;
    let z = weights.outBias[0];
    for (let p = 0; p < gmfDim; p++) {
      const g = users.gmf[gu + p] * items.gmf[gi + p];
      product[p] = g;
      z += g * out[p];
    }
    // Layer 0 reads user ++ item: the kernel's first embDim rows see the user, the next embDim the item.
    const h0 = acts[0];
    const w0 = weights.kernels[0];
    const n0 = this.widths[0];
    h0.set(weights.biases[0]);
    const mu = u * embDim;
    const mi = i * embDim;
    for (let p = 0; p < embDim; p++) {
      const x = users.mlp[mu + p];
      const row = p * n0;
      for (let j = 0; j < n0; j++) h0[j] += x * w0[row + j];
    }
    for (let p = 0; p < embDim; p++) {
      const x = items.mlp[mi + p];
      const row = (embDim + p) * n0;
      for (let j = 0; j < n0; j++) h0[j] += x * w0[row + j];
    }
    relu(h0);
    for (let k = 1; k < this.widths.length; k++) denseRelu(acts[k - 1], weights.kernels[k], weights.biases[k], acts[k]);
    const last = acts[acts.length - 1];
    for (let p = 0; p < last.length; p++) z += last[p] * out[gmfDim + p];
    return z;
  }

  /**
   * Accumulates dLoss/dz · dz/dθ for the sample last run forward in `slot`: dense gradients into `grads`,
   * embedding gradients into row u of `userGrads` and row i of `itemGrads` (same layouts as the tables).
   */
  backward(
    slot: number,
    dz: number,
    users: EmbeddingTables,
    u: number,
    items: EmbeddingTables,
    i: number,
    userGrads: EmbeddingTables,
    itemGrads: EmbeddingTables,
  ): void {
    const grads = this.grads;
    if (!grads) throw new RangeError('NeuMFKernel.backward needs gradient buffers (constructed without grads)');
    const { gmfDim, embDim, weights } = this;
    const product = this.products[slot];
    const acts = this.activations[slot];
    const out = weights.outKernel;
    grads.outBias[0] += dz;
    const gu = u * gmfDim;
    const gi = i * gmfDim;
    for (let p = 0; p < gmfDim; p++) {
      grads.outKernel[p] += dz * product[p];
      const dg = dz * out[p];
      userGrads.gmf[gu + p] += dg * items.gmf[gi + p];
      itemGrads.gmf[gi + p] += dg * users.gmf[gu + p];
    }
    const L = this.widths.length;
    const lastUp = this.upstream[L - 1];
    const last = acts[L - 1];
    for (let p = 0; p < last.length; p++) {
      grads.outKernel[gmfDim + p] += dz * last[p];
      lastUp[p] = dz * out[gmfDim + p];
    }
    for (let k = L - 1; k >= 0; k--) {
      // ReLU's gradient: zero where the layer's output was clamped.
      const up = this.upstream[k];
      const h = acts[k];
      const db = grads.biases[k];
      for (let j = 0; j < up.length; j++) {
        if (h[j] <= 0) up[j] = 0;
        db[j] += up[j];
      }
      const w = weights.kernels[k];
      const dw = grads.kernels[k];
      const n = up.length;
      if (k > 0) {
        const input = acts[k - 1];
        const down = this.upstream[k - 1];
        for (let p = 0; p < input.length; p++) {
          const x = input[p];
          const row = p * n;
          let s = 0;
          for (let j = 0; j < n; j++) {
            dw[row + j] += x * up[j];
            s += w[row + j] * up[j];
          }
          down[p] = s;
        }
      } else {
        const mu = u * embDim;
        const mi = i * embDim;
        for (let p = 0; p < 2 * embDim; p++) {
          const x = p < embDim ? users.mlp[mu + p] : items.mlp[mi + p - embDim];
          const row = p * n;
          let s = 0;
          for (let j = 0; j < n; j++) {
            dw[row + j] += x * up[j];
            s += w[row + j] * up[j];
          }
          this.inputGrad[p] = s;
        }
        for (let p = 0; p < embDim; p++) {
          userGrads.mlp[mu + p] += this.inputGrad[p];
          itemGrads.mlp[mi + p] += this.inputGrad[embDim + p];
        }
      }
    }
  }

  /**
   * Logits of user row u for items 0..count-1 of `items` (full-ranking scores), written into `out`. The
   * first layer's user half is computed once instead of once per item.
   */
  scoreAll(users: EmbeddingTables, u: number, items: EmbeddingTables, count: number, out: Float32Array): void {
    const { gmfDim, embDim, weights } = this;
    const n0 = this.widths[0];
    const w0 = weights.kernels[0];
    const userPart = weights.biases[0].slice();
    const mu = u * embDim;
    for (let p = 0; p < embDim; p++) {
      const x = users.mlp[mu + p];
      const row = p * n0;
      for (let j = 0; j < n0; j++) userPart[j] += x * w0[row + j];
    }
    // The GMF term is user ⊙ item · w: fold the user into the weights once.
    const gmfWeights = new Float32Array(gmfDim);
    for (let p = 0; p < gmfDim; p++) gmfWeights[p] = users.gmf[u * gmfDim + p] * weights.outKernel[p];
    const acts = this.activations[0];
    const h0 = acts[0];
    const last = acts[acts.length - 1];
    for (let i = 0; i < count; i++) {
      h0.set(userPart);
      const mi = i * embDim;
      for (let p = 0; p < embDim; p++) {
        const x = items.mlp[mi + p];
        const row = (embDim + p) * n0;
        for (let j = 0; j < n0; j++) h0[j] += x * w0[row + j];
      }
      relu(h0);
      for (let k = 1; k < this.widths.length; k++) denseRelu(acts[k - 1], weights.kernels[k], weights.biases[k], acts[k]);
      let z = weights.outBias[0];
      const gi = i * gmfDim;
      for (let p = 0; p < gmfDim; p++) z += gmfWeights[p] * items.gmf[gi + p];
      for (let p = 0; p < last.length; p++) z += last[p] * weights.outKernel[gmfDim + p];
      out[i] = z;
    }
  }
}

function relu(x: Float32Array): void {
  for (let j = 0; j < x.length; j++) if (x[j] < 0) x[j] = 0;
}

/** out = relu(input · kernel + bias), kernel row-major [input.length, out.length]. */
function denseRelu(input: Float32Array, kernel: Float32Array, bias: Float32Array, out: Float32Array): void {
  const n = out.length;
  out.set(bias);
  for (let p = 0; p < input.length; p++) {
    const x = input[p];
    if (x === 0) continue;
    const row = p * n;
    for (let j = 0; j < n; j++) out[j] += x * kernel[row + j];
  }
  relu(out);
}
