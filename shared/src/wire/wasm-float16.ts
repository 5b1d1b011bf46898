// float32 <-> float16 as WebAssembly SIMD kernels on the bit patterns, over blocks staged in the module's memory;
// the same results as the scalar conversion in float16.ts (round to nearest even, subnormals, infinities, NaN
// with its payload's top bits), which converts the tail.
//
// Encoding (after F. Giesen's float_to_half_fast3): a normal half rebiases the exponent and rounds the 13
// dropped bits (a + 0xc8000fff + odd) >> 13; a subnormal or zero one is the float sum |x| + 0.5, whose
// hardware rounding leaves the half's bits in the low mantissa (minus the bits of 0.5); magnitudes from
// 65520 up are infinity, NaN keeps its top payload bits. Decoding shifts the 15 magnitude bits into place and
// rebiases; infinity and NaN rebias once more, subnormals renormalise by a float subtraction.
// Both kernels first try a fast path on each run of eight, taken when no value needs the rarer cases (encoding:
// every half normal; decoding: no infinity or NaN), and select among every case only for the other runs. The
// main loops take eight runs (64 values) per iteration, so that the loop's own cost (V8 reloads the constants
// it spilled, checks the stack, counts) is paid once per 64 values instead of once per 8. Kernels alone, 4M
// values, loaded 2-core VM: encoding 2.1 -> 1.3 ms (first fast path) -> 1.16 ms (unrolled, range check on the
// narrowed halves, signs after narrowing), decoding 1.6 -> 1.2 (loaded: 1.62) -> 1.24 ms (unrolled, sign-
// extend and one mask), with the same bits (checked against main's kernels for all 2^32 float32 patterns and
// all 2^16 halves in throwaway runs, and in wire-float16.test.ts).

import {
  I32,
  PAGE_BYTES,
  V128,
  i32Add,
  i32Const,
  instantiate,
  localGet,
  localSet,
  localTee,
  loop,
  next,
  simd,
  uleb128,
} from '../wasm/wasm-assembly.js';

/** Values per staged block, and where the block's halves sit in memory. */
const BLOCK = 16384;
const HALVES_OFFSET = BLOCK * 4;
const MEMORY_BYTES = HALVES_OFFSET + BLOCK * 2;

const splat = (value: number): number[] => [...i32Const(value), ...simd(0x11)];
const and = simd(0x4e);
const or = simd(0x50);
const bitselect = simd(0x52);
const add = simd(0xae);
const sub = simd(0xb1);
const shl = (bits: number): number[] => [...i32Const(bits), ...simd(0xab)];
const shrU = (bits: number): number[] => [...i32Const(bits), ...simd(0xad)];
const eq = simd(0x37);
const ltS = simd(0x39);
const gtS = simd(0x3b);
const geS = simd(0x3f);

