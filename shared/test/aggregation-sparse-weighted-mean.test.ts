import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom, type SparseRows } from '../src/index.js';
import { sparseWeightedMean } from '../src/fl/aggregation/sparse-weighted-mean.js';

test('sparse weighted mean equals the per-row definition for random row sets and weights', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 5 }), (seed, n, width) => {
      const random = new SeededRandom(seed);
      const tableRows = 1 + random.int(300);
      const inputs: SparseRows[] = Array.from({ length: n }, () => {
        const rows = Uint32Array.from([...Array(tableRows).keys()].filter(() => random.next() < 0.3));
        const values = Float32Array.from({ length: rows.length * width }, () => random.next() * 2 - 1);
        const withRowWeights = random.next() < 0.5;
        return {
          kind: 'sparse',
          shape: [tableRows, width],
          rows,
          values,
          ...(withRowWeights ? { rowWeights: Float32Array.from(rows, () => 1 + random.int(9)) } : {}),
        };
      });
      const weights = inputs.map(() => 1 + random.int(100));
      const out = sparseWeightedMean([tableRows, width], inputs, weights);

      // Reference: for each row, Σ w x / Σ w over the inputs holding it.
      const sums = new Map<number, { w: number; x: number[] }>();
      inputs.forEach((t, i) =>
        t.rows.forEach((row, k) => {
          const w = t.rowWeights ? t.rowWeights[k] : weights[i];
          const entry = sums.get(row) ?? { w: 0, x: new Array(width).fill(0) };
          entry.w += w;
          for (let c = 0; c < width; c++) entry.x[c] += w * t.values[k * width + c];
          sums.set(row, entry);
        }),
      );
      const expectedRows = [...sums.keys()].sort((a, b) => a - b);
      assert.deepEqual([...out.rows], expectedRows);
      expectedRows.forEach((row, u) => {
        const { w, x } = sums.get(row) as { w: number; x: number[] };
        assert.equal(out.rowWeights?.[u], w);
        for (let c = 0; c < width; c++) assert.ok(Math.abs(out.values[u * width + c] - x[c] / w) < 1e-5);
      });
    }),
    { seed: 11, numRuns: 100 },
  );
});
