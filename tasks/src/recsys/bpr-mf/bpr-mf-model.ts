// A trained BPR-MF model: user and item embeddings (and optional item biases); scores are w_u . h_i + b_i.

import type { UserScorer } from '../evaluation/ranking-evaluation.js';

export class BprMfModel {
  constructor(
    readonly numUsers: number,
    readonly numItems: number,
    readonly dim: number,
    /** [numUsers, dim] row-major. */
    readonly users: Float32Array,
    /** [numItems, dim] row-major. */
    readonly items: Float32Array,
    readonly itemBias: Float32Array | null,
  ) {}

  /** A UserScorer over all items, for evaluateRanking. */
  readonly scoreUser: UserScorer = (user, out) => {
    scoreItems(this.users, user * this.dim, this.items, this.itemBias, this.dim, out);
  };
}

/** out[i] = user . items[i] + bias[i] for every item row, where the user row starts at userOffset. */
export function scoreItems(
  user: Float32Array,
  userOffset: number,
  items: Float32Array,
  bias: Float32Array | null,
  dim: number,
  out: Float32Array,
): void {
  for (let i = 0, o = 0; i < out.length; i++, o += dim) {
    let s = bias === null ? 0 : bias[i];
    for (let k = 0; k < dim; k++) s += user[userOffset + k] * items[o + k];
    out[i] = s;
  }
}
