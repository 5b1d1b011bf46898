// The dense weighted-mean kernel behind FedAvg and every strategy built on it: out = Σ w_k x_k / Σ w_k.
//
// Cache-blocked and fused: a block of MADD4_BLOCK elements is accumulated across all inputs, four inputs
// per pass, while the accumulator block stays in L2 cache, so each input byte is read from memory once and
// the output is written once. A loop adding one whole input at a time into a model-sized accumulator
// instead streams the accumulator through memory once per input.

import { MADD4_BLOCK, madd4Kernel } from './wasm-madd4.js';

/**
 * Writes the weighted mean of `inputs` (all of `out`'s length) into `out` and returns it. Weights are
 * normalised by their sum; if they sum to zero the mean is undefined and `out` is zeros. Accumulates in
 * float32, so the result is within a few float32 ulps of the exact mean of the values given.
 */
export function weightedMeanInto(out: Float32Array, inputs: readonly Float32Array[], weights: ArrayLike<number>): Float32Array {
  if (inputs.length !== weights.length) {
    throw new RangeError(`weighted mean of ${inputs.length} inputs got ${weights.length} weights`);
  }
  let total = 0;
  for (let k = 0; k < weights.length; k++) total += weights[k];
  for (const [k, input] of inputs.entries()) {
    if (input.length !== out.length) {
      throw new RangeError(`weighted mean into ${out.length} values: input ${k} has ${input.length}`);
    }
  }
  if (!(total > 0)) return out.fill(0);

  const { madd4, heap } = madd4Kernel();
  const n = out.length;
  const scaled = new Float64Array(4);
  for (let start = 0; start < n; start += MADD4_BLOCK) {
    const length = Math.min(MADD4_BLOCK, n - start);
    // The kernel works on whole f32x4 lanes; lanes past `length` hold stale floats and are never read back.
    const padded = (length + 3) & ~3;
    heap.fill(0, 0, padded);
    for (let k = 0; k < inputs.length; k += 4) {
      for (let q = 0; q < 4; q++) {
        const slot = (q + 1) * MADD4_BLOCK;
        if (k + q < inputs.length) {
          heap.set(inputs[k + q].subarray(start, start + length), slot);
          scaled[q] = weights[k + q] / total;
        } else {
          // Zeros times zero weight, so a short last group adds nothing (stale floats could be Inf or NaN).
          heap.fill(0, slot, slot + padded);
          scaled[q] = 0;
        }
      }
      madd4(
        0,
        4 * MADD4_BLOCK,
        8 * MADD4_BLOCK,
        12 * MADD4_BLOCK,
        16 * MADD4_BLOCK,
        padded * 4,
        scaled[0],
        scaled[1],
        scaled[2],
        scaled[3],
      );
    }
    out.set(heap.subarray(0, length), start);
  }
  return out;
}
