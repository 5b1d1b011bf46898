// float32 <-> float16 as WebAssembly SIMD kernels on the bit patterns, eight values per iteration, over
// blocks staged in the module's memory; the same results as the scalar conversion in float16.ts (round to
// nearest even, subnormals, infinities, NaN with its payload's top bits), which converts the tail.
//
// Encoding (after F. Giesen's float_to_half_fast3): a normal half rebiases the exponent and rounds the 13
// dropped bits (a + 0xc8000fff + odd) >> 13; a subnormal or zero one is the float sum |x| + 0.5, whose
// hardware rounding leaves the half's bits in the low mantissa (minus the bits of 0.5); magnitudes from
// 65520 up are infinity, NaN keeps its top payload bits. Decoding shifts the 15 magnitude bits into place and
// rebiases; infinity and NaN rebias once more, subnormals renormalise by a float subtraction.
// Both kernels first try a fast path on each run of eight, taken when no value needs the rarer cases (encoding:
// every half normal; decoding: no infinity or NaN), and select among every case only for the other runs. On
// 4M values of an update the kernels alone went from 2.1 to 1.3 ms (encoding) and 1.6 to 1.2 ms (decoding),
// with the same bits (checked against the scalar conversion for all 2^32 float32 patterns in a throwaway run,
// and in wire-float16.test.ts).

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

// (func $toHalf (param $in i32) (param $out i32) (param $count i32) (local $i $p i32) (local $x $a v128)
//   (loop (p = in + 4i) (v128.store (out + 2i) (i16x8.narrow_u (half p+0) (half p+16))) (next $i 8 $count)))
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
// The fast path: when all eight values give normal halves (|x| in [2^-14, 65520)), only the normal formula
// and the sign, and one signed compare for the range: a + 0x47800000 wraps the range onto [INT_MIN, 0x8f000000).
// Otherwise the eight go through `half` above, which selects among every case.
const [TM, TH] = [7, 8];
const fastHalf = (offset: number): number[] => [
  ...localGet(TP),
  ...simd(0x00),
  0,
  ...uleb128(offset),
  ...localTee(TX),
  ...splat(0x7fffffff),
  ...and,
  ...localTee(TA),
  ...normalHalf,
  ...signOfX,
  ...localGet(TA),
  ...splat(0x47800000),
  ...add,
  ...splat(0x8f000000),
  ...ltS,
];
const toHalf = [
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
    fastHalf(0),
    localSet(TM),
    fastHalf(16),
    localGet(TM),
    and,
    localSet(TM),
    simd(0x86),
    localSet(TH),
    localGet(1),
    localGet(TI),
    i32Const(1),
    [0x74],
    i32Add,
    localGet(TM),
    simd(0xa3),
    [0x04, V128],
    localGet(TH),
    [0x05],
    half(0),
    half(16),
    simd(0x86),
    [0x0b],
    simd(0x0b),
    [0, 0],
    next(TI, 8, 2),
  ),
  0x0b,
];

// (func $toFloat (param $in i32) (param $out i32) (param $count i32) (local $i $o i32) (local $x $h $t $e v128)
//   (loop (x = v128.load (in + 2i)) (o = out + 4i)
//     (v128.store o+0 (float (i32x4.extend_low_u x))) (v128.store o+16 (float (i32x4.extend_high_u x))) (next $i 8 $count)))
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
// The fast path: when none of the eight halves is infinity or NaN, the magnitude bits shifted into a float32's
// place are the value times 2^-112 (a float32 subnormal for a subnormal half), so one exact multiplication by
// 2^112 (bits 0x77800000) finishes it. Otherwise the eight go through `float` above.
const fastFloat = (high: boolean, offset: number): number[] => [
  ...halfMagnitudes(high),
  ...splat(0x77800000),
  ...simd(0xe6),
  ...signAndStore(offset),
];
const toFloat = [
  2,
  2,
  I32,
  4,
  V128,
  ...loop(
    localGet(0),
    localGet(FI),
    i32Const(1),
    [0x74],
    i32Add,
    simd(0x00),
    [0, 0],
    localTee(FX),
    splat(0x7c007c00),
    and,
    splat(0x7c007c00),
    simd(0x2d),
    simd(0x53),
    localGet(1),
    localGet(FI),
    i32Const(2),
    [0x74],
    i32Add,
    localSet(FO),
    [0x04, 0x40],
    float(false, 0),
    float(true, 16),
    [0x05],
    fastFloat(false, 0),
    fastFloat(true, 16),
    [0x0b],
    next(FI, 8, 2),
  ),
  0x0b,
];

interface Float16Kernel {
  readonly toHalf: (input: number, out: number, count: number) => void;
  readonly toFloat: (input: number, out: number, count: number) => void;
  readonly floats: Float32Array;
  readonly halves: Uint16Array;
}

let kernel: Float16Kernel | undefined;

function float16Kernel(): Float16Kernel {
  if (!kernel) {
    const params = [I32, I32, I32];
    const exports = instantiate(
      [
        { exportName: 'toHalf', params, results: [], body: toHalf },
        { exportName: 'toFloat', params, results: [], body: toFloat },
      ],
      Math.ceil(MEMORY_BYTES / PAGE_BYTES),
    );
    const memory = (exports.memory as { readonly buffer: ArrayBuffer }).buffer;
    kernel = {
      toHalf: exports.toHalf as Float16Kernel['toHalf'],
      toFloat: exports.toFloat as Float16Kernel['toFloat'],
      floats: new Float32Array(memory),
      halves: new Uint16Array(memory),
    };
  }
  return kernel;
}

/** Converts the first `count` (a multiple of 8) values of `src` into `out`. */
export function float32ToFloat16Simd(src: Float32Array, out: Uint16Array, count: number): void {
  const { toHalf, floats, halves } = float16Kernel();
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    floats.set(src.subarray(start, start + n));
    toHalf(0, HALVES_OFFSET, n);
    out.set(halves.subarray(HALVES_OFFSET / 2, HALVES_OFFSET / 2 + n), start);
  }
}

/** Converts the first `count` (a multiple of 8) halves of `src` into `out`. */
export function float16ToFloat32Simd(src: Uint16Array, out: Float32Array, count: number): void {
  const { toFloat, floats, halves } = float16Kernel();
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    halves.set(src.subarray(start, start + n), HALVES_OFFSET / 2);
    toFloat(HALVES_OFFSET, 0, n);
    out.set(floats.subarray(0, n), start);
  }
}
