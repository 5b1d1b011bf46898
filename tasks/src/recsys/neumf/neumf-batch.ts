// A minibatch of NeuMF training samples for one user or many: labelled (user, item) pairs for the
// pointwise log loss, or (user, positive, negative) triples for BPR's pairwise loss.

export interface PointwiseBatch {
  readonly kind: 'pointwise';
  readonly users: Int32Array;
  readonly items: Int32Array;
  /** 1 for an observed interaction, 0 for a sampled negative. */
  readonly labels: Float32Array;
}

export interface PairwiseBatch {
  readonly kind: 'pairwise';
  readonly users: Int32Array;
  readonly positives: Int32Array;
  readonly negatives: Int32Array;
}

export type NeuMFBatch = PointwiseBatch | PairwiseBatch;
