// The weighted mean of sparse-row tensors, per row over only the inputs that hold the row. A row's weight
// in an input is its `rowWeights` entry when present (e.g. how many interactions touched an embedding
// row), else the input's weight. An input's `zeroRows` (rows it changed but holds back) count as a zero
// change at their weight, in the rows others sent and as rows of their own. The result keeps the summed
// weight of each row as its `rowWeights` (held-back rows included), and the rows only held back as its
// `zeroRows`, so a higher tier weights the rows again by how much lies behind them.

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
  const held = heldWeights(shape[0], inputs, weights);
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
    if (held) {
      total += held[rows[u]];
      held[rows[u]] = 0;
    }
    const scale = total > 0 ? 1 / total : 0;
    for (let c = 0; c < width; c++) values[to + c] *= scale;
    rowWeights[u] = total;
  }
  const mean: SparseRows = { kind: 'sparse', shape: [...shape], rows, values, rowWeights };
  return held ? { ...mean, ...onlyHeldRows(held) } : mean;
}

/** Per row of the table, the summed weight of the inputs holding it back; undefined when none holds any. */
function heldWeights(rowCount: number, inputs: readonly SparseRows[], weights: readonly number[]): Float64Array | undefined {
  if (!inputs.some((t) => t.zeroRows && t.zeroRows.length > 0)) return undefined;
  const held = new Float64Array(rowCount);
  for (const [i, input] of inputs.entries()) {
    const zeroRows = input.zeroRows;
    if (!zeroRows) continue;
    for (let k = 0; k < zeroRows.length; k++) held[zeroRows[k]] += input.zeroRowWeights ? input.zeroRowWeights[k] : weights[i];
  }
  return held;
}

/** The rows with held-back weight left (no input sent them), and that weight. */
function onlyHeldRows(held: Float64Array): { zeroRows: Uint32Array; zeroRowWeights: Float32Array } {
  let count = 0;
  for (let r = 0; r < held.length; r++) if (held[r] > 0) count++;
  const zeroRows = new Uint32Array(count);
  const zeroRowWeights = new Float32Array(count);
  let k = 0;
  for (let r = 0; r < held.length; r++) {
    if (!(held[r] > 0)) continue;
    zeroRows[k] = r;
    zeroRowWeights[k++] = held[r];
  }
  return { zeroRows, zeroRowWeights };
}
