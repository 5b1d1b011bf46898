import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/index.js';
import { topK, topKIndices } from '../src/wire/top-k-selection.js';

// topK hands the encoder the picked values beside their indices; on the sampled path they come from the
// filtering kernel's copies, not from the array. They must be the array's values at those indices, bit for bit.
const bits = (values: Float32Array): number[] => [...new Uint32Array(values.buffer, values.byteOffset, values.length)];

test('topK gives the values at its indices, on the sampled path, the exact path and every k', () => {
  const random = new SeededRandom(29);
  const n = 1 << 17;
  const normal = Float32Array.from({ length: n }, () => random.normal());
  // Every 64th value (the sampled positions) the largest: the sample misleads and the exact path runs.
  const misleading = Float32Array.from({ length: n }, (_, i) => (i % 64 === 0 ? 100 + random.normal() : random.normal()));
  const small = Float32Array.from({ length: 1000 }, () => random.normal());
  for (const [label, values] of Object.entries({ normal, misleading, small })) {
    for (const k of [0, 1, 7, Math.ceil(values.length / 100), Math.floor(values.length / 8), values.length]) {
      const found = topK(values, k);
      assert.deepEqual([...found.indices], [...topKIndices(values, k)], `${label}, k = ${k}: indices`);
      const expected = Float32Array.from(found.indices, (i) => values[i]);
      assert.deepEqual(bits(found.values), bits(expected), `${label}, k = ${k}: values`);
    }
  }
});
