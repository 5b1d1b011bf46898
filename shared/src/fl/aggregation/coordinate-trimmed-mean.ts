// Coordinate-wise robust means (Yin et al. 2018, "Byzantine-Robust Distributed Learning"): for each
// coordinate, sort the values the inputs give it, drop `trim` from each end and average the rest.
// trim = floor((n - 1) / 2) gives the median (the middle value, or the mean of the two middle ones);
// trim = floor(beta * n) the beta-trimmed mean. Unweighted on purpose: with weights, one input could buy
// influence by claiming a large sample count, which is what these statistics exist to resist.

import { dense, elementCount, rowSize, type TensorValue } from '../model.js';
import { unionRows } from './row-union.js';
import { asSparseRows, type TensorGroup } from './tensor-groups.js';

/** How many values to drop from each end when a coordinate has `count` values. */
export type TrimRule = (count: number) => number;

/** Up to this many values per coordinate, an inline insertion sort beats a typed-array sort call. */
const INSERTION_SORT_MAX = 64;

/**
 * out[outStart + c] = trimmed mean over q < count of sources[q][starts[q] + c], for c < length.
 * `scratch` holds at least `count` values.
 */
export function trimmedMeanInto(
  out: Float32Array,
  outStart: number,
  sources: readonly Float32Array[],
  starts: ArrayLike<number>,
  count: number,
  length: number,
  trim: number,
  scratch: Float64Array,
): void {
  const keep = count - 2 * trim;
  if (!Number.isInteger(trim) || trim < 0 || keep < 1) {
    throw new RangeError(`cannot trim ${trim} values from each end of ${count}`);
  }
  const sorted = scratch.subarray(0, count);
  for (let c = 0; c < length; c++) {
    if (count <= INSERTION_SORT_MAX) {
      for (let q = 0; q < count; q++) {
        const x = sources[q][starts[q] + c];
        let j = q - 1;
        while (j >= 0 && sorted[j] > x) {
          sorted[j + 1] = sorted[j];
          j--;
        }
        sorted[j + 1] = x;
      }
    } else {
      for (let q = 0; q < count; q++) sorted[q] = sources[q][starts[q] + c];
      sorted.sort();
    }
    let sum = 0;
    for (let j = trim; j < count - trim; j++) sum += sorted[j];
    out[outStart + c] = sum / keep;
  }
}

/**
 * One tensor's trimmed mean: coordinate-wise over all updates when every update sent it dense, else per
 * row over the updates holding the row (a dense entry holds every row), each row's weight being the sum
 * of its holders' row weights (or update weights), as for the weighted mean. A row held by fewer than
 * `minRowSupport` updates is left out of the result (the model keeps that row this time): otherwise the
 * median of a row only one device sent is that device's value, whatever it is.
 */
export function trimmedMeanTensor(group: TensorGroup, trimFor: TrimRule, minRowSupport = 1): TensorValue {
  const n = group.values.length;
  const scratch = new Float64Array(n);
  if (group.values.every((t) => t.kind === 'dense')) {
    const out = new Float32Array(elementCount(group.shape));
    trimmedMeanInto(
      out,
      0,
      group.values.map((t) => t.values),
      new Int32Array(n),
      n,
      out.length,
      trimFor(n),
      scratch,
    );
    return dense(group.shape, out);
  }

  const inputs = group.values.map(asSparseRows);
  const width = rowSize(group.shape);
  const { rows, offsets, holderInput, holderRow } = unionRows(
    inputs.map((t) => t.rows),
    group.shape[0],
  );
  const supported: number[] = [];
  for (let u = 0; u < rows.length; u++) if (offsets[u + 1] - offsets[u] >= minRowSupport) supported.push(u);
  const keptRows = Uint32Array.from(supported, (u) => rows[u]);
  const values = new Float32Array(supported.length * width);
  const rowWeights = new Float32Array(supported.length);
  const sources: Float32Array[] = [];
  const starts = new Int32Array(n);
  for (const [out, u] of supported.entries()) {
    const count = offsets[u + 1] - offsets[u];
    let weight = 0;
    for (let q = 0; q < count; q++) {
      const i = holderInput[offsets[u] + q];
      const k = holderRow[offsets[u] + q];
      sources[q] = inputs[i].values;
      starts[q] = k * width;
      weight += inputs[i].rowWeights?.[k] ?? group.weights[i];
    }
    rowWeights[out] = weight;
    trimmedMeanInto(values, out * width, sources, starts, count, width, trimFor(count), scratch);
  }
  return { kind: 'sparse', shape: [...group.shape], rows: keptRows, values, rowWeights };
}
