// Symmetric int8 quantisation with one scale per group of consecutive values (a whole tensor, or one row):
// value = q * scale with scale = max|value| / 127, so the error of each value is at most scale / 2. Groups of
// a multiple of 16 values that fit a block, and groups longer than a block (a whole large tensor), go through
// the WebAssembly SIMD kernels (wasm-int8.ts), or the native codecs with the same results where a host has them
// (native-codecs.ts); the rest through the loops below.

import { nativeCodecs } from './native-codecs.js';
import { uninitializedArray } from './uninitialized-bytes.js';
import {
  dequantizeLongGroupsInt8,
  dequantizeRowsInt8,
  kernelLongGroup,
  kernelRowWidth,
  quantizeLongGroupsInt8,
  quantizeRowsInt8,
} from './wasm-int8.js';

export interface Int8Quantized {
  readonly values: Int8Array;
  /** One scale per group of `groupSize` values. */
  readonly scales: Float32Array;
}

/**
 * Quantises `values` in groups of `groupSize` consecutive values, each with its own scale. A group holding
 * NaN or an infinity gets a NaN or infinite scale, so that the receiver sees non-finite values (and rejects
 * the update) instead of zeros.
 */
export function quantizeInt8(
  values: Float32Array,
  groupSize: number,
  out: Int8Quantized = {
    values: uninitializedArray(Int8Array, values.length),
    scales: uninitializedArray(Float32Array, int8Groups(values.length, groupSize)),
  },
): Int8Quantized {
  const groups = int8Groups(values.length, groupSize);
  const { values: q, scales } = out;
  if (q.length !== values.length || scales.length !== groups) {
    throw new RangeError(
      `int8 quantisation: output holds ${q.length} values and ${scales.length} scales, input ${values.length} values in ${groups} groups`,
    );
  }
  const rows = kernelRowWidth(groupSize) && values.length === groups * groupSize;
  if (rows || kernelLongGroup(groupSize)) {
    const native = nativeCodecs();
    if (native) native.quantizeInt8Groups(values, groupSize, q, scales);
    else if (rows) quantizeRowsInt8(values, groupSize, q, scales);
    else quantizeLongGroupsInt8(values, groupSize, q, scales);
    return { values: q, scales };
  }
  for (let g = 0; g < groups; g++) {
    const start = g * groupSize;
    const end = Math.min(values.length, start + groupSize);
    let max = 0;
    let nan = false;
    for (let i = start; i < end; i++) {
      const a = Math.abs(values[i]);
      if (a > max) max = a;
      else if (Number.isNaN(a)) nan = true;
    }
    const scale = nan ? NaN : Math.fround(max / 127);
    scales[g] = scale;
    if (!(scale > 0) || scale === Infinity) {
      q.fill(0, start, end);
      continue;
    }
    // Round half up as floor(v + 0.5), with the floor done by `| 0` on a shifted positive value: no branch
    // on the sign, several times faster than Math.round on random signs. |v| <= 127 except when the scale
    // is a float32 subnormal (max below ~1.5e-36), whose rounding can push it a little past: hence the clamp.
    const inverse = 1 / scale;
    for (let i = start; i < end; i++) {
      const r = ((values[i] * inverse + 128.5) | 0) - 128;
      q[i] = r > 127 ? 127 : Math.max(r, -127);
    }
  }
  return { values: q, scales };
}

/** How many scales quantizeInt8 gives `length` values in groups of `groupSize` (at least one). */
export function int8Groups(length: number, groupSize: number): number {
  return groupSize > 0 ? Math.max(1, Math.ceil(length / groupSize)) : 1;
}

/** The values `q * scale`, with `scales[g]` applying to the g-th group of `groupSize` values. */
export function dequantizeInt8(
  q: Int8Array,
  scales: Float32Array,
  groupSize: number,
  out: Float32Array = uninitializedArray(Float32Array, q.length),
): Float32Array {
  if (out.length !== q.length) throw new RangeError(`int8 dequantisation: output holds ${out.length} values, input ${q.length}`);
  const rows = kernelRowWidth(groupSize) && q.length === scales.length * groupSize;
  if (rows || (kernelLongGroup(groupSize) && scales.length === int8Groups(q.length, groupSize))) {
    const native = nativeCodecs();
    if (native) native.dequantizeInt8Groups(q, scales, groupSize, out);
    else if (rows) dequantizeRowsInt8(q, scales, groupSize, out);
    else dequantizeLongGroupsInt8(q, scales, groupSize, out);
    return out;
  }
  for (let g = 0; g < scales.length; g++) {
    // 0 * Infinity is NaN: a non-finite scale spreads to every value of its group, zeros included.
    const s = scales[g];
    const end = Math.min(q.length, (g + 1) * groupSize);
    for (let i = g * groupSize; i < end; i++) out[i] = q[i] * s;
  }
  return out;
}
