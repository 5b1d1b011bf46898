// A trained graph recommender (LightGCN, KGAT): the final embedding of every graph node, users first; an
// item's score for a user is the dot product of their final embeddings.

import type { UserScorer } from '../evaluation/ranking-evaluation.js';
import { scoreItems } from '../bpr-mf/bpr-mf-model.js';

export class GraphEmbeddingModel {
  /** [numItems, dim]: the items' rows of `final`, gathered once for scoring. */
  readonly items: Float32Array;

  constructor(
    readonly dim: number,
    /** [nodes, dim] row-major; user u is node u. */
    readonly final: Float32Array,
    /** The node of each item. */
    readonly itemNodes: Int32Array,
  ) {
    this.items = new Float32Array(itemNodes.length * dim);
    for (let i = 0; i < itemNodes.length; i++) this.items.set(final.subarray(itemNodes[i] * dim, (itemNodes[i] + 1) * dim), i * dim);
  }

  /** A UserScorer over all items, for evaluateRanking. */
  readonly scoreUser: UserScorer = (user, out) => {
    scoreItems(this.final, user * this.dim, this.items, null, this.dim, out);
  };
}
