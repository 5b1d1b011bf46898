// TransR (Lin et al., AAAI 2015) as KGAT trains it: a triple (h, r, t) is plausible when W_r e_h + e_r is close
// to W_r e_t in relation r's space, g(h, r, t) = |W_r (e_h - e_t) + e_r|^2; a batch of triples with corrupted
// tails t' is trained on -log sigmoid(g(h, r, t') - g(h, r, t)) plus an L2 term. The entity embeddings are
// the graph's ego rows, shared with the recommender. TransR also gives KGAT's knowledge-aware attention,
// pi(h, r, t) = (W_r e_t) . tanh(W_r e_h + e_r), softmax-normalised over h's triples.

import type { SeededRandom } from '@strata/shared';
import { AdamState, TFJS_ADAM } from '../neumf/adam-state.js';

export interface TransRTriples {
  readonly heads: Int32Array;
  readonly relations: Int32Array;
  readonly tails: Int32Array;
}

export class TransR {
  /** [relations, relationDim]. */
  readonly relationEmbedding: Float32Array;
  /** [relations, relationDim, dim]: W_r row-major. */
  readonly projection: Float32Array;
  private readonly relationAdam: AdamState;
  private readonly projectionAdam: AdamState;
  private readonly egoAdam: AdamState;
  private step = 0;
  /** Scratch: the positive and the corrupted triple's relation-space vectors. */
  private readonly v: Float32Array;

  constructor(
    readonly numNodes: number,
    readonly numRelations: number,
    readonly dim: number,
    readonly relationDim: number,
    random: SeededRandom,
    initStd: number,
  ) {
    this.relationEmbedding = Float32Array.from({ length: numRelations * relationDim }, () => random.normal() * initStd);
    // W_r starts near a projection that keeps scale: normal(0, 1 / sqrt(dim)).
    this.projection = Float32Array.from({ length: numRelations * relationDim * dim }, () => random.normal() / Math.sqrt(dim));
    this.relationAdam = new AdamState(this.relationEmbedding.length);
    this.projectionAdam = new AdamState(this.projection.length);
    this.egoAdam = new AdamState(numNodes * dim);
    this.v = new Float32Array(relationDim * 2);
  }

  /** out = W_r (a - b) + (withRelation ? e_r : 0), a and b rows of `ego` (b < 0: none). */
  private project(ego: Float32Array, r: number, a: number, b: number, withRelation: boolean, out: Float32Array, at: number): void {
    const { dim, relationDim } = this;
    const w = r * relationDim * dim;
    for (let p = 0; p < relationDim; p++) {
      let s = withRelation ? this.relationEmbedding[r * relationDim + p] : 0;
      const row = w + p * dim;
      for (let k = 0; k < dim; k++) s += this.projection[row + k] * (ego[a * dim + k] - (b >= 0 ? ego[b * dim + k] : 0));
      out[at + p] = s;
    }
  }

  /**
   * The mean loss of triples t (with corrupted tails `corrupt[t]`) and its gradients, added to gradEgo,
   * gradRelation and gradProjection (shaped as the ego table, relationEmbedding and projection).
   */
  lossAndGradient(
    ego: Float32Array,
    triples: TransRTriples,
    corrupt: Int32Array,
    reg: number,
    gradEgo: Float32Array,
    gradRelation: Float32Array,
    gradProjection: Float32Array,
  ): number {
    const { dim, relationDim } = this;
    const v = this.v;
    const n = triples.heads.length;
    const inv = 1 / n;
    let loss = 0;
    for (let t = 0; t < n; t++) {
      const h = triples.heads[t];
      const r = triples.relations[t];
      const tail = triples.tails[t];
      const neg = corrupt[t];
      this.project(ego, r, h, tail, true, v, 0);
      this.project(ego, r, h, neg, true, v, relationDim);
      let gPos = 0;
      let gNeg = 0;
      for (let p = 0; p < relationDim; p++) {
        gPos += v[p] * v[p];
        gNeg += v[relationDim + p] * v[relationDim + p];
      }
      const x = gNeg - gPos;
      loss += x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
      // dL/dx = -sigmoid(-x); dL/dv = -2 c v, dL/dv' = 2 c v'.
      const c = -inv / (1 + Math.exp(x));
      const w = r * relationDim * dim;
      for (let p = 0; p < relationDim; p++) {
        const dv = -2 * c * v[p];
        const dvNeg = 2 * c * v[relationDim + p];
        gradRelation[r * relationDim + p] += dv + dvNeg;
        const row = w + p * dim;
        for (let k = 0; k < dim; k++) {
          const eh = ego[h * dim + k];
          gradProjection[row + k] += dv * (eh - ego[tail * dim + k]) + dvNeg * (eh - ego[neg * dim + k]);
          const wk = this.projection[row + k];
          gradEgo[h * dim + k] += wk * (dv + dvNeg);
          gradEgo[tail * dim + k] -= wk * dv;
          gradEgo[neg * dim + k] -= wk * dvNeg;
        }
      }
      const rr = reg * inv;
      for (let k = 0; k < dim; k++) {
        for (const node of [h, tail, neg]) {
          const e = ego[node * dim + k];
          loss += 0.5 * reg * e * e;
          gradEgo[node * dim + k] += rr * e;
        }
      }
      for (let p = 0; p < relationDim; p++) {
        const e = this.relationEmbedding[r * relationDim + p];
        loss += 0.5 * reg * e * e;
        gradRelation[r * relationDim + p] += rr * e;
      }
    }
    return loss * inv;
  }

