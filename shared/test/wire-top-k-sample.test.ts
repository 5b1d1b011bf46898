import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/index.js';
import { sampleRunStart, topK } from '../src/wire/top-k-selection.js';

// The sampled threshold reads a run of 64 consecutive values in every 4096 (sampleRunStart), and the top k of
// the values passing it are selected among those candidates alone. Whatever the sample says, the result must be
// the exact top k: these cases put the largest or the smallest values in the sampled runs (the threshold then
// lets too few or too many through and the two-pass path runs), ties at the threshold among the candidates
// (lowest index first), and rows of very different scales.

function topKBySorting(values: Float32Array, k: number): number[] {
  return [...values.keys()]
    .sort((a, b) => Math.abs(values[b]) - Math.abs(values[a]) || a - b)
    .slice(0, k)
    .sort((a, b) => a - b);
}

const bits = (values: Float32Array): number[] => [...new Uint32Array(values.buffer, values.byteOffset, values.length)];

/** `n` values from `base`, with the sampled runs' values from `sampled` instead. */
function withSampledRuns(n: number, base: () => number, sampled: () => number): Float32Array {
  const values = Float32Array.from({ length: n }, base);
  for (let w = 0; w * 4096 < n; w++) {
    for (let i = sampleRunStart(w); i < Math.min(n, sampleRunStart(w) + 64); i++) values[i] = sampled();
  }
  return values;
}

test('the sampled runs: 64 aligned values in each window of 4096, at every offset over 64 windows', () => {
  const offsets = new Set<number>();
  for (let w = 0; w < 64; w++) {
    const start = sampleRunStart(w);
    assert.ok(start >= w * 4096 && start + 64 <= (w + 1) * 4096, `window ${w}: run at ${start}`);
    assert.equal(start % 64, 0);
    offsets.add(start - w * 4096);
  }
  assert.equal(offsets.size, 64);
});

test('topK is exact when the sampled runs mislead, at ties among the candidates, and on rows of different scales', () => {
  const random = new SeededRandom(41);
  const n = (1 << 17) + 1000;
  const cases = {
    runsLargest: withSampledRuns(
      n,
      () => random.normal(),
      () => 100 + random.normal(),
    ),
    runsSmallest: withSampledRuns(
      n,
      () => random.normal(),
      () => 1e-6 * random.normal(),
    ),
    // Few distinct magnitudes: the k-th value is tied with many others on both sides of it.
    tied: Float32Array.from({ length: n }, () => (random.int(61) - 30) * 0.25),
    rowScales: Float32Array.from({ length: n }, (_, i) => random.normal() * 10 ** ((Math.floor(i / 64) % 9) - 4)),
    sparseRows: Float32Array.from({ length: n }, (_, i) => (Math.floor(i / 64) % 13 === 0 ? random.normal() : 0)),
  };
  for (const [label, values] of Object.entries(cases)) {
    for (const k of [1, 100, Math.ceil(n / 100), Math.ceil(n / 30), Math.floor(n / 8)]) {
      const found = topK(values, k);
      assert.deepEqual([...found.indices], topKBySorting(values, k), `${label}, k = ${k}: indices`);
      assert.deepEqual(bits(found.values), bits(Float32Array.from(found.indices, (i) => values[i])), `${label}, k = ${k}: values`);
    }
  }
});
