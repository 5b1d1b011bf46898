import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../src/index.js';
import { weightedMeanInto } from '../src/fl/aggregation/weighted-mean.js';
import { MADD4_BLOCK } from '../src/fl/aggregation/wasm-madd4.js';

/** The obvious definition, in float64: Σ w_k x_k / Σ w_k per element. */
function naiveWeightedMean(inputs: readonly Float32Array[], weights: readonly number[]): Float64Array {
  const out = new Float64Array(inputs[0].length);
  const total = weights.reduce((a, b) => a + b, 0);
  for (const [k, input] of inputs.entries()) {
    for (let i = 0; i < input.length; i++) out[i] += (weights[k] * input[i]) / total;
  }
  return out;
}

const sizes = fc.oneof(
  fc.integer({ min: 0, max: 9 }),
  fc.integer({ min: MADD4_BLOCK - 5, max: MADD4_BLOCK + 5 }),
  fc.integer({ min: 0, max: 3 * MADD4_BLOCK + 7 }),
);

test('the blocked SIMD kernel equals the naive weighted mean within float32 tolerance', () => {
  fc.assert(
    fc.property(sizes, fc.integer({ min: 1, max: 11 }), fc.integer(), fc.boolean(), (n, k, seed, someZero) => {
      const random = new SeededRandom(seed);
      const scale = 10 ** (random.int(7) - 3);
      const inputs = Array.from({ length: k }, () => {
        const x = new Float32Array(n);
        for (let i = 0; i < n; i++) x[i] = (random.next() - 0.5) * scale;
        return x;
      });
      const weights = Array.from({ length: k }, (_, j) => (someZero && j % 2 === 1 ? 0 : 0.01 + random.next() * 1000));
      if (!weights.some((w) => w > 0)) weights[0] = 1;
      const out = weightedMeanInto(new Float32Array(n), inputs, weights);
      const expected = naiveWeightedMean(inputs, weights);
      // Float32 accumulation of k terms, each at most `scale`/2: error well under k float32 ulps of that.
      const tolerance = k * scale * 2 ** -23;
      for (let i = 0; i < n; i++) {
        if (!(Math.abs(out[i] - expected[i]) <= tolerance)) {
          assert.fail(`n=${n} k=${k}: out[${i}] = ${out[i]}, expected ${expected[i]}`);
        }
      }
    }),
    { seed: 20260101, numRuns: 60 },
  );
});

test('weights that sum to zero give zeros; mismatched lengths are refused', () => {
  const out = weightedMeanInto(new Float32Array(3).fill(9), [Float32Array.of(1, 2, 3)], [0]);
  assert.deepEqual([...out], [0, 0, 0]);
  assert.throws(() => weightedMeanInto(new Float32Array(3), [new Float32Array(4)], [1]), RangeError);
  assert.throws(() => weightedMeanInto(new Float32Array(3), [new Float32Array(3)], [1, 2]), RangeError);
});

test('non-finite floats left in the kernel by an earlier call do not leak into a later one', () => {
  const n = 10;
  const poisoned = [Infinity, Number.NaN, -Infinity, Infinity].map((x) => new Float32Array(n).fill(x));
  weightedMeanInto(new Float32Array(n), poisoned, [1, 1, 1, 1]);
  // One input: the kernel's other three input slots hold the old non-finite floats unless cleared.
  const out = weightedMeanInto(new Float32Array(n), [new Float32Array(n).fill(2)], [3]);
  assert.deepEqual([...out], new Array(n).fill(2));
});
