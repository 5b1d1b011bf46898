// Squared Euclidean distance between two values of one tensor, for Krum. Sparse rows count as the dense
// tensor they stand for, zeros in the rows they leave out: an update that did not touch a row moved it by
// zero, so an attacker cannot hide a large change by sending it as a sparse row.

import type { SparseRows, TensorValue } from '../model.js';
import { asSparseRows } from './tensor-groups.js';

function squaredNorm(values: Float32Array, from: number, to: number): number {
  let sum = 0;
  for (let j = from; j < to; j++) sum += values[j] * values[j];
  return sum;
}

/** Walks both sorted row lists together: shared rows by difference, rows held by one side by its norm. */
function sparseSquaredDistance(a: SparseRows, b: SparseRows, width: number): number {
  let sum = 0;
  let i = 0;
  let j = 0;
  while (i < a.rows.length || j < b.rows.length) {
    const ra = i < a.rows.length ? a.rows[i] : Infinity;
    const rb = j < b.rows.length ? b.rows[j] : Infinity;
    if (ra === rb) {
      const pa = i * width;
      const pb = j * width;
      for (let c = 0; c < width; c++) {
        const d = a.values[pa + c] - b.values[pb + c];
        sum += d * d;
      }
      i++;
      j++;
    } else if (ra < rb) {
      sum += squaredNorm(a.values, i * width, (i + 1) * width);
      i++;
    } else {
      sum += squaredNorm(b.values, j * width, (j + 1) * width);
      j++;
    }
  }
  return sum;
}

/** ||a - b||² where `undefined` is a tensor the update does not hold (all zeros). Shapes must match. */
export function squaredDistance(a: TensorValue | undefined, b: TensorValue | undefined, width: number): number {
  if (!a || !b) {
    const present = a ?? b;
    return present ? squaredNorm(present.values, 0, present.values.length) : 0;
  }
  if (a.kind === 'dense' && b.kind === 'dense') {
    let sum = 0;
    for (let j = 0; j < a.values.length; j++) {
      const d = a.values[j] - b.values[j];
      sum += d * d;
    }
    return sum;
  }
  return sparseSquaredDistance(asSparseRows(a), asSparseRows(b), width);
}
