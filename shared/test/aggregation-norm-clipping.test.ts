import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipToMedianNorm } from '../src/fl/aggregation/norm-clipping.js';
import { assertClose, denseOf, rowsOf, sparseOf, update, vec } from './aggregation-fixtures.js';

// One-wide rows, so a row's norm is its value's magnitude.
const table = (rows: readonly number[], values: readonly number[]) => rowsOf([10, 1], rows, values);

test('per-row stage: a row above factor × the median row norm is cut to it; the rest and the inputs are untouched', () => {
  const inputs = [update(1, { t: table([0, 1], [1, 2]) }), update(1, { t: table([0, 2], [1, 50]) }), update(1, { t: table([3], [-1]) })];
  const { updates, clipped, scaledTables } = clipToMedianNorm(inputs, 2);
  // Row norms 1, 2, 1, 50, 1: median 1, cap 2.
  assert.deepEqual([clipped, scaledTables], [1, 0]);
  assertClose(sparseOf(updates[1], 't').values, [1, 2]);
  assert.equal(updates[0], inputs[0], 'an update with nothing clipped is passed through');
  assertClose(sparseOf(inputs[1], 't').values, [1, 50], 0, 'the input');
});

test('per-update stage: a table scaled as a whole comes back to updateFactor × the median update scale, rows alike', () => {
  const honest = [1, 1.2, 0.8, 1.1].map((s) => update(1, { t: table([0, 1, 2], [s, 2 * s, 0.5 * s]) }));
  const attacker = update(1, { t: table([0, 1, 2], [100, 200, 50]) });
  const { updates, clipped, scaledTables } = clipToMedianNorm([...honest, attacker], 10, 3);
  // Update scales (median row norm): 1, 1.2, 0.8, 1.1, 100; their median 1.1, cap 3.3: the attacker × 0.033.
  assert.equal(scaledTables, 1);
  assertClose(sparseOf(updates[4], 't').values, [3.3, 6.6, 1.65], 1e-5);
  // The rows it left are within 10 × the median row norm: no row clipped after the first stage.
  assert.equal(clipped, 0);
  for (let i = 0; i < 4; i++) assert.equal(updates[i], honest[i]);
  // Row clipping alone would leave the attacker's rows at 10 × the median row norm (1.2 of the 15 rows): 12.
  const rowsOnly = clipToMedianNorm([...honest, attacker], 10);
  assertClose(sparseOf(rowsOnly.updates[4], 't').values, [12, 12, 12], 1e-5);
});

test('per-update stage leaves dense tensors to the per-tensor cap; a factor of 0 turns a stage off', () => {
  const inputs = [1, 2, 3].map((v) => update(1, { d: vec([v, 0]), t: table([0], [v]) }));
  inputs.push(update(1, { d: vec([40, 0]), t: table([0], [40]) }));
  const both = clipToMedianNorm(inputs, 10, 3);
  // Dense norms 1, 2, 3, 40: median 2.5, cap 25. Update scales of t: the same numbers, cap 7.5.
  assertClose(denseOf(both.updates[3], 'd'), [25, 0], 1e-5);
  assertClose(sparseOf(both.updates[3], 't').values, [7.5], 1e-5);
  const off = clipToMedianNorm(inputs, 0, 0);
  assert.deepEqual([off.clipped, off.scaledTables], [0, 0]);
  assert.deepEqual(off.updates, inputs);
});
