import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { float16ToFloat32, float32ToFloat16 } from '../src/index.js';

const bitsOf = (x: number): number => new Uint32Array(Float32Array.of(x).buffer)[0];
const floatOf = (bits: number): number => new Float32Array(Uint32Array.of(bits).buffer)[0];
const halfToFloat = (h: number): number => float16ToFloat32(Uint16Array.of(h))[0];
const floatToHalf = (x: number): number => float32ToFloat16(Float32Array.of(x))[0];

test('every float16 converts to float32 and back to the same bits (NaN stays NaN)', () => {
  const halves = new Uint16Array(65536).map((_, i) => i);
  const floats = float16ToFloat32(halves);
  const back = float32ToFloat16(floats);
  for (let h = 0; h < 65536; h++) {
    const isNaN16 = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
    if (isNaN16) {
      assert.ok(Number.isNaN(floats[h]), `half 0x${h.toString(16)} should be NaN`);
      assert.ok((back[h] & 0x7c00) === 0x7c00 && (back[h] & 0x3ff) !== 0, `NaN 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
    } else {
      assert.equal(back[h], h, `half 0x${h.toString(16)} -> ${floats[h]} -> 0x${back[h].toString(16)}`);
    }
  }
});

test('float16 decoding gives the IEEE values of known bit patterns', () => {
  assert.equal(halfToFloat(0x3c00), 1);
  assert.equal(halfToFloat(0xc000), -2);
  assert.equal(halfToFloat(0x7bff), 65504);
  assert.equal(halfToFloat(0x0400), 2 ** -14);
  assert.equal(halfToFloat(0x0001), 2 ** -24);
  assert.equal(halfToFloat(0x03ff), 1023 * 2 ** -24);
  assert.equal(halfToFloat(0x7c00), Infinity);
  assert.equal(halfToFloat(0xfc00), -Infinity);
  assert.ok(Object.is(halfToFloat(0x8000), -0));
});

test('float32 to float16 handles the edges: overflow, ties to even, subnormals, signed zero, NaN', () => {
  assert.equal(floatToHalf(65504), 0x7bff);
  assert.equal(floatToHalf(65519.99), 0x7bff);
  assert.equal(floatToHalf(65520), 0x7c00, '65520 is the tie between 65504 and 65536 and rounds to infinity');
  assert.equal(floatToHalf(1e9), 0x7c00);
  assert.equal(floatToHalf(-Infinity), 0xfc00);
  assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'a tie rounds to the even mantissa (down)');
  assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, 'a tie rounds to the even mantissa (up)');
  assert.equal(floatToHalf(2 ** -25), 0x0000, 'half the smallest subnormal ties to zero');
  assert.equal(floatToHalf(floatOf(bitsOf(2 ** -25) + 1)), 0x0001, 'just above it rounds up');
  assert.equal(floatToHalf(3 * 2 ** -25), 0x0002, 'a subnormal tie rounds to even');
  assert.equal(floatToHalf(2 ** -14 - 2 ** -25), 0x0400, 'the largest subnormal tie rounds up into the normals');
  assert.equal(floatToHalf(1e-45), 0x0000, 'float32 subnormals vanish');
  assert.equal(floatToHalf(-0), 0x8000);
  assert.equal(floatToHalf(-1e-30), 0x8000);
  const nan = floatToHalf(NaN);
  assert.ok((nan & 0x7c00) === 0x7c00 && (nan & 0x3ff) !== 0);
});

test('float32 to float16 rounds to the nearest half, ties to even, within 2^-11 relative in the normal range', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (bits) => {
      const x = floatOf(bits >>> 0);
      if (!Number.isFinite(x)) return;
      const h = floatToHalf(x);
      const value = halfToFloat(h);
      if (Math.abs(x) >= 65520) {
        assert.equal(Math.abs(value), Infinity);
        return;
      }
      assert.equal(Math.sign(value) || Math.sign(1 / value), Math.sign(x) || Math.sign(1 / x), 'sign is kept');
      // The neighbours of the chosen half (by magnitude) are no closer, and on a tie the mantissa is even.
      const error = Math.abs(value - x);
      for (const neighbour of [(h & 0x7fff) - 1, (h & 0x7fff) + 1]) {
        if (neighbour < 0 || neighbour > 0x7bff) continue;
        const other = Math.abs(halfToFloat(neighbour)) * Math.sign(x);
        const otherError = Math.abs(other - x);
        assert.ok(error < otherError || (error === otherError && (h & 1) === 0), `${x} -> ${value}, but ${other} is closer`);
      }
      if (Math.abs(x) >= 2 ** -14) assert.ok(error <= Math.abs(x) * 2 ** -11, `relative error of ${x} -> ${value}`);
      else assert.ok(error <= 2 ** -25, `absolute error of subnormal ${x} -> ${value}`);
    }),
    { seed: 1601, numRuns: 20000 },
  );
});

test('conversion writes into a given output array and rejects one of the wrong length', () => {
  const out = new Uint16Array(3);
  assert.equal(float32ToFloat16(Float32Array.of(1, 2, 3), out), out);
  assert.deepEqual([...float16ToFloat32(out)], [1, 2, 3]);
  assert.throws(() => float32ToFloat16(Float32Array.of(1, 2), out), RangeError);
});

test('the SIMD kernels (runs of eight) give the bits of the scalar conversion, for every half and random floats', () => {
  const halves = new Uint16Array(65536).map((_, i) => i);
  const floats = new Uint32Array(float16ToFloat32(halves).buffer);
  const one = new Float32Array(1);
  const oneBits = new Uint32Array(one.buffer);
  for (let h = 0; h < 65536; h++) {
    float16ToFloat32(Uint16Array.of(h), one); // a run shorter than eight: the scalar table
    assert.equal(floats[h], oneBits[0], `half 0x${h.toString(16)}`);
  }

  let seed = 7;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  const patterns = new Uint32Array(1 << 18).map(() => next());
  // Exponents near the half's range (subnormals, ties, overflow) are the interesting ones: half the patterns.
  for (let i = 0; i < patterns.length; i += 2) patterns[i] = (patterns[i] & 0x807fffff) | ((0x60 + (next() % 0x40)) << 23);
  patterns.set([0x477fefff, 0x477ff000, 0x38800000, 0x387fffff, 0x33000000, 0x33000001, 0x7f800001, 0xff800000, 0x80000000]);
  const values = new Float32Array(patterns.buffer);
  const converted = float32ToFloat16(values);
  for (let i = 0; i < values.length; i++) {
    const single = float32ToFloat16(new Float32Array(Uint32Array.of(patterns[i]).buffer))[0]; // the scalar loop
    assert.equal(converted[i], single, `float bits 0x${patterns[i].toString(16)}`);
  }
});

test('runs of eight the kernels take on their fast paths (all normal halves, no infinity or NaN) or not give the scalar bits', () => {
  let seed = 11;
  const next = (): number => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed;
  };
  // Floats whose halves are normal (exponents 113 to 142, 0x477fefff the largest below overflow), in runs of
  // eight; every fourth run gets one value outside that range (a subnormal half, zero, overflow or NaN).
  const patterns = new Uint32Array(1 << 16).map(() => (next() & 0x807fffff) | ((113 + (next() % 30)) << 23));
  const outside = [0x387fffff, 0x33000001, 0x00000000, 0x80000000, 0x47800000, 0xc7ffffff, 0x4f000000, 0x7f800000, 0x7fc00001];
  for (let run = 0; run < patterns.length / 8; run += 4) patterns[run * 8 + (next() % 8)] = outside[next() % outside.length];
  patterns.set([0x38800000, 0x477fefff, 0xb8800000, 0xc77fefff, 0x38801000, 0x38803000, 0x3f801000, 0x3f803000]);
  const values = new Float32Array(patterns.buffer);
  const converted = float32ToFloat16(values);
  for (let i = 0; i < values.length; i++) {
    const single = float32ToFloat16(new Float32Array(Uint32Array.of(patterns[i]).buffer))[0];
    assert.equal(converted[i], single, `float bits 0x${patterns[i].toString(16)}`);
  }

  // Halves in a random order: runs of eight mixing subnormals, zeros and normals (the fast path), and runs
  // holding an infinity or a NaN (the full path).
  const halves = new Uint16Array(1 << 16).map(() => next() >>> 16);
  const floats = new Uint32Array(float16ToFloat32(halves).buffer);
  const one = new Float32Array(1);
  const oneBits = new Uint32Array(one.buffer);
  for (let i = 0; i < halves.length; i++) {
    float16ToFloat32(Uint16Array.of(halves[i]), one);
    assert.equal(floats[i], oneBits[0], `half 0x${halves[i].toString(16)}`);
  }
});
