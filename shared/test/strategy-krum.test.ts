import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Krum } from '../src/index.js';
import { assertClose, denseOf, rowsOf, update, vec } from './aggregation-fixtures.js';

// n = 5, f = 1: each score sums the squared distances to the n - f - 2 = 2 nearest others.
//   update:  0      1      2      3      100
//   score:   1+4=5  1+1=2  1+1=2  1+4=5  9409+9604=19013
const scalars = [0, 1, 2, 3, 100];
const weights = [2, 1, 3, 1, 50];
const updates = scalars.map((x, i) => update(weights[i], { w: vec([x]) }, { loss: x }));

test('krum keeps the update with the lowest score (ties to the earlier one), never the outlier', () => {
  const krum = new Krum({ byzantine: 1 });
  assert.deepEqual(krum.select(updates), [1]);
  const combined = krum.aggregate(updates);
  assertClose(denseOf(combined, 'w'), [1]);
  // weight and metrics are those of what was kept: the outlier's claimed 50 samples count for nothing
  assert.equal(combined.weight, 1);
  assert.deepEqual(combined.metrics, { loss: 1 });
});

test('multi-krum averages the kept updates by weight', () => {
  const keepTwo = new Krum({ byzantine: 1, keep: 2 }).aggregate(updates);
  // updates 1 and 2, weights 1 and 3: (1*1 + 3*2)/4 = 1.75
  assertClose(denseOf(keepTwo, 'w'), [1.75]);
  assert.equal(keepTwo.weight, 4);
  // the next scores tie at 5 (updates 0 and 3): the earlier one
  assert.deepEqual(new Krum({ byzantine: 1, keep: 3 }).select(updates), [0, 1, 2]);
});

test('krum picks an honest update when one is a large outlier in a real-sized vector', () => {
  const honest = [
    [1, 1, 1],
    [1.1, 0.9, 1],
    [0.9, 1.1, 1.05],
    [1, 1.05, 0.95],
  ];
  const all = [...honest.map((v) => update(10, { w: vec(v) })), update(10, { w: vec([40, -40, 40]) })];
  const [kept] = new Krum({ byzantine: 1 }).select(all);
  assert.ok(kept < 4, `kept update ${kept}, the outlier`);
});

test('krum compares sparse rows as dense tensors with zeros in the absent rows', () => {
  const shape = [3, 1];
  // as dense: U0 = [1, 0, 0], U1 = [1, 0, 0], U2 = [0, 0, 1], U3 = [1, 0, 0.5]
  // squared distances: d01 = 0, d02 = 2, d03 = 0.25, d12 = 2, d13 = 0.25, d23 = 1.25
  // scores (f = 0, 2 nearest): U0 0.25, U1 0.25, U2 3.25, U3 0.5
  const mixed = [
    update(1, { t: rowsOf(shape, [0], [1]) }),
    update(1, { t: vec([1, 0, 0], shape) }),
    update(1, { t: rowsOf(shape, [2], [1]) }),
    update(1, { t: rowsOf(shape, [0, 2], [1, 0.5]) }),
  ];
  assert.deepEqual(new Krum().select(mixed), [0]);
  assert.deepEqual(new Krum({ keep: 3 }).select(mixed), [0, 1, 3]);
});

test('krum refuses too few updates for its byzantine count, or keeping more than n - f', () => {
  assert.throws(() => new Krum({ byzantine: 1 }).aggregate(updates.slice(0, 3)), /at least 4 updates, got 3/);
  assert.throws(() => new Krum().aggregate([]), RangeError);
  assert.throws(() => new Krum({ byzantine: 1, keep: 5 }).aggregate(updates), RangeError);
});
