// The in-memory shapes of models and updates that the federated core works on. The wire codec turns these
// into protobuf Tensors and back; tasks and strategies only ever see these.

/** A dense float32 tensor. `values` is row-major with `shape`. */
export interface DenseTensor {
  readonly kind: 'dense';
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/**
 * Some rows of a tensor whose first axis indexes rows (an embedding table, a voxel grid). `rows` is
 * strictly increasing; `values` holds rows.length * rowSize(shape) floats. `rowWeights`, when present,
 * says how much each row counts in aggregation (observations behind it); otherwise every row counts as
 * the whole update's weight.
 */
export interface SparseRows {
  readonly kind: 'sparse';
  readonly shape: readonly number[];
  readonly rows: Uint32Array;
  readonly values: Float32Array;
  readonly rowWeights?: Float32Array;
  /**
   * Rows the sender changed but holds back (a pruned upload keeps their change for a later round): each
   * counts in a row's weighted mean as a zero change at the weight the sender would have given it, so the
   * rows it did send are not averaged over fewer senders than changed them. Strictly increasing, disjoint
   * from `rows`. Only the weighted mean (FedAvg) counts them; other rules ignore them.
   */
  readonly zeroRows?: Uint32Array;
  /** The weight of each of `zeroRows`; present exactly when `rowWeights` is (else the update's weight). */
  readonly zeroRowWeights?: Float32Array;
}

export type TensorValue = DenseTensor | SparseRows;

/** A full model: every tensor dense. Insertion order is the canonical tensor order. */
export type ModelParams = Map<string, DenseTensor>;

/** A delta against a model version (local model minus the model it started from). */
export interface ModelUpdate {
  readonly delta: Map<string, TensorValue>;
  /** Aggregation weight: the number of samples behind the update (summed when aggregated). */
  readonly weight: number;
  /** Metrics the producer reports (loss, ...); sums where they aggregate by addition. */
  readonly metrics: Record<string, number>;
}

/** Number of floats in one row of a tensor with this shape (product of all axes but the first). */
export function rowSize(shape: readonly number[]): number {
  let n = 1;
  for (let i = 1; i < shape.length; i++) n *= shape[i];
  return n;
}

/** Number of floats in a tensor with this shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function dense(shape: readonly number[], values?: Float32Array): DenseTensor {
  const n = elementCount(shape);
  if (values && values.length !== n) {
    throw new RangeError(`dense tensor of shape [${shape.join(', ')}] needs ${n} values, got ${values.length}`);
  }
  return { kind: 'dense', shape: [...shape], values: values ?? new Float32Array(n) };
}

/** A deep copy of a model, so the copy can be changed without touching the original. */
export function cloneModel(model: ModelParams): ModelParams {
  const out: ModelParams = new Map();
  for (const [name, t] of model) out.set(name, dense(t.shape, t.values.slice()));
  return out;
}

/** Total number of parameters in a model. */
export function parameterCount(model: ModelParams): number {
  let n = 0;
  for (const t of model.values()) n += t.values.length;
  return n;
}
