// A targeted item-promotion attack on a recommender's item table, and its success metric. The attacker aims the
// target item's row at where users are: the centroid of the rows of the items the global model recommends to
// the attacker itself (its own top-K: items near a real user, and in popularity-skewed data near most users),
// scaled by `strength` (model replacement: the row is averaged with the honest devices that touch it, so the
// attacker overshoots). Rejected: the centroid of the largest rows, because in BPR-MF the long tail, pushed
// away from every user as sampled negatives, holds the largest rows (the attack then sank the target).

import { ConfigError, type DeviceTrainer, type ModelParams, type SparseRows, type TensorValue } from '@strata/shared';

export interface PromotionSpec {
  /** The tensor holding one row per item (for BPR-MF `item_embedding`, [items, dim]). */
  readonly tensor: string;
  readonly targetItem: number;
  /** The items whose rows stand for where users are (the attacker's own recommendations). */
  readonly anchors: Int32Array;
  /** The row the attacker asks for is `strength` × the anchors' centroid. */
  readonly strength: number;
}

/** The centroid of the `anchors` rows of `table` ([rows, dim]), the target's own row left out. */
export function anchorCentroid(table: Float32Array, dim: number, spec: PromotionSpec): Float32Array {
  const anchors = [...spec.anchors].filter((row) => row !== spec.targetItem);
  const centroid = new Float32Array(dim);
  for (const r of anchors) for (let c = 0; c < dim; c++) centroid[c] += table[r * dim + c] / anchors.length;
  return centroid;
}

/**
 * `delta` with the target row's delta replaced so that the row would become strength × the anchors'
 * centroid in `model`. A sparse tensor gains the row if the honest update did not touch it, with the largest row
 * weight the update already claims (a weight the edge accepts from this device).
 */
export function promoteItem(model: ModelParams, delta: Map<string, TensorValue>, spec: PromotionSpec): Map<string, TensorValue> {
  const table = model.get(spec.tensor);
  if (table?.shape.length !== 2) {
    throw new ConfigError(
      `promote-item needs a [items, dim] tensor "${spec.tensor}" in the model, got ${table ? `[${table.shape}]` : 'none'}`,
    );
  }
  const [numItems, dim] = table.shape;
  if (spec.targetItem >= numItems) throw new ConfigError(`promote-item targetItem ${spec.targetItem} is out of range [0, ${numItems})`);
  const centroid = anchorCentroid(table.values, dim, spec);
  const rowDelta = Float32Array.from(centroid, (v, c) => spec.strength * v - table.values[spec.targetItem * dim + c]);
  const current = delta.get(spec.tensor);
  return new Map(delta).set(
    spec.tensor,
    current ? withRow(current, spec.targetItem, rowDelta) : sparseRow(table.shape, spec.targetItem, rowDelta),
  );
}

function sparseRow(shape: readonly number[], row: number, values: Float32Array): SparseRows {
  return { kind: 'sparse', shape, rows: Uint32Array.of(row), values, rowWeights: Float32Array.of(1) };
}

/** `tensor` with row `row` set to `values` (a sparse tensor gains the row, kept in ascending order). */
function withRow(tensor: TensorValue, row: number, values: Float32Array): TensorValue {
  const dim = values.length;
  if (tensor.kind === 'dense') {
    const out = tensor.values.slice();
    out.set(values, row * dim);
    return { ...tensor, values: out };
  }
  let at = tensor.rows.findIndex((r) => r >= row);
  if (at < 0) at = tensor.rows.length;
  const present = tensor.rows[at] === row;
  const rows = present ? tensor.rows.slice() : Uint32Array.from([...tensor.rows.subarray(0, at), row, ...tensor.rows.subarray(at)]);
  const out = new Float32Array(rows.length * dim);
  out.set(tensor.values.subarray(0, at * dim));
  out.set(values, at * dim);
  out.set(tensor.values.subarray((present ? at + 1 : at) * dim), (at + 1) * dim);
  if (!tensor.rowWeights) return { ...tensor, rows, values: out };
  const claimed = tensor.rowWeights.reduce((most, w) => Math.max(most, w), 1);
  const rowWeights = present
    ? tensor.rowWeights.slice()
    : Float32Array.from([...tensor.rowWeights.subarray(0, at), claimed, ...tensor.rowWeights.subarray(at)]);
  if (present) rowWeights[at] = claimed;
  return { ...tensor, rows, values: out, rowWeights };
}

/**
 * The share of `devices` (the honest users) whose top `k` under `model` holds `targetItem`; devices that
 * cannot rank (no topK) are not counted. NaN when none can.
 */
export async function targetHitRate(devices: readonly DeviceTrainer[], model: ModelParams, targetItem: number, k: number): Promise<number> {
  let ranked = 0;
  let hits = 0;
  for (const device of devices) {
    if (!device.topK) continue;
    ranked++;
    if ((await device.topK(model, k)).includes(targetItem)) hits++;
  }
  return ranked === 0 ? Number.NaN : hits / ranked;
}