  /**
   * One pass over `count` triples drawn at random from `triples` in batches of `batchSize`, corrupting tails
   * with nodes of `candidates`; Adam (its own moments) on the ego rows, relation embeddings and projections.
   * Returns the mean loss.
   */
  trainEpoch(
    ego: Float32Array,
    triples: TransRTriples,
    candidates: Int32Array,
    count: number,
    batchSize: number,
    learningRate: number,
    reg: number,
    random: SeededRandom,
  ): number {
    const gradEgo = new Float32Array(ego.length);
    const gradRelation = new Float32Array(this.relationEmbedding.length);
    const gradProjection = new Float32Array(this.projection.length);
    const hyper = { ...TFJS_ADAM, learningRate };
    let loss = 0;
    for (let done = 0; done < count; done += batchSize) {
      const size = Math.min(batchSize, count - done);
      const pick = Int32Array.from({ length: size }, () => random.int(triples.heads.length));
      const batch: TransRTriples = {
        heads: pick.map((t) => triples.heads[t]),
        relations: pick.map((t) => triples.relations[t]),
        tails: pick.map((t) => triples.tails[t]),
      };
      const corrupt = Int32Array.from({ length: size }, () => candidates[random.int(candidates.length)]);
      loss += size * this.lossAndGradient(ego, batch, corrupt, reg, gradEgo, gradRelation, gradProjection);
      this.step++;
      this.egoAdam.update(ego, gradEgo, 0, ego.length, this.step, hyper);
      this.relationAdam.update(this.relationEmbedding, gradRelation, 0, gradRelation.length, this.step, hyper);
      this.projectionAdam.update(this.projection, gradProjection, 0, gradProjection.length, this.step, hyper);
    }
    return loss / Math.max(1, count);
  }

  /** pi(h, r, t) of every triple, softmax-normalised over the triples of each head. */
  attention(ego: Float32Array, triples: TransRTriples, numNodes: number): Float32Array {
    const { relationDim } = this;
    const n = triples.heads.length;
    const scores = new Float32Array(n);
    const head = new Float32Array(relationDim);
    const tail = new Float32Array(relationDim);
    for (let t = 0; t < n; t++) {
      const r = triples.relations[t];
      this.project(ego, r, triples.heads[t], -1, true, head, 0);
      this.project(ego, r, triples.tails[t], -1, false, tail, 0);
      let s = 0;
      for (let p = 0; p < relationDim; p++) s += tail[p] * Math.tanh(head[p]);
      scores[t] = s;
    }
    const max = new Float32Array(numNodes).fill(-Infinity);
    for (let t = 0; t < n; t++) max[triples.heads[t]] = Math.max(max[triples.heads[t]], scores[t]);
    const total = new Float32Array(numNodes);
    for (let t = 0; t < n; t++) {
      scores[t] = Math.exp(scores[t] - max[triples.heads[t]]);
      total[triples.heads[t]] += scores[t];
    }
    for (let t = 0; t < n; t++) scores[t] /= total[triples.heads[t]];
    return scores;
  }
}
