// Where each number of an update sits in the vector a device masks, and how the edge reads a sum back.
//
// The weight goes inside the masked vector, so the edge gets Σ w_i x_i and Σ w_i and can form the same
// weighted mean FedAvg forms in the clear, without seeing any w_i. Each tensor's values are encoded as
// w x / W, with W a public weight cap (a device's weight is at most W), so they stay within the codec's
// range whatever the weight; the weight itself is encoded as R w / W.
//
// Sparse-row tensors (an embedding table, which a recommender's device touches only at its items) can be
// laid out `rowWeighted`: the whole table is encoded, zeros where the device has no row, and one more word
// per row holds that row's weight (its `rowWeights` entry, else the update's weight; 0 for rows it did not
// touch). Every device's vector has the same length and, once masked, is uniform, so the edge cannot tell
// which rows a device touched. From the sum it reads each row's weighted mean over the devices that held
// it, as the plaintext sparse weighted mean computes, and the per-row weight totals: how much of the region
// touched each item (an item-popularity histogram of the sum, never of one device). Tensors not row-
// weighted are summed dense, an absent row counting as zero: what DP-FedAvg needs, whose noise must cover
// every coordinate and whose row counts would otherwise escape the noise.
//
// Metrics ride in the vector too, one word each, so the edge gets their sums (as the plaintext path sums
// them) without any device's value: a loss sum, or the adaptive-clipping report (dp/adaptive-clip-norm.ts).
// Each has a public bound B and is encoded as R v / B; values beyond it are clipped like any other.

import { elementCount, rowSize, type ModelUpdate, type SparseRows, type TensorValue } from '../../fl/model.js';
import { InvalidUpdateError } from '../../errors.js';
import type { FixedPointCodec } from './fixed-point-codec.js';

export interface MaskedTensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** Encode per-row weights (and read a per-row weighted mean back), for sparse-row tensors. */
  readonly rowWeighted: boolean;
}

/** A metric summed under the mask; |value| <= bound on every device. */
export interface MaskedMetricSpec {
  readonly name: string;
  readonly bound: number;
}

/** What the edge learns from a round: the sums, and the weighted mean they give. */
export interface SecureAggregate {
  /** Σ w_i Δ_i per tensor, dense. */
  readonly weightedSum: Map<string, Float32Array>;
  /** Σ of each row's weight, for row-weighted tensors. */
  readonly rowWeightSums: Map<string, Float32Array>;
  /** Σ w_i. */
  readonly weight: number;
  /** The weighted mean as the plaintext weighted mean gives it (rows nobody held left out of sparse tensors);
   * its metrics are the sums of the layout's metrics. */
  readonly mean: ModelUpdate;
  /** The number of inputs in the sum. */
  readonly parties: number;
}

interface Slot {
  readonly spec: MaskedTensorSpec;
  readonly offset: number;
  /** Where the per-row weights start (row-weighted tensors), else -1. */
  readonly rowWeightOffset: number;
}

export class MaskedVectorLayout {
  readonly length: number;
  private readonly slots: Slot[] = [];
  private readonly weightOffset: number;

  constructor(
    readonly tensors: readonly MaskedTensorSpec[],
    readonly weightCap: number,
    readonly codec: FixedPointCodec,
    readonly metrics: readonly MaskedMetricSpec[] = [],
  ) {
    if (!(weightCap > 0 && Number.isFinite(weightCap))) throw new RangeError(`weightCap must be > 0 and finite, got ${weightCap}`);
    let offset = 0;
    for (const spec of tensors) {
      const size = elementCount(spec.shape);
      const rowWeightOffset = spec.rowWeighted ? offset + size : -1;
      this.slots.push({ spec, offset, rowWeightOffset });
      offset += size + (spec.rowWeighted ? spec.shape[0] : 0);
    }
    for (const { name, bound } of metrics) {
      if (!(bound > 0 && Number.isFinite(bound))) throw new RangeError(`metric ${name}: bound must be > 0 and finite, got ${bound}`);
    }
    this.weightOffset = offset;
    this.length = offset + 1 + metrics.length;
  }

