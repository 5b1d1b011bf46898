// Whole-array conversion between float32 and bfloat16 (float32's upper 16 bits: its sign, its 8-bit exponent
// and 7 of its 23 mantissa bits), done on the bit patterns through Uint32Array views: round to nearest even,
// NaN stays NaN (quiet). bfloat16 keeps float32's range, so a value float16 would overflow (above 65504) stays
// finite; it carries the narrow rows of int8 per-row tensors (tensor-codec.ts), which are small, so plain
// loops serve (no WebAssembly kernel).

import { uninitializedArray } from './uninitialized-bytes.js';

/**
 * Converts every float32 of `src` to its nearest bfloat16 (ties to even). Magnitudes that round past the
 * largest bfloat16 (about 3.39e38) become infinity; NaN stays NaN.
 */
export function float32ToBfloat16(src: Float32Array, out: Uint16Array = uninitializedArray(Uint16Array, src.length)): Uint16Array {
  checkLengths(src.length, out.length);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i];
    // A NaN's dropped mantissa bits could round it to infinity: keep its upper half and set the quiet bit.
    // Otherwise add just under half a unit of the kept part, plus the kept part's lowest bit (ties to even);
    // a carry out of the mantissa bumps the exponent, as rounding should. x + 0x8000 stays below 2^32.
    out[i] = (x & 0x7fffffff) > 0x7f800000 ? (x >>> 16) | 0x40 : (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

/** Widens every bfloat16 of `src` to the float32 with the same upper 16 bits (exact). */
export function bfloat16ToFloat32(src: Uint16Array, out: Float32Array = uninitializedArray(Float32Array, src.length)): Float32Array {
  checkLengths(src.length, out.length);
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i] << 16;
  return out;
}

function checkLengths(input: number, output: number): void {
  if (input !== output) throw new RangeError(`bfloat16 conversion: output holds ${output} values, input ${input}`);
}
