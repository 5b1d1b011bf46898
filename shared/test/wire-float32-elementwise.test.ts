import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../src/index.js';
import { addFloat32Simd, subtractFloat32Simd } from '../src/wire/wasm-float32-elementwise.js';

// Error feedback's sums and differences go through the SIMD kernel: every result must have the bits the
// Float32Array arithmetic gives (`out[i] = a[i] + b[i]`), for any bit patterns (infinities, subnormals, signed
// zeros, NaN), across the staging blocks, and with the output being one of the inputs. A NaN result only has
// to be a NaN: which payload JS arithmetic leaves depends on V8's tier (the interpreter's is canonical).
const SPECIALS = [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 1e-45, -1e-45, 3.4e38, -3.4e38, 1e-38];

function patterns(random: SeededRandom, n: number): Float32Array {
  const values = new Float32Array(n);
  const bits = new Uint32Array(values.buffer);
  for (let i = 0; i < n; i++) {
    if (random.int(4) === 0) values[i] = SPECIALS[random.int(SPECIALS.length)];
    else bits[i] = random.int(0x10000) * 0x10000 + random.int(0x10000);
  }
  return values;
}

/** The values' bit patterns, every NaN as the canonical one. */
const bitsOf = (values: Float32Array): number[] =>
  [...new Uint32Array(values.buffer, values.byteOffset, values.length)].map((bits, i) => (Number.isNaN(values[i]) ? 0x7fc00000 : bits));

test('the elementwise kernel gives the bits of Float32Array addition and subtraction', () => {
  const random = new SeededRandom(53);
  for (const n of [16, 48, 16384, 16400, 50000]) {
    const a = patterns(random, n);
    const b = patterns(random, n);
    for (const [kernel, js] of [
      [addFloat32Simd, (x: number, y: number) => x + y],
      [subtractFloat32Simd, (x: number, y: number) => x - y],
    ] as const) {
      const expected = Float32Array.from(a, (x, i) => js(x, b[i]));
      const out = new Float32Array(n);
      kernel(out, a, b, n);
      assert.deepEqual(bitsOf(out), bitsOf(expected), `${js.toString()}, ${n} values`);
      const inPlace = a.slice();
      kernel(inPlace, inPlace, b, n);
      assert.deepEqual(bitsOf(inPlace), bitsOf(expected), `${js.toString()} in place, ${n} values`);
    }
  }
});
