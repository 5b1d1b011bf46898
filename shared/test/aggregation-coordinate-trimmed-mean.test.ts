import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom } from '../src/index.js';
import { trimmedMeanInto } from '../src/fl/aggregation/coordinate-trimmed-mean.js';

test('coordinate trimmed mean equals sort-trim-average per coordinate (insertion sort and typed-array sort)', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 90 }), fc.integer({ min: 1, max: 20 }), (seed, count, length) => {
      const random = new SeededRandom(seed);
      const trim = random.int(Math.floor((count - 1) / 2) + 1);
      const sources = Array.from({ length: count }, () => Float32Array.from({ length: length + 3 }, () => random.normal()));
      const starts = sources.map(() => random.int(4));
      const out = new Float32Array(length + 2);
      trimmedMeanInto(out, 2, sources, starts, count, length, trim, new Float64Array(count));
      for (let c = 0; c < length; c++) {
        const sorted = sources.map((s, q) => s[starts[q] + c]).sort((a, b) => a - b);
        const kept = sorted.slice(trim, count - trim);
        const expected = kept.reduce((a, b) => a + b, 0) / kept.length;
        assert.ok(Math.abs(out[2 + c] - expected) < 1e-5, `count=${count} trim=${trim} c=${c}: ${out[2 + c]} vs ${expected}`);
      }
    }),
    { seed: 5, numRuns: 150 },
  );
});

test('trimming too much is refused', () => {
  assert.throws(
    () => trimmedMeanInto(new Float32Array(1), 0, [new Float32Array(1), new Float32Array(1)], [0, 0], 2, 1, 1, new Float64Array(2)),
    RangeError,
  );
});
