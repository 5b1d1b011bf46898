import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrimmedMean } from '../src/index.js';
import { assertClose, denseOf, rowsOf, sparseOf, update, vec } from './aggregation-fixtures.js';

test('trimmed mean: drops floor(beta * n) values from each end of each coordinate, unweighted', () => {
  const combined = new TrimmedMean({ beta: 0.2 }).aggregate([
    update(1, { w: vec([1, -1000]) }),
    update(1, { w: vec([2, 0]) }),
    update(1, { w: vec([3, 1]) }),
    update(1, { w: vec([4, 2]) }),
    update(99, { w: vec([1000, 3]) }),
  ]);
  // n = 5, trim 1 from each end: {1, 2, 3, 4, 1000} -> (2 + 3 + 4)/3 = 3; {-1000, 0, 1, 2, 3} -> (0 + 1 + 2)/3 = 1
  assertClose(denseOf(combined, 'w'), [3, 1]);
  assert.equal(combined.weight, 103);
});

test('trimmed mean: with floor(beta * n) = 0 it is the plain unweighted mean', () => {
  // beta 0.2 (the default), n = 4: nothing trimmed; (1 + 2 + 3 + 6)/4 = 3 whatever the weights
  const combined = new TrimmedMean().aggregate([1, 2, 3, 6].map((x, i) => update(1 + 10 * i, { w: vec([x]) })));
  assertClose(denseOf(combined, 'w'), [3]);
});

test("trimmed mean: sparse rows trim per row by that row's number of holders", () => {
  const shape = [2, 1];
  const combined = new TrimmedMean({ beta: 0.25, minRowSupport: 2 }).aggregate([
    update(1, { t: rowsOf(shape, [0, 1], [10, 1]) }),
    update(1, { t: rowsOf(shape, [0], [20]) }),
    update(1, { t: rowsOf(shape, [0], [30]) }),
    update(1, { t: rowsOf(shape, [0, 1], [-500, 3]) }),
  ]);
  const t = sparseOf(combined, 't');
  // row 0: 4 holders, trim floor(0.25*4) = 1: {-500, 10, 20, 30} -> (10 + 20)/2 = 15
  // row 1: 2 holders, trim floor(0.25*2) = 0: {1, 3} -> 2
  assertClose(t.values, [15, 2]);
  assertClose(t.rowWeights ?? [], [4, 2]);
});

test('trimmed mean: an outlier among honest updates is trimmed away', () => {
  const combined = new TrimmedMean({ beta: 0.2 }).aggregate([
    ...[0.9, 1, 1, 1.1].map((x) => update(5, { w: vec([x, x]) })),
    update(5, { w: vec([1e6, -1e6]) }),
  ]);
  // {0.9, 1, 1, 1.1, 1e6} -> (1 + 1 + 1.1)/3 = 1.033333; {-1e6, 0.9, 1, 1, 1.1} -> (0.9 + 1 + 1)/3 = 0.966667
  assertClose(denseOf(combined, 'w'), [1.033333, 0.966667]);
});
