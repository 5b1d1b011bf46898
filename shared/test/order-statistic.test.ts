import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kthSmallestInPlace, medianInPlace, SeededRandom } from '../src/index.js';

function sortedCopy(values: Float64Array): Float64Array {
  return Float64Array.from(values).sort();
}

test('every order statistic equals the sorted array at that index, with ties, runs and sorted inputs', () => {
  const random = new SeededRandom(7);
  const shapes: Array<(n: number) => Float64Array> = [
    (n) => Float64Array.from({ length: n }, () => random.next()),
    (n) => Float64Array.from({ length: n }, () => Math.floor(random.next() * 4)),
    (n) => Float64Array.from({ length: n }, (_, i) => i),
    (n) => Float64Array.from({ length: n }, (_, i) => n - i),
    (n) => new Float64Array(n).fill(3),
  ];
  for (const shape of shapes) {
    for (const n of [1, 2, 3, 10, 101]) {
      const values = shape(n);
      const sorted = sortedCopy(values);
      for (let k = 0; k < n; k++) assert.equal(kthSmallestInPlace(Float64Array.from(values), k), sorted[k], `k ${k} of ${n}`);
    }
  }
});

test('the median of an even count is the mean of the two middle values, and 0 when empty', () => {
  assert.equal(medianInPlace(Float64Array.of(4, 1, 3, 2)), 2.5);
  assert.equal(medianInPlace(Float64Array.of(5, 1, 3)), 3);
  assert.equal(medianInPlace(new Float64Array(0)), 0);
  const random = new SeededRandom(3);
  const values = Float64Array.from({ length: 1000 }, () => random.next() * 100);
  const sorted = sortedCopy(values);
  assert.equal(medianInPlace(values), (sorted[499] + sorted[500]) / 2);
});

test('a NaN counts above every number, as a sort puts it', () => {
  assert.equal(kthSmallestInPlace(Float64Array.of(Number.NaN, 2, 1), 1), 2);
  assert.equal(kthSmallestInPlace(Float64Array.of(Number.NaN, 2, 1), 2), Number.POSITIVE_INFINITY);
});

test('an index outside the values is refused by name', () => {
  assert.throws(() => kthSmallestInPlace(Float64Array.of(1, 2), 2), /order statistic 2 of 2 values/);
  assert.throws(() => kthSmallestInPlace(new Float64Array(0), 0), /order statistic 0 of 0 values/);
});
