// Small builders and checks shared by the strategy and aggregation tests.

import assert from 'node:assert/strict';
import { dense, type DenseTensor, type ModelUpdate, type SparseRows, type TensorValue } from '../src/index.js';

/** A dense tensor of shape [values.length] (or `shape`). */
export function vec(values: readonly number[], shape: readonly number[] = [values.length]): DenseTensor {
  return dense(shape, Float32Array.from(values));
}

/** Sparse rows of a [tableRows, width] table; `values` row after row. */
export function rowsOf(
  shape: readonly number[],
  rows: readonly number[],
  values: readonly number[],
  rowWeights?: readonly number[],
): SparseRows {
  return {
    kind: 'sparse',
    shape,
    rows: Uint32Array.from(rows),
    values: Float32Array.from(values),
    ...(rowWeights ? { rowWeights: Float32Array.from(rowWeights) } : {}),
  };
}

export function update(weight: number, tensors: Record<string, TensorValue>, metrics: Record<string, number> = {}): ModelUpdate {
  return { delta: new Map(Object.entries(tensors)), weight, metrics };
}

export function denseOf(u: ModelUpdate, name: string): Float32Array {
  const t = u.delta.get(name);
  if (t?.kind !== 'dense') assert.fail(`tensor ${name} should be dense, is ${t?.kind}`);
  return t.values;
}

export function sparseOf(u: ModelUpdate, name: string): SparseRows {
  const t = u.delta.get(name);
  if (t?.kind !== 'sparse') assert.fail(`tensor ${name} should be sparse rows, is ${t?.kind}`);
  return t;
}

/** Element-wise |actual - expected| <= tolerance (float32 results against numbers worked out by hand). */
export function assertClose(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `${what}[${i}] = ${actual[i]}, expected ${expected[i]} (tolerance ${tolerance})`,
    );
  }
}
