// A trained SASRec model with the training histories it reads: scores every item as the next one after a
// user's last (at most maxLength) training items, for full-ranking evaluation.

import type { UserScorer } from '../evaluation/ranking-evaluation.js';
import { SasrecKernel } from './sasrec-kernel.js';
import type { SasrecShape, SasrecWeights } from './sasrec-params.js';

export class SasrecModel {
  private readonly kernel: SasrecKernel;

  constructor(
    readonly shape: SasrecShape,
    readonly weights: SasrecWeights,
    /** Each user's training items, oldest first. */
    readonly sequences: readonly Int32Array[],
  ) {
    this.kernel = new SasrecKernel(shape);
  }

  /** A UserScorer for evaluateRanking (a user without history scores every item 0). */
  readonly scoreUser: UserScorer = (user, out) => {
    const history = recentWindow(this.sequences[user], this.shape.maxLength);
    if (history.length === 0) out.fill(0);
    else this.kernel.scoreAll(this.weights, history, out);
  };
}

/** The last `maxLength` items of a history (a view). */
export function recentWindow(history: Int32Array, maxLength: number): Int32Array {
  return history.subarray(Math.max(0, history.length - maxLength));
}
