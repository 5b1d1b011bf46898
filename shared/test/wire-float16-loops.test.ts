import { test } from 'node:test';
import assert from 'node:assert/strict';
import { float16ToFloat32, float32ToFloat16, SeededRandom } from '../src/index.js';

// The kernels convert 64 values a loop iteration and a block's last runs of eight in a one-run loop, and the
// scalar loop converts the last 0-7 values: every length from 0 to 200 (and a few across the 16,384-value
// staging block) must give what converting each value alone (the scalar loop) gives, with runs on and off
// the fast paths in both loops.
const SPECIALS = [
  0,
  -0,
  1e-8,
  -6e-6,
  2 ** -14,
  2 ** -14 * 0.999,
  -(2 ** -15),
  65504,
  65520,
  -65600,
  70000,
  1e9,
  Number.POSITIVE_INFINITY,
  -1e-45,
  Number.NaN,
];

function valuesOf(random: SeededRandom, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => (random.int(16) === 0 ? SPECIALS[random.int(SPECIALS.length)] : 0.02 * random.normal()));
}

test('float16 conversion of every length agrees with converting each value alone', () => {
  const random = new SeededRandom(41);
  const lengths = [...Array.from({ length: 201 }, (_, n) => n), 16384 - 8, 16384 + 56, 3 * 16384 + 24];
  for (const n of lengths) {
    const values = valuesOf(random, n);
    const halves = float32ToFloat16(values);
    const floats = new Uint32Array(float16ToFloat32(halves).buffer);
    for (let i = 0; i < n; i++) {
      const alone = float32ToFloat16(values.subarray(i, i + 1))[0];
      assert.equal(halves[i], alone, `length ${n}, value ${i} (${values[i]}): 0x${halves[i].toString(16)}, alone 0x${alone.toString(16)}`);
      const back = new Uint32Array(float16ToFloat32(Uint16Array.of(alone)).buffer)[0];
      assert.equal(floats[i], back, `length ${n}, half ${i} (0x${alone.toString(16)})`);
    }
  }
});
