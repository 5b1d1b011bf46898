// Elementwise sums and differences of float32 arrays as a WebAssembly SIMD kernel, over blocks staged in the
// module's memory: error feedback adds its residual to every value it sends and keeps every value's loss,
// 4M values each, every round. A JS loop over typed arrays runs at about 3.5 ns a value on the loaded 2-core
// VM (TurboFan re-checks each array on every access); this at the cost of staging the three blocks.
// f32x4.add and f32x4.sub round as float32 arithmetic does, which is what `out[i] = a[i] + b[i]` on
// Float32Arrays gives (a sum of two float32 in double rounded to float32 is the correctly rounded float32 sum).

import { I32, PAGE_BYTES, i32Add, instantiate, localGet, loop, next, simd } from '../wasm/wasm-assembly.js';

/** Floats per staged block; a block of each of the two inputs and of the output. */
const BLOCK = 16384;
const B_OFFSET = BLOCK * 4;
const OUT_OFFSET = 2 * BLOCK * 4;
const MEMORY_BYTES = 3 * BLOCK * 4;

// (func $op (param $a i32) (param $b i32) (param $out i32) (param $bytes i32) (local $i i32)
//   (loop (v128.store (out + i) (f32x4.op (v128.load (a + i)) (v128.load (b + i)))) ... four a step
//     (next $i 64 $bytes)))
const I = 4;
const at = (base: number, offset: number): number[] => [...localGet(base), ...localGet(I), ...i32Add, ...simd(0x00), 4, offset];
const elementwise = (op: number): number[] => [
  1,
  1,
  I32,
  ...loop(
    ...[0, 16, 32, 48].map((offset) => [
      ...localGet(2),
      ...localGet(I),
      ...i32Add,
      ...at(0, offset),
      ...at(1, offset),
      ...simd(op),
      ...simd(0x0b),
      4,
      offset,
    ]),
    next(I, 64, 3),
  ),
  0x0b,
];

type Elementwise = (a: number, b: number, out: number, bytes: number) => void;

interface ElementwiseKernel {
  readonly add: Elementwise;
  readonly subtract: Elementwise;
  readonly floats: Float32Array;
}

let kernel: ElementwiseKernel | undefined;

function elementwiseKernel(): ElementwiseKernel {
  if (!kernel) {
    const params = [I32, I32, I32, I32];
    const exports = instantiate(
      [
        { exportName: 'add', params, results: [], body: elementwise(0xe4) },
        { exportName: 'subtract', params, results: [], body: elementwise(0xe5) },
      ],
      Math.ceil(MEMORY_BYTES / PAGE_BYTES),
    );
    kernel = {
      add: exports.add as Elementwise,
      subtract: exports.subtract as Elementwise,
      floats: new Float32Array((exports.memory as { readonly buffer: ArrayBuffer }).buffer),
    };
  }
  return kernel;
}

/** Values per kernel step: the first multiple of it go through the kernel, the caller loops over the rest. */
export const ELEMENTWISE_STEP = 16;

function stagedElementwise(which: 'add' | 'subtract', out: Float32Array, a: Float32Array, b: Float32Array, count: number): void {
  const k = elementwiseKernel();
  const op = k[which];
  const { floats } = k;
  for (let start = 0; start < count; start += BLOCK) {
    const n = Math.min(BLOCK, count - start);
    floats.set(a.subarray(start, start + n));
    floats.set(b.subarray(start, start + n), B_OFFSET / 4);
    op(0, B_OFFSET, OUT_OFFSET, 4 * n);
    out.set(floats.subarray(OUT_OFFSET / 4, OUT_OFFSET / 4 + n), start);
  }
}

/** out[i] = a[i] + b[i] for the first `count` values (a positive multiple of ELEMENTWISE_STEP); out may be a or b. */
export function addFloat32Simd(out: Float32Array, a: Float32Array, b: Float32Array, count: number): void {
  stagedElementwise('add', out, a, b, count);
}

/** out[i] = a[i] - b[i] for the first `count` values (a positive multiple of ELEMENTWISE_STEP); out may be a or b. */
export function subtractFloat32Simd(out: Float32Array, a: Float32Array, b: Float32Array, count: number): void {
  stagedElementwise('subtract', out, a, b, count);
}
