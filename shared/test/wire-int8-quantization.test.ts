// int8 per-row quantisation: the WebAssembly SIMD kernels (rows of a multiple of 16 values, and groups longer
// than a block) give exactly the float32 arithmetic they document, keep NaN and infinity visible, and round-trip within half a step; other
// widths take the scalar loops with the same bound.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, dequantizeInt8, quantizeInt8 } from '../src/index.js';

/** The kernels' documented arithmetic, one float32 operation at a time. */
function reference(values: Float32Array, width: number): { q: number[]; scales: number[] } {
  const q: number[] = [];
  const scales: number[] = [];
  for (let start = 0; start < values.length; start += width) {
    const row = values.subarray(start, start + width);
    let max = 0;
    for (const v of row) max = Number.isNaN(v) || Number.isNaN(max) ? Number.NaN : Math.max(max, Math.abs(v));
    const scale = Math.fround(max / 127);
    const inverse = Math.fround(1 / scale);
    scales.push(scale);
    for (const v of row) {
      const r = Math.floor(Math.fround(Math.fround(v * inverse) + 0.5));
      q.push(Number.isNaN(r) ? 0 : Math.min(127, Math.max(-127, r)));
    }
  }
  return { q, scales };
}

function rows(random: SeededRandom, count: number, width: number): Float32Array {
  const values = new Float32Array(count * width);
  for (let i = 0; i < values.length; i++) values[i] = random.normal() * 10 ** Math.floor(random.next() * 6 - 3);
  values.fill(0, width, 2 * width); // an all-zero row
  values[2 * width + 3] = Number.NaN;
  values[3 * width + 5] = Number.POSITIVE_INFINITY;
  values[4 * width + 7] = -3.4e38;
  // A row of float32 subnormals (a scale whose inverse overflows: the kernel's exact rounding), a row whose
  // max is 2^-120 (a subnormal scale with a finite inverse), and a row of ties (x.5 at scale 1).
  for (let j = 0; j < width; j++) values[5 * width + j] = random.normal() * 1e-40;
  for (let j = 0; j < width; j++) values[6 * width + j] = (j % 2 === 0 ? 1 : -1) * 2 ** -120 * random.next();
  values[6 * width] = 2 ** -120;
  for (let j = 0; j < width; j++) values[7 * width + j] = (j % 254) - 127 + (j % 3 === 0 ? 0.5 : 0);
  values[7 * width + 1] = 127;
  return values;
}

test('kernel rows match the float32 arithmetic exactly, NaN and infinity included', () => {
  const random = new SeededRandom(11);
  for (const width of [16, 64, 1024, 16384]) {
    const values = rows(random, 40, width);
    const { values: q, scales } = quantizeInt8(values, width);
    const want = reference(values, width);
    assert.deepEqual([...scales], want.scales, `scales, width ${width}`);
    assert.deepEqual([...q], want.q, `values, width ${width}`);
    const back = dequantizeInt8(q, scales, width);
    for (let i = 0; i < back.length; i++) {
      const scale = scales[Math.floor(i / width)];
      if (Number.isFinite(scale)) assert.ok(Math.abs(back[i] - values[i]) <= scale / 2 + 1e-30, `value ${i}, width ${width}`);
      else assert.ok(Number.isNaN(back[i]), 'a non-finite scale spreads to its row');
    }
  }
});

test('groups longer than a block (a whole tensor) match the float32 arithmetic exactly, the last group shorter', () => {
  const random = new SeededRandom(14);
  // Group sizes past the 16,384-value block, a multiple of 16 and not, with 8 groups and a last group of half.
  for (const groupSize of [16400, 20011, 40000]) {
    const values = rows(random, 8, groupSize);
    const all = new Float32Array(values.length + (groupSize >> 1)).map(() => random.normal());
    all.set(values);
    for (const input of [all, all.subarray(0, groupSize)]) {
      const { values: q, scales } = quantizeInt8(input, groupSize);
      const want = reference(input, groupSize);
      assert.deepEqual([...scales], want.scales, `scales, groups of ${groupSize}`);
      assert.deepEqual([...q], want.q, `values, groups of ${groupSize}`);
      const back = dequantizeInt8(q, scales, groupSize);
      for (let i = 0; i < back.length; i++) {
        assert.equal(back[i], Math.fround(q[i] * scales[Math.floor(i / groupSize)]), `value ${i}, groups of ${groupSize}`);
      }
    }
  }
});

test('widths the kernels do not take (not a multiple of 16) round-trip within half a step', () => {
  const random = new SeededRandom(12);
  for (const width of [1, 3, 36]) {
    const values = new Float32Array(20 * width).map(() => random.normal());
    const { values: q, scales } = quantizeInt8(values, width);
    const back = dequantizeInt8(q, scales, width);
    for (let i = 0; i < back.length; i++) assert.ok(Math.abs(back[i] - values[i]) <= scales[Math.floor(i / width)] / 2 + 1e-7);
  }
});

test('the scalar widths write zeros for an all-zero row and for a row with NaN (outputs are not zeroed memory)', () => {
  const random = new SeededRandom(13);
  for (const width of [3, 36]) {
    for (let round = 0; round < 20; round++) {
      // Large outputs come from memory that may hold an earlier round's bytes.
      const values = new Float32Array(4096 * width).map(() => random.normal());
      values.fill(0, width, 2 * width);
      values[2 * width + 1] = Number.NaN;
      const { values: q, scales } = quantizeInt8(values, width);
      assert.equal(scales[1], 0);
      assert.ok(Number.isNaN(scales[2]));
      assert.deepEqual([...q.subarray(width, 3 * width)], new Array(2 * width).fill(0), `width ${width}`);
    }
  }
});
