// assertFinite checks values in blocks of eight: it must still name the first non-finite value wherever it
// is (inside a block, in the tail, several at once) and pass every finite one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { assertFinite, dense, InvalidUpdateError } from '../src/index.js';

const update = (values: Float32Array) => ({ delta: new Map([['w', dense([values.length], values)]]), weight: 1, metrics: {} });

test('assertFinite names the first NaN or infinity wherever it is, and passes finite values', () => {
  const finite = fc.float({ noNaN: true, noDefaultInfinity: true });
  const bad = fc.constantFrom(NaN, Infinity, -Infinity);
  fc.assert(
    fc.property(fc.array(finite, { maxLength: 70 }), fc.array(fc.tuple(fc.nat(), bad), { maxLength: 3 }), (values, poison) => {
      const array = Float32Array.from(values);
      for (const [at, value] of poison) if (array.length > 0) array[at % array.length] = value;
      const first = array.findIndex((v) => !Number.isFinite(v));
      if (first < 0) {
        assertFinite(update(array));
        return;
      }
      assert.throws(
        () => assertFinite(update(array)),
        (error: unknown) => {
          assert.ok(error instanceof InvalidUpdateError && error.reason === 'non_finite');
          assert.match(error.message, new RegExp(`non-finite value ${array[first]} at index ${first}$`));
          return true;
        },
      );
    }),
    { seed: 8, numRuns: 500 },
  );
  assertFinite(update(Float32Array.of(-0, 3.4e38, -3.4e38, 1e-45, 0, 0, 0, 0, 0)));
});
