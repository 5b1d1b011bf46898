// Per-row int8 quantisation and dequantisation as WebAssembly SIMD kernels, over rows staged in the module's
// memory: the plain JS loops run near 1 ns per value (bounds and map checks on every access), these at a
// fraction of it (bench/src/codec-bench.ts). Semantics in float32: scale = max|row| / 127, q = clamp(floor(
// value * (1 / scale) + 0.5), -127, 127); a row with NaN gets a NaN scale, an all-zero row scale 0 and zeros.
// Rows whose width is a multiple of 64 are quantised and dequantised 64 values a loop step (the loop's own
// cost paid a quarter as often: 4M values in rows of 1024, staging included, 2.97 -> 2.48 ms quantising on a
// loaded 2-core VM, rows of 64 3.89 -> 3.71 ms; dequantising 2.68 -> 2.58 and 2.96 -> 2.76 ms), other widths 16.
// Quantising runs in three passes over a block's rows: the rows' maxima, then the scales and their inverses
// four rows per f32x4.div (IEEE divisions: the scalar ones' bits), then the rows. With the two dependent
// divisions inside each row's work, a row of 64 values waited on them (kernel alone, 4M values: 1.93 ms in rows
// of 64 against 1.29 in rows of 1024); now 1.53 against 1.24.

import {
  F32,
  I32,
  PAGE_BYTES,
  V128,
  i32Add,
  i32Const,
  instantiate,
  localGet,
  loop,
  next,
  localSet,
  localTee,
  simd,
  uleb128 as uleb,
} from '../wasm/wasm-assembly.js';

/** Floats per staged block (64 KiB), and where the block's int8 values and row scales sit in memory. */
export const INT8_BLOCK = 16384;
const Q_OFFSET = INT8_BLOCK * 4;
const SCALES_OFFSET = Q_OFFSET + INT8_BLOCK;
/** The rows' inverse scales while quantising (a row is at least 16 values, so a block has at most a 16th of its values' rows). */
const INVERSES_OFFSET = SCALES_OFFSET + INT8_BLOCK;
const MEMORY_BYTES = INVERSES_OFFSET + INT8_BLOCK;

const f32Const = (value: number): number[] => [0x43, ...new Uint8Array(Float32Array.of(value).buffer)];
const i32Shl = [0x74];
const i32Mul = [0x6c];
const f32Max = [0x97];
const f32Lt = [0x5d];
const i32And = [0x71];
const f32Load = [0x2a, 2, 0];
const f32Store = [0x38, 2, 0];
const extract = (lane: number): number[] => [...simd(0x1f), lane];

/** v128.load of `base` + `offset` bytes (16-byte alignment hint). */
const loadAt = (base: number, offset: number): number[] => [...localGet(base), ...simd(0x00), 4, ...uleb(offset)];
const absAt = (base: number, offset: number): number[] => [...loadAt(base, offset), ...simd(0xe0)];
const maxU = simd(0xb9);
/** Four values at `base` + `offset` as i32: trunc_sat(floor(x * inv + half)). */
const rounded = (base: number, offset: number, inv: number, half: number): number[] => [
  ...loadAt(base, offset),
  ...localGet(inv),
  ...simd(0xe6),
  ...localGet(half),
  ...simd(0xe4),
  ...simd(0x68),
  ...simd(0xf8),
];

