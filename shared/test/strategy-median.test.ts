import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Median } from '../src/index.js';
import { assertClose, denseOf, rowsOf, sparseOf, update, vec } from './aggregation-fixtures.js';

test('median: coordinate-wise, unweighted, the middle value or the mean of the two middle values', () => {
  const median = new Median();
  // three updates: per coordinate {1, 2, 100} -> 2 and {10, 20, -50} -> 10; the big weight buys nothing
  const odd = median.aggregate([
    update(1, { w: vec([1, 10]) }, { loss: 1 }),
    update(1, { w: vec([2, 20]) }, { loss: 2 }),
    update(1000, { w: vec([100, -50]) }, { loss: 3 }),
  ]);
  assertClose(denseOf(odd, 'w'), [2, 10]);
  assert.equal(odd.weight, 1002);
  assert.deepEqual(odd.metrics, { loss: 6 });
  // four updates: {1, 2, 3, 100} -> (2 + 3)/2 = 2.5
  const even = median.aggregate([1, 100, 3, 2].map((x) => update(1, { w: vec([x]) })));
  assertClose(denseOf(even, 'w'), [2.5]);
});

test('median: sparse rows per row over the updates holding the row; rows with fewer than minRowSupport holders are left alone', () => {
  const shape = [3, 1];
  const updates = [
    update(1, { t: rowsOf(shape, [0, 1], [1, 5]) }),
    update(2, { t: rowsOf(shape, [1], [7]) }),
    update(1, { t: rowsOf(shape, [1, 2], [100, 3]) }),
  ];
  // The default (3): only row 1 has three holders; a row one device sent is not that device's to decide.
  const supported = sparseOf(new Median().aggregate(updates), 't');
  assert.deepEqual([...supported.rows], [1]);
  assertClose(supported.values, [7]);
  const combined = new Median({ minRowSupport: 1 }).aggregate([
    update(1, { t: rowsOf(shape, [0, 1], [1, 5]) }),
    update(2, { t: rowsOf(shape, [1], [7]) }),
    update(1, { t: rowsOf(shape, [1, 2], [100, 3]) }),
  ]);
  const t = sparseOf(combined, 't');
  assert.deepEqual([...t.rows], [0, 1, 2]);
  // row 0: {1} -> 1; row 1: {5, 7, 100} -> 7; row 2: {3} -> 3
  assertClose(t.values, [1, 7, 3]);
  // summed weights of the holders: 1, 1 + 2 + 1, 1
  assertClose(t.rowWeights ?? [], [1, 4, 1]);
});

test('median: one outlier among honest updates does not move the result', () => {
  const honest = [
    [1, 1],
    [1.1, 0.9],
    [0.9, 1.1],
    [1, 1.2],
  ];
  const combined = new Median().aggregate([...honest.map((v) => update(10, { w: vec(v) })), update(10, { w: vec([1e6, -1e6]) })]);
  // per coordinate {0.9, 1, 1, 1.1, 1e6} -> 1 and {-1e6, 0.9, 1, 1.1, 1.2} -> 1
  assertClose(denseOf(combined, 'w'), [1, 1]);
});
