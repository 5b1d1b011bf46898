// Where the engagement game is played: users as a trained recommender sees them, and the positions a producer
// can take: the direction of any item in the catalogue, or one pure feature (±axis), all at unit norm (a
// producer chooses what its content is about, not how strongly the model scores it). Everything is expressed
// in the item embeddings' principal features (feature-basis.ts).

import { principalFeatures, rotateRows } from './feature-basis.js';

export interface GameSpace {
  readonly dim: number;
  readonly numUsers: number;
  /** [numUsers, dim] in the feature basis. */
  readonly users: Float32Array;
  /** Unit vectors [numCandidates, dim]: the catalogue's items first, then +e_0, -e_0, +e_1, ... */
  readonly candidates: Float32Array;
  readonly numCandidates: number;
  readonly numItemCandidates: number;
  /** scores[u * numCandidates + c] = user u · candidate c. */
  readonly scores: Float32Array;
  /** Standard deviation of all user-candidate scores: the unit of softmax temperatures. */
  readonly scoreStd: number;
}

/** The space of a model's user and item embeddings (row-major, `dim` wide). */
export function gameSpace(userEmbeddings: Float32Array, itemEmbeddings: Float32Array, dim: number): GameSpace {
  // Features from the items' directions: positions are directions, and the norms of a factorisation's item
  // rows mostly encode popularity.
  const directions = unitRows(itemEmbeddings, dim);
  const basis = principalFeatures(directions, userEmbeddings, dim);
  const users = rotateRows(userEmbeddings, basis, dim);
  const items = rotateRows(directions, basis, dim);
  const numUsers = users.length / dim;
  const numItemCandidates = items.length / dim;
  const numCandidates = numItemCandidates + 2 * dim;
  const candidates = new Float32Array(numCandidates * dim);
  candidates.set(items);
  for (let f = 0; f < dim; f++) {
    candidates[(numItemCandidates + 2 * f) * dim + f] = 1;
    candidates[(numItemCandidates + 2 * f + 1) * dim + f] = -1;
  }
  const scores = new Float32Array(numUsers * numCandidates);
  let sum = 0;
  let sumSquares = 0;
  for (let u = 0; u < numUsers; u++) {
    for (let c = 0; c < numCandidates; c++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += users[u * dim + k] * candidates[c * dim + k];
      scores[u * numCandidates + c] = s;
      sum += s;
      sumSquares += s * s;
    }
  }
  const n = numUsers * numCandidates;
  const scoreStd = Math.sqrt(Math.max(0, sumSquares / n - (sum / n) ** 2));
  return { dim, numUsers, users, candidates, numCandidates, numItemCandidates, scores, scoreStd };
}

/** The share of a unit vector's squared norm on its largest feature (1: a pure feature; 1/dim at least). */
export function topFeatureShare(vector: Float32Array, offset: number, dim: number): number {
  let top = 0;
  let norm = 0;
  for (let k = 0; k < dim; k++) {
    const sq = vector[offset + k] ** 2;
    norm += sq;
    if (sq > top) top = sq;
  }
  return norm > 0 ? top / norm : 0;
}

/** Each row scaled to unit norm (a zero row stays zero). */
function unitRows(rows: Float32Array, dim: number): Float32Array {
  const out = new Float32Array(rows.length);
  for (let o = 0; o < rows.length; o += dim) {
    let norm = 0;
    for (let k = 0; k < dim; k++) norm += rows[o + k] ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let k = 0; k < dim; k++) out[o + k] = rows[o + k] * scale;
  }
  return out;
}