  /** The update as fixed-point words (unmasked). Throws InvalidUpdateError on a tensor the layout lacks or a bad weight. */
  encode(update: ModelUpdate): { words: Uint32Array; clipped: number } {
    const { weightCap, codec } = this;
    if (!(update.weight >= 0 && update.weight <= weightCap)) {
      throw new InvalidUpdateError(
        'malformed',
        `update weight ${update.weight} is outside [0, ${weightCap}] (the secure-aggregation weight cap)`,
      );
    }
    for (const name of update.delta.keys()) {
      if (!this.slots.some((s) => s.spec.name === name)) {
        throw new InvalidUpdateError('unknown_tensor', `tensor ${name} is not in the secure-aggregation layout`);
      }
    }
    const words = new Uint32Array(this.length);
    const w = update.weight / weightCap;
    let clipped = 0;
    for (const { spec, offset, rowWeightOffset } of this.slots) {
      const tensor = update.delta.get(spec.name);
      if (!tensor) continue;
      if (tensor.shape.length !== spec.shape.length || tensor.shape.some((d, i) => d !== spec.shape[i])) {
        throw new InvalidUpdateError(
          'shape',
          `tensor ${spec.name} has shape [${tensor.shape.join(', ')}], the layout [${spec.shape.join(', ')}]`,
        );
      }
      const width = rowSize(spec.shape);
      const rowCount = spec.shape[0];
      const values = new Float64Array(elementCount(spec.shape));
      const rowWeights = new Float64Array(rowCount);
      for (const [k, row] of rowsOf(tensor, rowCount)) {
        const rw = tensor.kind === 'sparse' && tensor.rowWeights && spec.rowWeighted ? tensor.rowWeights[k] : update.weight;
        if (!(rw >= 0 && rw <= weightCap)) {
          throw new InvalidUpdateError('malformed', `tensor ${spec.name} row ${row} weight ${rw} is outside [0, ${weightCap}]`);
        }
        const factor = spec.rowWeighted ? rw / weightCap : w;
        for (let c = 0; c < width; c++) values[row * width + c] = factor * tensor.values[k * width + c];
        rowWeights[row] = (codec.clipRange * rw) / weightCap;
      }
      clipped += codec.encodeInto(words, offset, values);
      if (spec.rowWeighted) codec.encodeInto(words, rowWeightOffset, rowWeights);
    }
    codec.encodeInto(words, this.weightOffset, [codec.clipRange * w]);
    const metricValues = this.metrics.map(({ name, bound }) => (codec.clipRange * (update.metrics[name] ?? 0)) / bound);
    clipped += codec.encodeInto(words, this.weightOffset + 1, metricValues);
    return { words, clipped };
  }

  /** Reads the sum of `parties` encoded vectors (masks removed). */
  decodeSum(words: Uint32Array, parties: number): SecureAggregate {
    if (words.length !== this.length) throw new RangeError(`a sum of this layout is ${this.length} words, got ${words.length}`);
    const { weightCap, codec } = this;
    const fromWeight = weightCap / codec.clipRange;
    const weight = codec.decode(words[this.weightOffset]) * fromWeight;
    const weightedSum = new Map<string, Float32Array>();
    const rowWeightSums = new Map<string, Float32Array>();
    const delta = new Map<string, TensorValue>();
    for (const { spec, offset, rowWeightOffset } of this.slots) {
      const size = elementCount(spec.shape);
      // Sums in float64 and one rounding to float32 at the end, so float32 adds nothing to the codec's error.
      const sum = new Float64Array(size);
      for (let i = 0; i < size; i++) sum[i] = codec.decode(words[offset + i]) * weightCap;
      weightedSum.set(spec.name, Float32Array.from(sum));
      if (!spec.rowWeighted) {
        const mean = Float32Array.from(sum, (v) => (weight > 0 ? v / weight : 0));
        delta.set(spec.name, { kind: 'dense', shape: [...spec.shape], values: mean });
        continue;
      }
      const sums = new Float64Array(spec.shape[0]);
      for (let r = 0; r < sums.length; r++) sums[r] = codec.decode(words[rowWeightOffset + r]) * fromWeight;
      rowWeightSums.set(spec.name, Float32Array.from(sums));
      delta.set(spec.name, rowWeightedMean(spec.shape, sum, sums, words, rowWeightOffset));
    }
    const metrics: Record<string, number> = {};
    this.metrics.forEach(({ name, bound }, i) => {
      metrics[name] = (codec.decode(words[this.weightOffset + 1 + i]) * bound) / codec.clipRange;
    });
    return { weightedSum, rowWeightSums, weight, mean: { delta, weight, metrics }, parties };
  }
}

/** [index in the tensor's rows, row of the table] for every row the tensor holds. */
function* rowsOf(tensor: TensorValue, rowCount: number): Generator<[number, number]> {
  if (tensor.kind === 'dense') {
    for (let r = 0; r < rowCount; r++) yield [r, r];
    return;
  }
  for (let k = 0; k < tensor.rows.length; k++) {
    if (tensor.rows[k] >= rowCount) throw new InvalidUpdateError('shape', `row ${tensor.rows[k]} is outside a table of ${rowCount} rows`);
    yield [k, tensor.rows[k]];
  }
}

/**
 * The per-row mean as sparse rows: rows whose weight word is exactly zero (no device held them: zeros
 * encode exactly and the masks cancel exactly) are left out, as the plaintext sparse mean leaves them out.
 */
function rowWeightedMean(
  shape: readonly number[],
  sum: Float64Array,
  rowWeights: Float64Array,
  words: Uint32Array,
  rowWeightOffset: number,
): SparseRows {
  const width = rowSize(shape);
  const held: number[] = [];
  for (let r = 0; r < rowWeights.length; r++) if (words[rowWeightOffset + r] !== 0) held.push(r);
  const rows = Uint32Array.from(held);
  const values = new Float32Array(rows.length * width);
  const weights = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k];
    weights[k] = rowWeights[r];
    const scale = rowWeights[r] > 0 ? 1 / rowWeights[r] : 0;
    for (let c = 0; c < width; c++) values[k * width + c] = sum[r * width + c] * scale;
  }
  return { kind: 'sparse', shape: [...shape], rows, values, rowWeights: weights };
}
