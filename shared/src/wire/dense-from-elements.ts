// A top-k tensor's dense values: the sent values at their element indices, zero everywhere else.
//
// Its own function for its one loop: inline in decodeCheckedTensor (tensor-codec.ts: a long function of checks
// and branches) the scatter ran several times slower, as the loops top-k-selection.ts warns about (V8 compiles a
// long loop on stack replacement, and the code around it stays unoptimised): decoding the bench's top-1% update
// (two 8 MB tensors, 21k values each) took 2.1-4.3 ms at best and 8.9-12.6 ms as a median, against 1.0-1.2 and
// 1.3-1.4 ms with the loop here (load 15-16, 30 runs, hugetlb malloc tunable).

/** A zeroed array of `count` values holding values[i] at elements[i] (checked indices: increasing, below count). */
export function denseFromElements(count: number, elements: Uint32Array, values: Float32Array): Float32Array {
  // Zeroed by the allocator, not by a pass here: calloc skips zeroing pages fresh from the kernel (two 8 MB
  // tensors with the scatter: 2.2-4.8 ms against 2.3-5.9 ms for uninitialised memory and fill(0)).
  const dense = new Float32Array(count);
  for (let i = 0; i < elements.length; i++) dense[elements[i]] = values[i];
  return dense;
}