// (func $toHalf (param $in i32) (param $out i32) (param $count i32) (local $i $p i32) (local $x $a $h $y v128)
//   (loop (p = in + 4i)
//     for g in 0..groups-1: (v128.store (out + 2i + 16g) (fast or else (i16x8.narrow_u (half p+32g) (half p+32g+16))))
//     (next $i 8*groups $count)))
const [TI, TP, TX, TA] = [3, 4, 5, 6];
/** With a = |x| on the stack (and in TA): the normal half's bits, (a + 0xc8000fff + ((a >> 13) & 1)) >> 13. */
const normalHalf = [...splat(0xc8000fff), ...add, ...localGet(TA), ...shrU(13), ...splat(1), ...and, ...add, ...shrU(13)];
/** ORs the sign of x (TX) into the half on the stack. */
const signOfX = [...localGet(TX), ...shrU(16), ...splat(0x8000), ...and, ...or];
const half = (offset: number): number[] => [
  ...localGet(TP),
  ...simd(0x00),
  0,
  ...uleb128(offset),
  ...localTee(TX),
  ...splat(0x7fffffff),
  ...and,
  ...localSet(TA),
  // 65520 and up: NaN (0x7e00 | top payload bits) or infinity (0x7c00)
  ...localGet(TA),
  ...shrU(13),
  ...splat(0x3ff),
  ...and,
  ...splat(0x7e00),
  ...or,
  ...splat(0x7c00),
  ...localGet(TA),
  ...splat(0x7f800000),
  ...gtS,
  ...bitselect,
  // subnormal or zero: bits(|x| + 0.5) - bits(0.5)
  ...localGet(TA),
  ...splat(0x3f000000),
  ...simd(0xe4),
  ...splat(0x3f000000),
  ...sub,
  // normal: (a + 0xc8000fff + ((a >> 13) & 1)) >> 13
  ...localGet(TA),
  ...normalHalf,
  ...localGet(TA),
  ...splat(0x38800000),
  ...ltS,
  ...bitselect,
  ...localGet(TA),
  ...splat(0x47800000),
  ...geS,
  ...bitselect,
  ...signOfX,
];
// The fast path: the normal formula on all eight magnitudes (no sign), narrowed to 16 bits with unsigned
// saturation, is the right half for every lane whose result lies in [0x401, 0x7bff]: a magnitude below the
// normals either gives at most 0x400 (the sum wraps) or saturates to 0xffff, and one from 65536 up gives at
// least 0x7c00, so one compare of the eight narrowed halves stands for the range check (n + 0x7bff wraps that
// range onto [-32768, -2050] as i16, so a lane outside it is one above -2050). The signs are added after
// narrowing: x >> 16 (arithmetic) narrows exactly to the top 16 bits. When a lane falls outside (zero,
// subnormal, 2^-14 exactly, infinity, NaN), the eight go through `half`, which selects among every case.
const [TH, TY] = [7, 8];
const splat16 = (value: number): number[] => [...i32Const(value), ...simd(0x10)];
const magnitudeHalf = (offset: number, x: number): number[] => [
  ...localGet(TP),
  ...simd(0x00),
  0,
  ...uleb128(offset),
  ...localTee(x),
  ...splat(0x7fffffff),
  ...and,
  ...localTee(TA),
  ...normalHalf,
];
const signs = [...localGet(TY), ...i32Const(16), ...simd(0xac), ...localGet(TX), ...i32Const(16), ...simd(0xac), ...simd(0x85)];
/** Eight values at `in + 4i + 32g` into eight halves at `out + 2i + 16g`. */
const eightHalves = (g: number): number[] => [
  ...localGet(1),
  ...localGet(TI),
  ...i32Const(1),
  0x74,
  ...i32Add,
  ...magnitudeHalf(32 * g, TY),
  ...magnitudeHalf(32 * g + 16, TX),
  ...simd(0x86),
  ...localTee(TH),
  ...splat16(0x7bff),
  ...simd(0x8e),
  ...splat16(-2050),
  ...simd(0x31),
  ...simd(0x53),
  0x04,
  V128,
  ...half(32 * g),
  ...half(32 * g + 16),
  ...simd(0x86),
  0x05,
  ...localGet(TH),
  ...signs,
  ...splat16(0x8000),
  ...and,
  ...or,
  0x0b,
  ...simd(0x0b),
  0,
  ...uleb128(16 * g),
];
/** The encoding loop over `groups` runs of eight per iteration (count: a multiple of 8 * groups, above 0). */
const toHalf = (groups: number): number[] => [
  2,
  2,
  I32,
  4,
  V128,
  ...loop(
    localGet(0),
    localGet(TI),
    i32Const(2),
    [0x74],
    i32Add,
    localSet(TP),
    ...Array.from({ length: groups }, (_, g) => eightHalves(g)),
    next(TI, 8 * groups, 2),
  ),
  0x0b,
];