// (func $quantizeRows (param $in i32) (param $out i32) (param $scales i32) (param $rows i32) (param $width i32)
//   (local $r $rowIn $rowOut $i $p $bytes i32) (local $scale $invScalar f32) (local $m $inv $half $magic v128)
//   (loop $row (rowIn = in + 4*r*width) (m = 0)
//     (loop (p = rowIn + i) (m = i32x4.max_u(m, max_u(max_u(|p[0]|, |p[16]|), max_u(|p[32]|, |p[48]|)))) (next $i 64 $bytes))
//     (f32.store (scales + 4r) (f32.max(f32.max(lane0 m, lane1 m), f32.max(lane2 m, lane3 m)))) (next $r 1 $rows))
//   (loop $rows4 (s = f32x4.div (v128.load (scales + 4r)) 127) (v128.store (scales + 4r) s)
//     (v128.store (inverses + 4r) (f32x4.div 1 s)) (next $r 4 $rows))
//   (loop $row
//     (rowOut = out + r*width) (rowIn = in + 4*r*width) (scale = f32.load (scales + 4r))
//     (inv = splat(invScalar = f32.load (inverses + 4r)))
//     (if (scale < inf && invScalar < inf) (loop over the row with r = roundedFast) (else (the same loop with r = rounded)))
//       where the loop is (p = rowIn + 4i) (v128.store (rowOut + i) (i8x16.max_s (i8x16.narrow (i16x8.narrow r0 r1)
//       (i16x8.narrow r2 r3)) -127)) (next $i 16 $width), 16 * runs a step
//     (next $r 1 $rows)))
// The bits of non-negative floats order as unsigned integers, NaN above infinity above every number, so
// pmaxud keeps the largest and any NaN (f32x4.max, which must propagate NaN, is a sequence 25 times slower).
// Narrowing saturates; -128 is raised to -127 as in the scalar path. Everything is inline: a call per row
// cost more than the row's work.
const [R, ROW_IN, ROW_OUT, I, P, BYTES, SCALE, INV_SCALAR, M, INV, HALF, MAGIC] = [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
/**
 * The fast rounding, for a row whose scale and its inverse are finite (every row of finite values not all zero,
 * except rows of subnormals): there |x * inv| stays near 127, so after the floor adding 1.5 * 2^23 leaves the integer in the
 * low mantissa bits, and subtracting the same constant's bits (0x4b400000) from them gives it as an i32: two
 * instructions where i32x4.trunc_sat_f32x4_s, which must handle NaN and overflow, costs about eight.
 */
const roundedFast = (base: number, offset: number): number[] => [
  ...loadAt(base, offset),
  ...localGet(INV),
  ...simd(0xe6),
  ...localGet(HALF),
  ...simd(0xe4),
  ...simd(0x68),
  ...localGet(MAGIC),
  ...simd(0xe4),
  ...localGet(MAGIC),
  ...simd(0xb1),
];
/** Sixteen values at P + 64g quantised by `round` into sixteen int8 bytes at the address on the stack + 16g. */
const sixteenBytes = (round: (base: number, offset: number, inv: number, half: number) => number[], g: number): number[] => [
  ...round(P, 64 * g, INV, HALF),
  ...round(P, 64 * g + 16, INV, HALF),
  ...simd(0x85),
  ...round(P, 64 * g + 32, INV, HALF),
  ...round(P, 64 * g + 48, INV, HALF),
  ...simd(0x85),
  ...simd(0x65),
  ...i32Const(-127),
  ...simd(0x0f),
  ...simd(0x78),
  ...simd(0x0b),
  0,
  ...uleb(16 * g),
];
/** The loop that quantises a row's values by `round` into its int8 bytes, 16 * `runs` a step. */
const quantizeRowLoop = (round: (base: number, offset: number, inv: number, half: number) => number[], runs: number): number[] =>
  loop(
    localGet(ROW_IN),
    localGet(I),
    i32Const(2),
    i32Shl,
    i32Add,
    localSet(P),
    ...Array.from({ length: runs }, (_, g) => [...localGet(ROW_OUT), ...localGet(I), ...i32Add, ...sixteenBytes(round, g)]),
    next(I, 16 * runs, 4),
  );
/** The quantising functions' locals, and the constants and the row's byte width they keep in them. */
const quantizePrologue = [
  3,
  6,
  I32,
  2,
  F32,
  4,
  V128,
  ...i32Const(0x4b400000),
  ...simd(0x11),
  ...localSet(MAGIC),
  ...localGet(4),
  ...i32Const(2),
  ...i32Shl,
  ...localSet(BYTES),
  ...f32Const(0.5),
  ...simd(0x13),
  ...localSet(HALF),
];
/** 1. Each row's largest magnitude (NaN above all), stored where its scale goes. */
const rowMaxima = [
  ...loop(
    localGet(R),
    localGet(4),
    i32Mul,
    i32Const(2),
    i32Shl,
    localGet(0),
    i32Add,
    localSet(ROW_IN),
    i32Const(0),
    simd(0x11),
    localSet(M),
    i32Const(0),
    localSet(I),
    loop(
      localGet(ROW_IN),
      localGet(I),
      i32Add,
      localSet(P),
      localGet(M),
      absAt(P, 0),
      absAt(P, 16),
      maxU,
      absAt(P, 32),
      absAt(P, 48),
      maxU,
      maxU,
      maxU,
      localSet(M),
      next(I, 64, BYTES),
    ),
    localGet(2),
    localGet(R),
    i32Const(2),
    i32Shl,
    i32Add,
    localGet(M),
    extract(0),
    localGet(M),
    extract(1),
    f32Max,
    localGet(M),
    extract(2),
    localGet(M),
    extract(3),
    f32Max,
    f32Max,
    f32Store,
    next(R, 1, 3),
  ),
];
/**
 * 2. Four rows at a time: scale = max / 127 and its inverse 1 / scale (IEEE divisions, the scalar ones' bits),
 * out of the rows' dependency chains (up to three lanes past the last row are scratch).
 */
const rowScales = [
  ...i32Const(0),
  ...localSet(R),
  ...loop(
    localGet(2),
    localGet(R),
    i32Const(2),
    i32Shl,
    i32Add,
    localTee(P),
    localGet(P),
    simd(0x00),
    [4, 0],
    f32Const(127),
    simd(0x13),
    simd(0xe7),
    localTee(INV),
    simd(0x0b),
    [4, 0],
    i32Const(INVERSES_OFFSET),
    localGet(R),
    i32Const(2),
    i32Shl,
    i32Add,
    f32Const(1),
    simd(0x13),
    localGet(INV),
    simd(0xe7),
    simd(0x0b),
    [4, 0],
    next(R, 4, 3),
  ),
];
/** 3. Each row quantised with its scale and inverse scale (at INVERSES_OFFSET), 16 * `runs` values a step. */
const quantizeWithScales = (runs: number): number[] => [
  ...i32Const(0),
  ...localSet(R),
  ...loop(
    localGet(R),
    localGet(4),
    i32Mul,
    localTee(ROW_OUT),
    i32Const(2),
    i32Shl,
    localGet(0),
    i32Add,
    localSet(ROW_IN),
    localGet(ROW_OUT),
    localGet(1),
    i32Add,
    localSet(ROW_OUT),
    localGet(2),
    localGet(R),
    i32Const(2),
    i32Shl,
    i32Add,
    f32Load,
    localSet(SCALE),
    i32Const(INVERSES_OFFSET),
    localGet(R),
    i32Const(2),
    i32Shl,
    i32Add,
    f32Load,
    localTee(INV_SCALAR),
    simd(0x13),
    localSet(INV),
    i32Const(0),
    localSet(I),
    localGet(SCALE),
    f32Const(Number.POSITIVE_INFINITY),
    f32Lt,
    localGet(INV_SCALAR),
    f32Const(Number.POSITIVE_INFINITY),
    f32Lt,
    i32And,
    [0x04, 0x40],
    quantizeRowLoop((base, offset) => roundedFast(base, offset), runs),
    [0x05],
    quantizeRowLoop(rounded, runs),
    [0x0b],
    next(R, 1, 3),
  ),
];
/** The quantising function for rows whose width is a multiple of 16 * `runs`. */
const quantizeRows = (runs: number): number[] => [...quantizePrologue, ...rowMaxima, ...rowScales, ...quantizeWithScales(runs), 0x0b];

// (func $dequantizeRows (param $q i32) (param $scales i32) (param $out i32) (param $rows i32) (param $width i32)
//   (local $r $i $o $qRow $outRow i32) (local $s $lo $hi v128)
//   (loop $row (qRow = q + r*width) (outRow = out + 4*r*width) (s = splat(f32.load (scales + 4r)))
//     (loop (x = v128.load (qRow + i)) (lo, hi = i16x8.extend_low_s/high_s x) (o = outRow + 4i)
//       (v128.store o+0 (mul (convert (i32x4.extend_low_s lo)) s)) ... o+16 high lo, o+32 low hi, o+48 high hi
//       (next $i 16 $width))
//     (next $r 1 $rows)))
const [DR, DI, DO, Q_ROW, OUT_ROW, DS, LO, HI] = [5, 6, 7, 8, 9, 10, 11, 12];
const store4 = (half: number, high: boolean, offset: number): number[] => [
  ...localGet(DO),
  ...localGet(half),
  ...simd(high ? 0xa8 : 0xa7),
  ...simd(0xfa),
  ...localGet(DS),
  ...simd(0xe6),
  ...simd(0x0b),
  0,
  ...uleb(offset),
];
/** Sixteen int8 values at Q_ROW + DI + 16g as floats times the row's scale at DO + 64g. */
const sixteenFloats = (g: number): number[] => [
  ...localGet(Q_ROW),
  ...localGet(DI),
  ...i32Add,
  ...simd(0x00),
  0,
  ...uleb(16 * g),
  ...localTee(LO),
  ...simd(0x88),
  ...localSet(HI),
  ...localGet(LO),
  ...simd(0x87),
  ...localSet(LO),
  ...store4(LO, false, 64 * g),
  ...store4(LO, true, 64 * g + 16),
  ...store4(HI, false, 64 * g + 32),
  ...store4(HI, true, 64 * g + 48),
];
/** The dequantising function for rows whose width is a multiple of 16 * `runs`. */
const dequantizeRows = (runs: number): number[] => [
  2,
  5,
  I32,
  3,
  V128,
  ...loop(
    localGet(DR),
    localGet(4),
    i32Mul,
    localTee(Q_ROW),
    i32Const(2),
    i32Shl,
    localGet(2),
    i32Add,
    localSet(OUT_ROW),
    localGet(Q_ROW),
    localGet(0),
    i32Add,
    localSet(Q_ROW),
    localGet(1),
    localGet(DR),
    i32Const(2),
    i32Shl,
    i32Add,
    f32Load,
    simd(0x13),
    localSet(DS),
    i32Const(0),
    localSet(DI),
    loop(
      localGet(OUT_ROW),
      localGet(DI),
      i32Const(2),
      i32Shl,
      i32Add,
      localSet(DO),
      ...Array.from({ length: runs }, (_, g) => sixteenFloats(g)),
      next(DI, 16 * runs, 4),
    ),
    next(DR, 1, 3),
  ),
  0x0b,
];

/** Runs of sixteen per step of the row loops for rows whose width is a multiple of 64 (16 * RUNS). */
const RUNS = 4;

type RowFunction = (a: number, b: number, c: number, rows: number, width: number) => void;

interface Int8Kernel {
  /** (input, out, scales, rows, width): the step of 64 values, for widths that are a multiple of 64. */
  readonly quantizeRows: RowFunction;
  /** The same with a step of 16 values, for the other widths. */
  readonly quantizeRowsBy16: RowFunction;
  /** (input, unused, maxima, rows, width): each row's largest magnitude (NaN above all), width a multiple of 16. */
  readonly rowMaxima: RowFunction;
  /** (input, out, scales, rows, width): the rows quantised with the scales given and the inverses at INVERSES_OFFSET. */
  readonly quantizeWithScales: RowFunction;
  readonly quantizeWithScalesBy16: RowFunction;
  /** (q, scales, out, rows, width), steps as above. */
  readonly dequantizeRows: RowFunction;
  readonly dequantizeRowsBy16: RowFunction;
  readonly floats: Float32Array;
  readonly bytes: Int8Array;
}

let kernel: Int8Kernel | undefined;

function int8Kernel(): Int8Kernel {
  if (!kernel) {
    const rows = [I32, I32, I32, I32, I32];
    const exports = instantiate(
      [
        { exportName: 'quantizeRows', params: rows, results: [], body: quantizeRows(RUNS) },
        { exportName: 'quantizeRowsBy16', params: rows, results: [], body: quantizeRows(1) },
        { exportName: 'rowMaxima', params: rows, results: [], body: [...quantizePrologue, ...rowMaxima, 0x0b] },
        { exportName: 'quantizeWithScales', params: rows, results: [], body: [...quantizePrologue, ...quantizeWithScales(RUNS), 0x0b] },
        { exportName: 'quantizeWithScalesBy16', params: rows, results: [], body: [...quantizePrologue, ...quantizeWithScales(1), 0x0b] },
        { exportName: 'dequantizeRows', params: rows, results: [], body: dequantizeRows(RUNS) },
        { exportName: 'dequantizeRowsBy16', params: rows, results: [], body: dequantizeRows(1) },
      ],
      Math.ceil(MEMORY_BYTES / PAGE_BYTES),
    );
    const memory = (exports.memory as { readonly buffer: ArrayBuffer }).buffer;
    kernel = {
      quantizeRows: exports.quantizeRows as RowFunction,
      quantizeRowsBy16: exports.quantizeRowsBy16 as RowFunction,
      rowMaxima: exports.rowMaxima as RowFunction,
      quantizeWithScales: exports.quantizeWithScales as RowFunction,
      quantizeWithScalesBy16: exports.quantizeWithScalesBy16 as RowFunction,
      dequantizeRows: exports.dequantizeRows as RowFunction,
      dequantizeRowsBy16: exports.dequantizeRowsBy16 as RowFunction,
      floats: new Float32Array(memory),
      bytes: new Int8Array(memory),
    };
  }
  return kernel;
}

/** The function of 64 values a step for a width that is a multiple of 64, else the one of 16 values a step. */
function byStep(width: number, by64: RowFunction, by16: RowFunction): RowFunction {
  return width % (16 * RUNS) === 0 ? by64 : by16;
}

/** Whether rows of `width` values go through the kernels (a multiple of 16 that fits a block). */
export function kernelRowWidth(width: number): boolean {
  return width > 0 && width % 16 === 0 && width <= INT8_BLOCK;
}

/** Quantises `values` in rows of `width` (kernelRowWidth) into `q` and one scale per row into `scales`. */
export function quantizeRowsInt8(values: Float32Array, width: number, q: Int8Array, scales: Float32Array): void {
  const kernel = int8Kernel();
  const { floats, bytes } = kernel;
  const quantizeRows = byStep(width, kernel.quantizeRows, kernel.quantizeRowsBy16);
  const rowsPerBlock = Math.floor(INT8_BLOCK / width);
  const rows = values.length / width;
  for (let row = 0; row < rows; row += rowsPerBlock) {
    const n = Math.min(rowsPerBlock, rows - row);
    const start = row * width;
    floats.set(values.subarray(start, start + n * width));
    quantizeRows(0, Q_OFFSET, SCALES_OFFSET, n, width);
    q.set(bytes.subarray(Q_OFFSET, Q_OFFSET + n * width), start);
    scales.set(floats.subarray(SCALES_OFFSET / 4, SCALES_OFFSET / 4 + n), row);
  }
}

/** The values `q * scale` of rows of `width` (kernelRowWidth), one scale per row, into `out`. */
export function dequantizeRowsInt8(q: Int8Array, scales: Float32Array, width: number, out: Float32Array): void {
  const kernel = int8Kernel();
  const { floats, bytes } = kernel;
  const dequantizeRows = byStep(width, kernel.dequantizeRows, kernel.dequantizeRowsBy16);
  const rowsPerBlock = Math.floor(INT8_BLOCK / width);
  const rows = q.length / width;
  for (let row = 0; row < rows; row += rowsPerBlock) {
    const n = Math.min(rowsPerBlock, rows - row);
    const start = row * width;
    bytes.set(q.subarray(start, start + n * width), Q_OFFSET);
    floats.set(scales.subarray(row, row + n), SCALES_OFFSET / 4);
    dequantizeRows(Q_OFFSET, SCALES_OFFSET, 0, n, width);
    out.set(floats.subarray(0, n * width), start);
  }
}

/** Whether groups of `groupSize` values go through the long-group kernels: groups longer than a block. */
export function kernelLongGroup(groupSize: number): boolean {
  return groupSize > INT8_BLOCK;
}

/**
 * Quantises `values` in groups of `groupSize` (kernelLongGroup), one scale each (the last group may be
 * shorter), into `q` and `scales`, with the rows' semantics: a group's blocks are staged twice, once for its
 * largest magnitude and once to quantise them. A group holding NaN or an infinity gets that scale and zeros.
 */
export function quantizeLongGroupsInt8(values: Float32Array, groupSize: number, q: Int8Array, scales: Float32Array): void {
  const kernel = int8Kernel();
  for (let group = 0, start = 0; start < values.length; group++, start += groupSize) {
    const end = Math.min(values.length, start + groupSize);
    let max = 0;
    forEachBlock(start, end, (blockStart, n, padded) => {
      stageValues(kernel.floats, values, blockStart, n, padded);
      kernel.rowMaxima(0, 0, SCALES_OFFSET, 1, padded);
      max = Math.max(max, kernel.floats[SCALES_OFFSET / 4]);
    });
    // Math.fround of the double quotient is the float32 quotient (double rounding is innocuous for division).
    const scale = Math.fround(max / 127);
    scales[group] = scale;
    if (!(scale > 0) || scale === Number.POSITIVE_INFINITY) {
      q.fill(0, start, end);
      continue;
    }
    // Staging writes below Q_OFFSET only, so the group's scale and inverse stay put for all of its blocks.
    kernel.floats[SCALES_OFFSET / 4] = scale;
    kernel.floats[INVERSES_OFFSET / 4] = Math.fround(1 / scale);
    forEachBlock(start, end, (blockStart, n, padded) => {
      stageValues(kernel.floats, values, blockStart, n, padded);
      byStep(padded, kernel.quantizeWithScales, kernel.quantizeWithScalesBy16)(0, Q_OFFSET, SCALES_OFFSET, 1, padded);
      q.set(kernel.bytes.subarray(Q_OFFSET, Q_OFFSET + n), blockStart);
    });
  }
}

/** The values `q * scale` of groups of `groupSize` (kernelLongGroup), one scale each, into `out`. */
export function dequantizeLongGroupsInt8(q: Int8Array, scales: Float32Array, groupSize: number, out: Float32Array): void {
  const kernel = int8Kernel();
  for (let group = 0, start = 0; start < q.length; group++, start += groupSize) {
    kernel.floats[SCALES_OFFSET / 4] = scales[group];
    forEachBlock(start, Math.min(q.length, start + groupSize), (blockStart, n, padded) => {
      // The bytes past n in the staged block are stale; the values they give are not copied out.
      kernel.bytes.set(q.subarray(blockStart, blockStart + n), Q_OFFSET);
      byStep(padded, kernel.dequantizeRows, kernel.dequantizeRowsBy16)(Q_OFFSET, SCALES_OFFSET, 0, 1, padded);
      out.set(kernel.floats.subarray(0, n), blockStart);
    });
  }
}

/** Calls `each` for the blocks of [start, end): a block's start, its length, and that length rounded up to 16. */
function forEachBlock(start: number, end: number, each: (blockStart: number, n: number, padded: number) => void): void {
  for (let blockStart = start; blockStart < end; blockStart += INT8_BLOCK) {
    const n = Math.min(INT8_BLOCK, end - blockStart);
    each(blockStart, n, Math.ceil(n / 16) * 16);
  }
}

/** Stages n values from `start` at the front of the module's memory, zeros after them up to `padded`. */
function stageValues(floats: Float32Array, values: Float32Array, start: number, n: number, padded: number): void {
  floats.set(values.subarray(start, start + n));
  floats.fill(0, n, padded);
}
