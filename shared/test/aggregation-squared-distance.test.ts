import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SeededRandom, dense, type SparseRows, type TensorValue } from '../src/index.js';
import { squaredDistance } from '../src/fl/aggregation/squared-distance.js';

/** The dense tensor that sparse rows stand for: zeros in the rows they leave out. */
function densify(t: TensorValue, tableRows: number, width: number): Float32Array {
  if (t.kind === 'dense') return t.values;
  const out = new Float32Array(tableRows * width);
  t.rows.forEach((row, k) => out.set(t.values.subarray(k * width, (k + 1) * width), row * width));
  return out;
}

test('squared distance treats sparse rows as dense with zeros in absent rows, and a missing tensor as zeros', () => {
  fc.assert(
    fc.property(fc.integer(), fc.integer({ min: 1, max: 4 }), (seed, width) => {
      const random = new SeededRandom(seed);
      const tableRows = 1 + random.int(40);
      const make = (): TensorValue => {
        if (random.next() < 0.3) {
          return dense(
            [tableRows, width],
            Float32Array.from({ length: tableRows * width }, () => random.normal()),
          );
        }
        const rows = Uint32Array.from([...Array(tableRows).keys()].filter(() => random.next() < 0.4));
        const values = Float32Array.from({ length: rows.length * width }, () => random.normal());
        return { kind: 'sparse', shape: [tableRows, width], rows, values } satisfies SparseRows;
      };
      const a = make();
      const b = make();
      const da = densify(a, tableRows, width);
      const db = densify(b, tableRows, width);
      let expected = 0;
      let normA = 0;
      for (let i = 0; i < da.length; i++) {
        expected += (da[i] - db[i]) ** 2;
        normA += da[i] ** 2;
      }
      assert.ok(Math.abs(squaredDistance(a, b, width) - expected) < 1e-6 * (1 + expected));
      assert.ok(Math.abs(squaredDistance(a, undefined, width) - normA) < 1e-6 * (1 + normA));
      assert.ok(Math.abs(squaredDistance(undefined, a, width) - normA) < 1e-6 * (1 + normA));
    }),
    { seed: 3, numRuns: 200 },
  );
  assert.equal(squaredDistance(undefined, undefined, 1), 0);
});
