// The item embedding space LIRD works in: BPR-MF item embeddings scaled to unit length, so that a state (the
// embeddings of N recent positive items, concatenated), an item and the actor's weight vectors compare by cosine.
// Measured on ml-100k (defaults, seed 0): recommending by the state's centroid scores 13.44 with unit embeddings
// and 13.02 with the embeddings as trained, whose lengths favour popular items.

export class ItemSpace {
  /** [numItems, dim] row-major, each row of length 1 (a zero row stays zero). */
  readonly unit: Float32Array;

  constructor(
    readonly numItems: number,
    readonly dim: number,
    embeddings: Float32Array,
  ) {
    this.unit = new Float32Array(numItems * dim);
    for (let i = 0; i < numItems; i++) {
      let norm = 0;
      for (let c = i * dim; c < (i + 1) * dim; c++) norm += embeddings[c] * embeddings[c];
      const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let c = i * dim; c < (i + 1) * dim; c++) this.unit[c] = embeddings[c] * scale;
    }
  }

  /** The state vector of `recent` (item ids, -1 for an empty slot: a zero block), written into `out` [N × dim]. */
  stateVector(recent: Int32Array, out: Float32Array): void {
    const d = this.dim;
    for (let slot = 0; slot < recent.length; slot++) {
      const item = recent[slot];
      if (item < 0) out.fill(0, slot * d, (slot + 1) * d);
      else out.set(this.unit.subarray(item * d, (item + 1) * d), slot * d);
    }
  }

  /** The dot product of `vector` (from `offset`, `dim` long) with item `item`'s unit embedding. */
  dot(vector: Float32Array, offset: number, item: number): number {
    return dotRow(vector, offset, this.unit, item * this.dim, this.dim);
  }
}

/** `recent` with `item` appended as the newest (the oldest slot dropped). */
export function pushRecent(recent: Int32Array, item: number): void {
  recent.copyWithin(0, 1);
  recent[recent.length - 1] = item;
}

/** The Euclidean length of `v`. */
export function norm(v: Float32Array): number {
  let s = 0;
  for (let k = 0; k < v.length; k++) s += v[k] * v[k];
  return Math.sqrt(s);
}

function dotRow(a: Float32Array, aOffset: number, b: Float32Array, bOffset: number, length: number): number {
  let s = 0;
  for (let c = 0; c < length; c++) s += a[aOffset + c] * b[bOffset + c];
  return s;
}