// (func $toFloat (param $in i32) (param $out i32) (param $count i32) (local $i $o i32) (local $x $h $t $e v128)
//   (loop (o = out + 4i)
//     for g in 0..groups-1: (x = v128.load (in + 2i + 16g))
//       (v128.store o+32g (float (i32x4.extend_low_u x))) (v128.store o+32g+16 (float (i32x4.extend_high_u x)))
//     (next $i 8*groups $count)))
const [FI, FO, FX, FH, FT, FE] = [3, 4, 5, 6, 7, 8];
/** The store's address, then the low or high four halves of FX widened (kept in FH), magnitude bits moved into a float32's place. */
const halfMagnitudes = (high: boolean): number[] => [
  ...localGet(FO),
  ...localGet(FX),
  ...simd(high ? 0xaa : 0xa9),
  ...localTee(FH),
  ...splat(0x7fff),
  ...and,
  ...shl(13),
];
/** ORs the halves' signs (FH) into the floats on the stack and stores them at `offset`. */
const signAndStore = (offset: number): number[] => [
  ...localGet(FH),
  ...splat(0x8000),
  ...and,
  ...shl(16),
  ...or,
  ...simd(0x0b),
  0,
  ...uleb128(offset),
];
const float = (high: boolean, offset: number): number[] => [
  ...halfMagnitudes(high),
  ...localTee(FT),
  ...splat(0x0f800000),
  ...and,
  ...localSet(FE),
  // subnormal or zero: (bits(t + 0x38800000) as float) - 2^-14
  ...localGet(FT),
  ...splat(0x38800000),
  ...add,
  ...splat(0x38800000),
  ...simd(0xe5),
  // infinity or NaN: t + 2 * 0x38000000; normal: t + 0x38000000
  ...localGet(FT),
  ...splat(0x70000000),
  ...add,
  ...localGet(FT),
  ...splat(0x38000000),
  ...add,
  ...localGet(FE),
  ...splat(0x0f800000),
  ...eq,
  ...bitselect,
  ...localGet(FE),
  ...splat(0),
  ...eq,
  ...bitselect,
  ...signAndStore(offset),
];
// The fast path: when none of the eight halves is infinity or NaN, the half's bits moved into a float32's place
// (sign to bit 31, exponent and mantissa to bits 27-13) are the value times 2^-112 (a float32 subnormal for a
// subnormal half), so one exact multiplication by 2^112 (bits 0x77800000) finishes it. Sign-extending the half
// to 32 bits and shifting it left by 13 puts a copy of the sign in bits 31-28 and the rest in place, and one
// mask keeps bit 31 and bits 27-13: four instructions for four values. Otherwise the eight go through `float`.
const fastFloat = (high: boolean, offset: number): number[] => [
  ...localGet(FO),
  ...localGet(FX),
  ...simd(high ? 0xa8 : 0xa7),
  ...shl(13),
  ...splat(0x8fffe000),
  ...and,
  ...splat(0x77800000),
  ...simd(0xe6),
  ...simd(0x0b),
  0,
  ...uleb128(offset),
];
/** The halves at `in + 2i + 16g`. */
const halvesAt = (g: number): number[] => [
  ...localGet(0),
  ...localGet(FI),
  ...i32Const(1),
  0x74,
  ...i32Add,
  ...simd(0x00),
  0,
  ...uleb128(16 * g),
];
/** Eight halves at `in + 2i + 16g` into eight floats at `out + 4i + 32g` (FO = out + 4i). */
const eightFloats = (g: number): number[] => [
  ...halvesAt(g),
  ...localTee(FX),
  ...splat(0x7c007c00),
  ...and,
  ...splat(0x7c007c00),
  ...simd(0x2d),
  ...simd(0x53),
  0x04,
  0x40,
  ...float(false, 32 * g),
  ...float(true, 32 * g + 16),
  0x05,
  ...fastFloat(false, 32 * g),
  ...fastFloat(true, 32 * g + 16),
  0x0b,
];
/** The lanes of the eight halves at `in + 2i + 16g` that are infinity or NaN, ORed into the mask on the stack when `or`. */
const specialHalves = (g: number, or_: boolean): number[] => [
  ...halvesAt(g),
  ...splat(0x7c007c00),
  ...and,
  ...splat(0x7c007c00),
  ...simd(0x2d),
  ...(or_ ? or : []),
];
/** Eight halves at `in + 2i + 16g` into floats at `out + 4i + 32g` by the fast path (none is infinity or NaN). */
const fastEightFloats = (g: number): number[] => [
  ...halvesAt(g),
  ...localSet(FX),
  ...fastFloat(false, 32 * g),
  ...fastFloat(true, 32 * g + 16),
];
/**
 * The decoding loop over `groups` runs of eight per iteration (count: a multiple of 8 * groups, above 0): one
 * check of all of them first, and when one holds an infinity or NaN, each run checked and converted on its own.
 */
