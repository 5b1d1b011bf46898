// The inner loop of dense aggregation as a WebAssembly SIMD kernel: acc += w0*x0 + w1*x1 + w2*x2 + w3*x3 on
// f32x4 lanes, over blocks staged in the module's own memory.
//
// Why not plain JS: TurboFan re-checks each typed array's map, length and data pointer on every access (it
// hoists nothing out of the loop), which holds even a blocked, four-way fused JS loop near 1 ns per
// element: 0.2 to 0.4 of the speed of copying the same bytes with Float32Array.set, against about 0.8 for
// this kernel (bench/src/aggregation-bench.ts). The module is one small function, assembled byte by byte
// (wasm/wasm-assembly.ts), its text format beside it.

import {
  F32,
  I32,
  PAGE_BYTES,
  V128,
  i32Add,
  instantiate,
  localGet,
  localSet,
  localTee,
  simd,
  v128Load,
  v128Store,
} from '../../wasm/wasm-assembly.js';

/** Floats per staged block: the accumulator and four input blocks (5 * 64 KiB) stay in L2 cache. */
export const MADD4_BLOCK = 16384;

/** The compiled kernel and a float view of its memory. */
export interface Madd4Kernel {
  /**
   * For byte offsets `acc`, `x0`..`x3` into `heap` and `bytes` (a positive multiple of 16):
   * heap[acc + i] += w0*heap[x0 + i] + w1*heap[x1 + i] + w2*heap[x2 + i] + w3*heap[x3 + i].
   */
  readonly madd4: (
    acc: number,
    x0: number,
    x1: number,
    x2: number,
    x3: number,
    bytes: number,
    w0: number,
    w1: number,
    w2: number,
    w3: number,
  ) => void;
  /** The module's memory: the accumulator block at float 0, input block q at float (q + 1) * MADD4_BLOCK. */
  readonly heap: Float32Array;
}

const f32x4Splat = simd(0x13);
const f32x4Add = simd(0xe4);
const f32x4Mul = simd(0xe6);

// Parameters 0..9: acc x0 x1 x2 x3 bytes w0 w1 w2 w3; locals 10: i, 11..14: the splatted weights.
const I = 10;
const W = 11;
/** x_q[i] * w_q as f32x4 */
const term = (q: number): number[] => [...localGet(1 + q), ...localGet(I), ...i32Add, ...v128Load, ...localGet(W + q), ...f32x4Mul];

/*
 * (func (export "madd4") (param $acc i32) (param $x0 i32) (param $x1 i32) (param $x2 i32) (param $x3 i32)
 *       (param $bytes i32) (param $w0 f32) (param $w1 f32) (param $w2 f32) (param $w3 f32)
 *   (local $i i32) (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
 *   (local.set $v0 (f32x4.splat (local.get $w0)))   ;; and $v1..$v3 likewise
 *   (loop $next
 *     (v128.store (i32.add (local.get $acc) (local.get $i))
 *       (f32x4.add (v128.load (i32.add (local.get $acc) (local.get $i)))
 *         (f32x4.add (f32x4.add (term 0) (term 1)) (f32x4.add (term 2) (term 3)))))
 *     (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 16))) (local.get $bytes)))))
 * Pairing the four terms shortens the chain of dependent adds per lane.
 */
const madd4Body: number[] = [
  2,
  1,
  I32,
  4,
  V128,
  ...[0, 1, 2, 3].flatMap((q) => [...localGet(6 + q), ...f32x4Splat, ...localSet(W + q)]),
  0x03,
  0x40,
  ...localGet(0),
  ...localGet(I),
  ...i32Add,
  ...localGet(0),
  ...localGet(I),
  ...i32Add,
  ...v128Load,
  ...term(0),
  ...term(1),
  ...f32x4Add,
  ...term(2),
  ...term(3),
  ...f32x4Add,
  ...f32x4Add,
  ...f32x4Add,
  ...v128Store,
  ...localGet(I),
  0x41,
  16,
  ...i32Add,
  ...localTee(I),
  ...localGet(5),
  0x49,
  0x0d,
  0,
  0x0b,
  0x0b,
];

let kernel: Madd4Kernel | undefined;

/**
 * The kernel, compiled on first use (so importing this package never fails where WebAssembly SIMD is
 * missing; Node >= 16.4 has it). One instance per thread: calls are synchronous and never overlap.
 */
export function madd4Kernel(): Madd4Kernel {
  if (!kernel) {
    const pages = Math.ceil((5 * MADD4_BLOCK * 4) / PAGE_BYTES);
    const params = [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32];
    const exports = instantiate([{ exportName: 'madd4', params, results: [], body: madd4Body }], pages);
    const memory = exports.memory as { readonly buffer: ArrayBuffer };
    kernel = {
      madd4: exports.madd4 as Madd4Kernel['madd4'],
      heap: new Float32Array(memory.buffer),
    };
  }
  return kernel;
}
