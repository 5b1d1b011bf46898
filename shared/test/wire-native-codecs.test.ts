// The native wire codecs (shared/native/strata-codecs.c) give the WebAssembly kernels' results bit for bit:
// float16 both ways (every half, float32 patterns at every rounding boundary of every exponent, every tail
// length), int8 groups (rows of the kernel widths, groups longer than a block, NaN, infinity, zeros and
// subnormals) and top-k's filtering pass. They check their arguments themselves. Skipped where the build could not compile them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SeededRandom,
  dequantizeInt8,
  float16ToFloat32,
  float32ToFloat16,
  nativeCodecs,
  quantizeInt8,
  setNativeCodecsEnabled,
  topKIndices,
} from '../src/index.js';

const available = setNativeCodecsEnabled(true);
const skip = available ? false : 'no native codecs here (not built on this host, or STRATA_NATIVE_CODECS=0)';

/** `run` with the native codecs and with the WebAssembly kernels. */
function both<T>(run: () => T): { native: T; wasm: T } {
  try {
    setNativeCodecsEnabled(true);
    const native = run();
    setNativeCodecsEnabled(false);
    return { native, wasm: run() };
  } finally {
    setNativeCodecsEnabled(true);
  }
}

const bitsOf = (values: Float32Array): Uint32Array => new Uint32Array(values.buffer, values.byteOffset, values.length);
/**
 * The bits with every NaN as one pattern: a row's NaN scale is NaN either way, but V8's WebAssembly f32.max
 * gives it the sign bit and the native codecs do not (the receiver refuses either as non-finite).
 */
const bitsUpToNaN = (values: Float32Array): Uint32Array => bitsOf(values.map((v) => (Number.isNaN(v) ? Number.NaN : v)));

test('float16 decoding: every half, infinities and NaN payloads included', { skip }, () => {
  const halves = Uint16Array.from({ length: 65536 }, (_, h) => h);
  const { native, wasm } = both(() => bitsOf(float16ToFloat32(halves)));
  assert.deepEqual(native, wasm);
});

test('float16 encoding: float32 patterns around every rounding boundary, of both signs and every exponent', { skip }, () => {
  // The 13 bits a half drops decide the rounding: each of these low parts with every value of the 19 bits above.
  const lowParts = [0, 1, 0xfff, 0x1000, 0x1001, 0x1fff];
  const bits = new Uint32Array(lowParts.length << 19);
  for (let high = 0; high < 1 << 19; high++) {
    for (let j = 0; j < lowParts.length; j++) bits[high * lowParts.length + j] = ((high << 13) | lowParts[j]) >>> 0;
  }
  const values = new Float32Array(bits.buffer);
  const { native, wasm } = both(() => float32ToFloat16(values));
  assert.deepEqual(native, wasm);
});

test('float16 both ways for every tail length', { skip }, () => {
  const random = new SeededRandom(21);
  for (let n = 0; n <= 33; n++) {
    const values = Float32Array.from({ length: n }, () => random.normal() * 10 ** (random.int(12) - 6));
    if (n > 3) values[n - 2] = Number.NaN;
    const { native, wasm } = both(() => {
      const halves = float32ToFloat16(values);
      return { halves, floats: bitsOf(float16ToFloat32(halves)) };
    });
    assert.deepEqual(native, wasm, `length ${n}`);
  }
});

/** Rows of random magnitudes with a zero row, NaN, infinity, float32 subnormals and ties among them. */
function awkwardRows(random: SeededRandom, count: number, width: number): Float32Array {
  const values = Float32Array.from({ length: count * width }, () => random.normal() * 10 ** (random.int(7) - 3));
  values.fill(0, width, 2 * width);
  values[2 * width + 3] = Number.NaN;
  values[3 * width + 5] = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < width; j++) values[4 * width + j] = random.normal() * 1e-40;
  for (let j = 0; j < width; j++) values[5 * width + j] = (j % 254) - 127 + (j % 3 === 0 ? 0.5 : 0);
  values[5 * width + 1] = 127;
  return values;
}

test('int8 groups: rows of the kernel widths and groups longer than a block, both ways', { skip }, () => {
  const random = new SeededRandom(22);
  for (const groupSize of [16, 48, 64, 1024, 16384, 16400, 20011]) {
    const values = awkwardRows(random, 8, groupSize);
    // The last group shorter, where groups may be (longer than a block).
    const input = groupSize > 16384 ? values.subarray(0, values.length - (groupSize >> 1)) : values;
    const { native, wasm } = both(() => {
      const { values: q, scales } = quantizeInt8(input, groupSize);
      return { q, scales: bitsUpToNaN(scales), back: bitsUpToNaN(dequantizeInt8(q, scales, groupSize)) };
    });
    assert.deepEqual(native, wasm, `groups of ${groupSize}`);
  }
});

test('top-k selection: the same indices through the native filtering pass, ties, NaN and both paths included', { skip }, () => {
  const random = new SeededRandom(23);
  // 300,000 values take the sampled threshold first (from 65,536 values, k up to an eighth); 5,000 the exact passes.
  for (const n of [5000, 300_001]) {
    const values = Float32Array.from({ length: n }, () => random.normal());
    for (let i = 0; i < n; i += 97) values[i] = 1.5; // ties
    values[n >> 1] = Number.NaN;
    for (const k of [1, 50, Math.floor(n / 100), Math.floor(n / 8), Math.floor(n / 3)]) {
      const { native, wasm } = both(() => topKIndices(values, k));
      assert.deepEqual(native, wasm, `${n} values, k = ${k}`);
    }
  }
  const native = nativeCodecs();
  assert.ok(native);
  // Bit patterns: the sign bit is not part of the magnitude (0x80000005 passes, 0x80000001 does not).
  const bits = Int32Array.from([5, 0x80000005 | 0, 7, 0, 9, 0x80000001 | 0, 2, 3, 10]);
  const out = new Uint32Array(9);
  const passing = new Int32Array(9);
  assert.equal(native.indicesAtLeast(bits, 5, out, passing), 5);
  assert.deepEqual([...out.subarray(0, 5)], [0, 1, 2, 4, 8]);
  assert.deepEqual([...passing.subarray(0, 5)], [5, 0x80000005 | 0, 7, 9, 10]);
  assert.equal(native.indicesAtLeast(bits, 0, new Uint32Array(8), null), -1, 'more pass than out holds');
});

test('the native entry points refuse wrong types and lengths by name', { skip }, () => {
  const native = nativeCodecs();
  assert.ok(native);
  assert.throws(() => native.float32ToFloat16(new Float64Array(8) as never, new Uint16Array(8)), {
    name: 'TypeError',
    message: /float32ToFloat16: src must be a Float32Array/,
  });
  assert.throws(() => native.float16ToFloat32(new Uint16Array(8), new Float32Array(9)), {
    name: 'RangeError',
    message: /float16ToFloat32: src and out differ in length/,
  });
  assert.throws(() => native.quantizeInt8Groups(new Float32Array(64), 0, new Int8Array(64), new Float32Array(1)), {
    name: 'RangeError',
    message: /group size must be a positive integer/,
  });
  assert.throws(() => native.quantizeInt8Groups(new Float32Array(64), 16, new Int8Array(64), new Float32Array(3)), {
    name: 'RangeError',
    message: /quantizeInt8Groups: q or scales has the wrong length/,
  });
  assert.throws(() => native.dequantizeInt8Groups(new Uint8Array(64) as never, new Float32Array(4), 16, new Float32Array(64)), {
    name: 'TypeError',
    message: /dequantizeInt8Groups: q must be an Int8Array/,
  });
});