const toFloat = (groups: number): number[] => [
  2,
  2,
  I32,
  4,
  V128,
  ...loop(
    localGet(1),
    localGet(FI),
    i32Const(2),
    [0x74],
    i32Add,
    localSet(FO),
    ...Array.from({ length: groups }, (_, g) => specialHalves(g, g > 0)),
    simd(0x53),
    [0x04, 0x40],
    ...Array.from({ length: groups }, (_, g) => eightFloats(g)),
    [0x05],
    ...Array.from({ length: groups }, (_, g) => fastEightFloats(g)),
    [0x0b],
    next(FI, 8 * groups, 2),
  ),
  0x0b,
];

/** Runs of eight per iteration of the main loops (so 32 values); a block's last runs go through one-run loops. */
const GROUPS = 8;
const UNROLLED = 8 * GROUPS;

type Conversion = (input: number, out: number, count: number) => void;

interface Float16Kernel {
  readonly toHalf: Conversion;
  readonly toHalfRuns: Conversion;
  readonly toFloat: Conversion;
  readonly toFloatRuns: Conversion;
  readonly floats: Float32Array;
  readonly halves: Uint16Array;
}

let kernel: Float16Kernel | undefined;

function float16Kernel(): Float16Kernel {
  if (!kernel) {
    const params = [I32, I32, I32];
    const exports = instantiate(
      [
        { exportName: 'toHalf', params, results: [], body: toHalf(GROUPS) },
        { exportName: 'toHalfRuns', params, results: [], body: toHalf(1) },
        { exportName: 'toFloat', params, results: [], body: toFloat(GROUPS) },
        { exportName: 'toFloatRuns', params, results: [], body: toFloat(1) },
      ],
      Math.ceil(MEMORY_BYTES / PAGE_BYTES),
    );
    const memory = (exports.memory as { readonly buffer: ArrayBuffer }).buffer;
    kernel = {
      toHalf: exports.toHalf as Conversion,
      toHalfRuns: exports.toHalfRuns as Conversion,
      toFloat: exports.toFloat as Conversion,
      toFloatRuns: exports.toFloatRuns as Conversion,
      floats: new Float32Array(memory),
      halves: new Uint16Array(memory),
    };
  }
  return kernel;
}

/**
 * Converts `count` (a multiple of 8) staged values: the unrolled loop over the multiple of 32, the one-run loop
 * over the rest (each loop runs at least once, so neither is called for none).
 */
function convert(
  unrolled: Conversion,
  runs: Conversion,
  input: number,
  out: number,
  count: number,
  inWidth: number,
  outWidth: number,
): void {
  const main = count - (count % UNROLLED);
  if (main > 0) unrolled(input, out, main);
  if (count > main) runs(input + inWidth * main, out + outWidth * main, count - main);
}

/** Converts the first `count` (a multiple of 8) values of `src` into `out`. */
export function float32ToFloat16Simd(src: Float32Array, out: Uint16Array, count: number): void {
  const { toHalf, toHalfRuns, floats, halves } = float16Kernel();
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    floats.set(src.subarray(start, start + n));
    convert(toHalf, toHalfRuns, 0, HALVES_OFFSET, n, 4, 2);
    out.set(halves.subarray(HALVES_OFFSET / 2, HALVES_OFFSET / 2 + n), start);
  }
}

/** Converts the first `count` (a multiple of 8) halves of `src` into `out`. */
export function float16ToFloat32Simd(src: Uint16Array, out: Float32Array, count: number): void {
  const { toFloat, toFloatRuns, floats, halves } = float16Kernel();
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    halves.set(src.subarray(start, start + n), HALVES_OFFSET / 2);
    convert(toFloat, toFloatRuns, HALVES_OFFSET, 0, n, 2, 4);
    out.set(floats.subarray(0, n), start);
  }
}
