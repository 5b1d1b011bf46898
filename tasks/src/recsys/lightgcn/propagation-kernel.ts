// The forward and backward pass of a propagation recommender over a sparse adjacency A: final embeddings
// F = (E + A E + ... + A^K E) / (K + 1) from the ego table E, the mean BPR loss of a batch of triples on F
// with an L2 term on their ego rows, and its gradient with respect to E (back through A's transpose).

import type { SparseAdjacency } from './sparse-adjacency.js';

export class PropagationKernel {
  private readonly layerA: Float32Array;
  private readonly layerB: Float32Array;
  private readonly gradFinal: Float32Array;
  private readonly backwardSum: Float32Array;
  /** The final embeddings of the last forward pass. */
  readonly final: Float32Array;

  constructor(
    readonly numNodes: number,
    readonly dim: number,
    readonly layers: number,
  ) {
    const size = numNodes * dim;
    this.layerA = new Float32Array(size);
    this.layerB = new Float32Array(size);
    this.gradFinal = new Float32Array(size);
    this.backwardSum = new Float32Array(size);
    this.final = new Float32Array(size);
  }

  /** out = mean over k = 0..K of A^k input. */
  propagate(adjacency: SparseAdjacency, input: Float32Array, out: Float32Array): void {
    out.set(input);
    let from = input;
    for (let layer = 1; layer <= this.layers; layer++) {
      const to = from === this.layerA ? this.layerB : this.layerA;
      adjacency.propagate(from, to, this.dim);
      for (let k = 0; k < out.length; k++) out[k] += to[k];
      from = to;
    }
    const scale = 1 / (this.layers + 1);
    for (let k = 0; k < out.length; k++) out[k] *= scale;
  }

  /**
   * The mean over triples t of -log sigmoid(F_u . (F_i - F_j)) + reg/2 (|E_u|^2 + |E_i|^2 + |E_j|^2), nodes
   * users[t], positives[t], negatives[t]; adds its gradient with respect to `ego` to `grad`.
   */
  lossAndGradient(
    ego: Float32Array,
    forward: SparseAdjacency,
    backward: SparseAdjacency,
    users: Int32Array,
    positives: Int32Array,
    negatives: Int32Array,
    reg: number,
    grad: Float32Array,
  ): number {
    const d = this.dim;
    const { final, gradFinal } = this;
    this.propagate(forward, ego, final);
    gradFinal.fill(0);
    const inv = 1 / users.length;
    let loss = 0;
    for (let t = 0; t < users.length; t++) {
      const uo = users[t] * d;
      const io = positives[t] * d;
      const jo = negatives[t] * d;
      let x = 0;
      for (let k = 0; k < d; k++) x += final[uo + k] * (final[io + k] - final[jo + k]);
      // -log sigmoid(x), computed stably; its derivative is -sigmoid(-x).
      loss += x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
      const g = -inv / (1 + Math.exp(x));
      const r = reg * inv;
      for (let k = 0; k < d; k++) {
        const fu = final[uo + k];
        gradFinal[uo + k] += g * (final[io + k] - final[jo + k]);
        gradFinal[io + k] += g * fu;
        gradFinal[jo + k] -= g * fu;
        const eu = ego[uo + k];
        const ei = ego[io + k];
        const ej = ego[jo + k];
        loss += 0.5 * reg * (eu * eu + ei * ei + ej * ej);
        grad[uo + k] += r * eu;
        grad[io + k] += r * ei;
        grad[jo + k] += r * ej;
      }
    }
    this.propagate(backward, gradFinal, this.backwardSum);
    for (let k = 0; k < grad.length; k++) grad[k] += this.backwardSum[k];
    return loss * inv;
  }
}
