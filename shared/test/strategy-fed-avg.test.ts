import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FedAvg, InvalidUpdateError, dense, type ModelParams } from '../src/index.js';
import { assertClose, denseOf, rowsOf, sparseOf, update, vec } from './aggregation-fixtures.js';

test('fedavg: dense tensors by the mean weighted by sample count; weights and metrics summed', () => {
  const combined = new FedAvg().aggregate([
    update(1, { w: vec([1, 2, 3]), b: vec([0, 4], [2, 1]) }, { loss: 0.5, count: 1 }),
    update(3, { w: vec([5, 6, 7]), b: vec([8, 0], [2, 1]) }, { loss: 1.5 }),
  ]);
  // w: (1*1 + 3*5)/4 = 4, (1*2 + 3*6)/4 = 5, (1*3 + 3*7)/4 = 6
  assertClose(denseOf(combined, 'w'), [4, 5, 6]);
  // b: (1*0 + 3*8)/4 = 6, (1*4 + 3*0)/4 = 1; shape kept
  assertClose(denseOf(combined, 'b'), [6, 1]);
  assert.deepEqual(combined.delta.get('b')?.shape, [2, 1]);
  assert.equal(combined.weight, 4);
  assert.deepEqual(combined.metrics, { loss: 2, count: 1 });
});

test('fedavg: sparse rows are averaged per row over the updates holding the row, by row weights', () => {
  const shape = [4, 2];
  const combined = new FedAvg().aggregate([
    // no row weights: each row counts as the update's weight, 10
    update(10, { items: rowsOf(shape, [0, 2], [1, 1, 2, 2]) }),
    // row weights override the update weight: row 2 counts 10, row 3 counts 5
    update(30, { items: rowsOf(shape, [2, 3], [6, 6, 4, -4], [10, 5]) }),
  ]);
  const items = sparseOf(combined, 'items');
  assert.deepEqual([...items.rows], [0, 2, 3]);
  // row 0: only the first, [1, 1]; row 2: (10*2 + 10*6)/20 = 4; row 3: only the second, [4, -4]
  assertClose(items.values, [1, 1, 4, 4, 4, -4]);
  // summed row weights, for the next tier: 10, 10 + 10, 5
  assertClose(items.rowWeights ?? [], [10, 20, 5]);
  assert.equal(combined.weight, 40);
});

test('fedavg: a tensor dense in one update and sparse in another: the dense one holds every row', () => {
  const shape = [3, 1];
  const combined = new FedAvg().aggregate([update(1, { t: vec([1, 2, 3], shape) }), update(3, { t: rowsOf(shape, [1], [5]) })]);
  const t = sparseOf(combined, 't');
  assert.deepEqual([...t.rows], [0, 1, 2]);
  // row 0: 1; row 1: (1*2 + 3*5)/4 = 4.25; row 2: 3
  assertClose(t.values, [1, 4.25, 3]);
  assertClose(t.rowWeights ?? [], [1, 4, 1]);
});

test('fedavg: a tensor missing from an update is averaged over the updates that have it', () => {
  const combined = new FedAvg().aggregate([update(1, { a: vec([2]), b: vec([7]) }), update(1, { a: vec([4]) })]);
  assertClose(denseOf(combined, 'a'), [3]);
  assertClose(denseOf(combined, 'b'), [7]);
});

test('fedavg: updates that weigh nothing give a zero delta', () => {
  const combined = new FedAvg().aggregate([update(0, { a: vec([2, 5]) }), update(0, { a: vec([4, 1]) })]);
  assertClose(denseOf(combined, 'a'), [0, 0]);
  assert.equal(combined.weight, 0);
});

test('fedavg: an empty list, mismatched shapes and malformed updates are rejected', () => {
  const fedAvg = new FedAvg();
  assert.throws(() => fedAvg.aggregate([]), RangeError);
  assert.throws(
    () => fedAvg.aggregate([update(1, { a: vec([1, 2]) }), update(1, { a: vec([1, 2, 3]) })]),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'shape' && /\[2\]/.test(e.message) && /\[3\]/.test(e.message),
  );
  assert.throws(
    () => fedAvg.aggregate([update(1, { a: { kind: 'dense', shape: [3], values: new Float32Array(2) } })]),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'shape',
  );
  assert.throws(
    () => fedAvg.aggregate([update(1, { a: rowsOf([4, 1], [2, 1], [1, 1]) })]),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'malformed',
  );
  assert.throws(
    () => fedAvg.aggregate([update(1, { a: rowsOf([4, 1], [4], [1]) })]),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'malformed',
  );
  assert.throws(
    () => fedAvg.aggregate([update(1, { a: rowsOf([4, 1], [0, 1], [1, 1], [1]) })]),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'shape',
  );
  assert.throws(
    () => fedAvg.aggregate([update(-1, { a: vec([1]) })]),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'malformed' && /-1/.test(e.message),
  );
});

test('fedavg: apply adds serverLr times the delta, dense and sparse, in place', () => {
  const model: ModelParams = new Map([
    ['w', vec([1, 1, 1])],
    ['table', dense([3, 2])],
  ]);
  const returned = new FedAvg({ serverLr: 0.5 }).apply(
    model,
    update(2, {
      w: vec([2, 4, -2]),
      table: rowsOf([3, 2], [1], [1, 2]),
    }),
  );
  assert.equal(returned, model);
  // 1 + 0.5*2, 1 + 0.5*4, 1 + 0.5*(-2)
  assertClose(model.get('w')?.values ?? [], [2, 3, 0]);
  // only row 1 moves: 0.5*[1, 2]
  assertClose(model.get('table')?.values ?? [], [0, 0, 0.5, 1, 0, 0]);
});

test('fedavg: apply rejects an unknown tensor or a wrong shape and leaves the model untouched', () => {
  const model: ModelParams = new Map([['w', vec([1, 1])]]);
  const fedAvg = new FedAvg();
  assert.throws(
    () => fedAvg.apply(model, update(1, { w: vec([5, 5]), extra: vec([1]) })),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'unknown_tensor' && /extra/.test(e.message),
  );
  assert.throws(
    () => fedAvg.apply(model, update(1, { w: vec([5, 5, 5]) })),
    (e: unknown) => e instanceof InvalidUpdateError && e.reason === 'shape',
  );
  assertClose(model.get('w')?.values ?? [], [1, 1]);
  assert.deepEqual(fedAvg.clientOptions(), {});
});
