// fast-check generators of in-memory tensors shared by the wire tests (not a test file itself).
import fc from 'fast-check';
import { elementCount, type DenseTensor, type SparseRows } from '../src/index.js';

/** Float32 values in [-limit, limit]; magnitudes below 1e-30 become 0 so int8 scales stay normal floats. */
export function floats(length: number, limit = 1000): fc.Arbitrary<Float32Array> {
  return fc
    .array(fc.float({ min: -limit, max: limit, noNaN: true }), { minLength: length, maxLength: length })
    .map((values) => Float32Array.from(values, (v) => (Math.abs(v) < 1e-30 ? 0 : v)));
}

export const shapes: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 });

export const denseTensors: fc.Arbitrary<DenseTensor> = shapes.chain((shape) =>
  floats(elementCount(shape)).map((values): DenseTensor => ({ kind: 'dense', shape, values })),
);

export const sparseTensors: fc.Arbitrary<SparseRows> = fc
  .record({ rows: fc.integer({ min: 1, max: 40 }), width: fc.integer({ min: 1, max: 5 }), weighted: fc.boolean() })
  .chain(({ rows, width, weighted }) =>
    fc.uniqueArray(fc.integer({ min: 0, max: rows - 1 }), { maxLength: rows }).chain((picked) => {
      const sorted = Uint32Array.from(picked).sort();
      return fc.tuple(floats(sorted.length * width), floats(sorted.length, 100)).map(([values, weights]): SparseRows => {
        const base = { kind: 'sparse' as const, shape: [rows, width], rows: sorted, values };
        return weighted ? { ...base, rowWeights: weights.map(Math.abs) } : base;
      });
    }),
  );
