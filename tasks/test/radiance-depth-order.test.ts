import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '@strata/shared';
import { DEPTH_KEY_LIMIT, DepthOrder } from '../src/radiance/kernels/depth-order.js';

// The rasterizer's depth order (a two-pass radix sort) against a comparison sort of (key, index): many ties,
// keys across the whole 24-bit range, reuse of the buffers at a smaller and a larger size.
test('depth order sorts by key, ties in index order, as (key * 2^22 + index) sorted would', () => {
  const rng = new SeededRandom(5);
  const order = new DepthOrder();
  for (const [n, distinct] of [
    [5000, 300],
    [17, 4],
    [40000, DEPTH_KEY_LIMIT],
  ]) {
    order.reserve(n);
    const keys: number[] = [];
    for (let i = 0; i < n; i++) {
      const key = Math.floor(rng.next() * distinct) * Math.floor(DEPTH_KEY_LIMIT / distinct);
      keys.push(key);
      order.keys[i] = key;
      order.indices[i] = 3 * i + 1;
    }
    order.sort(n);
    const expected = keys
      .map((key, i) => [key, 3 * i + 1])
      .sort((a, b) => a[0] - b[0] || a[1] - b[1])
      .map(([, index]) => index);
    assert.deepEqual(Array.from(order.indices.subarray(0, n)), expected, `n ${n}`);
    assert.ok(
      order.keys.subarray(1, n).every((key, k) => key >= order.keys[k]),
      `n ${n}: keys ascending`,
    );
  }
});
