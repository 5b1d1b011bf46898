// Whole-array conversion between float32 and IEEE 754 binary16 (half precision), done on the bit patterns
// through Uint32Array views: round-to-nearest-even, subnormals, infinities and NaN as the standard says.
// Runs of eight go through the WebAssembly SIMD kernels (wasm-float16.ts), the tail through the loops here;
// on hosts with the native codecs (native-codecs.ts) everything goes through them, with the same results.

import { uninitializedArray } from './uninitialized-bytes.js';
import { nativeCodecs } from './native-codecs.js';
import { float16ToFloat32Simd, float32ToFloat16Simd } from './wasm-float16.js';

/**
 * Converts every float32 of `src` to its nearest float16 (ties to even). Magnitudes of 65520 and above
 * become infinity, magnitudes of 2^-25 and below become (signed) zero, NaN stays NaN (quiet).
 */
export function float32ToFloat16(src: Float32Array, out: Uint16Array = uninitializedArray(Uint16Array, src.length)): Uint16Array {
  checkLengths(src.length, out.length);
  const native = nativeCodecs();
  if (native) {
    native.float32ToFloat16(src, out);
    return out;
  }
  const simdCount = src.length - (src.length % 8);
  if (simdCount > 0) float32ToFloat16Simd(src, out, simdCount);
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = simdCount; i < bits.length; i++) {
    const x = bits[i];
    const a = x & 0x7fffffff;
    let h: number;
    if (a >= 0x38800000) {
      if (a < 0x47800000) {
        // A normal half: rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest
        // even; a carry out of the mantissa correctly bumps the exponent, up to infinity at 65520.
        h = (a - 0x38000000 + 0xfff + ((a >>> 13) & 1)) >>> 13;
      } else {
        h = a > 0x7f800000 ? 0x7e00 | ((a >>> 13) & 0x3ff) : 0x7c00;
      }
    } else if (a > 0x33000000) {
      // A subnormal half: the value in units of 2^-24 is the 24-bit significand shifted right by 126 - e.
      const shift = 126 - (a >>> 23);
      const significand = (a & 0x7fffff) | 0x800000;
      const q = significand >>> shift;
      const rest = significand & ((1 << shift) - 1);
      const half = 1 << (shift - 1);
      h = rest > half || (rest === half && (q & 1) === 1) ? q + 1 : q;
    } else {
      h = 0;
    }
    out[i] = ((x >>> 16) & 0x8000) | h;
  }
  return out;
}

/** Converts every float16 bit pattern of `src` to the float32 of the same value (exact). */
export function float16ToFloat32(src: Uint16Array, out: Float32Array = uninitializedArray(Float32Array, src.length)): Float32Array {
  checkLengths(src.length, out.length);
  const native = nativeCodecs();
  if (native) {
    native.float16ToFloat32(src, out);
    return out;
  }
  const simdCount = src.length - (src.length % 8);
  if (simdCount > 0) float16ToFloat32Simd(src, out, simdCount);
  const table = halfToFloatBits();
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = simdCount; i < src.length; i++) bits[i] = table[src[i]];
  return out;
}

// Every half converts exactly, so one 256 KiB table of float32 bit patterns indexed by the half's bits is
// both the simplest and the fastest decoder.
let halfTable: Uint32Array | undefined;

function halfToFloatBits(): Uint32Array {
  if (halfTable) return halfTable;
  const table = new Uint32Array(65536);
  const scratch = new Float32Array(1);
  const scratchBits = new Uint32Array(scratch.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exponent = (h >>> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    let magnitude: number;
    if (exponent === 0) {
      scratch[0] = mantissa * 2 ** -24;
      magnitude = scratchBits[0];
    } else if (exponent === 31) {
      magnitude = 0x7f800000 | (mantissa << 13);
    } else {
      magnitude = ((exponent + 112) << 23) | (mantissa << 13);
    }
    table[h] = (sign | magnitude) >>> 0;
  }
  halfTable = table;
  return table;
}

function checkLengths(src: number, out: number): void {
  if (src !== out) throw new RangeError(`float16 conversion: output holds ${out} values, input ${src}`);
}
