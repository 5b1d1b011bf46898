// The weighted mean of sparse-row tensors, per row over only the inputs that hold the row. A row's weight
// in an input is its `rowWeights` entry when present (e.g. how many interactions touched an embedding
// row), else the input's weight. The result keeps the summed weight of each row as its `rowWeights`, so a
// higher tier weights the rows again by how much lies behind them.

import { rowSize, type SparseRows } from '../model.js';
import { unionRows } from './row-union.js';

/**
 * Combines `inputs` (all of `shape`) with update weights `weights`. The output rows are the sorted union
 * of the input rows. A row whose weights sum to zero comes out as zeros with weight zero.
 */
export function sparseWeightedMean(shape: readonly number[], inputs: readonly SparseRows[], weights: readonly number[]): SparseRows {
  const width = rowSize(shape);
  const { rows, offsets, holderInput, holderRow } = unionRows(
    inputs.map((t) => t.rows),
    shape[0],
  );
  const values = new Float32Array(rows.length * width);
  const rowWeights = new Float32Array(rows.length);
  for (let u = 0; u < rows.length; u++) {
    const to = u * width;
    let total = 0;
    for (let h = offsets[u]; h < offsets[u + 1]; h++) {
      const input = inputs[holderInput[h]];
      const k = holderRow[h];
      const w = input.rowWeights ? input.rowWeights[k] : weights[holderInput[h]];
      total += w;
      const source = input.values;
      const from = k * width;
      for (let c = 0; c < width; c++) values[to + c] += w * source[from + c];
    }
    const scale = total > 0 ? 1 / total : 0;
    for (let c = 0; c < width; c++) values[to + c] *= scale;
    rowWeights[u] = total;
  }
  return { kind: 'sparse', shape: [...shape], rows, values, rowWeights };
}
