// The largest update a device can honestly send for a model of a given size: what the edge accepts on the
// wire, so that a declared gigabyte for a 430 KB model is refused before it is buffered.

/**
 * An update is at most the model in float32 (a dense delta), or its rows with a 4-byte index and a 4-byte
 * row weight each (a sparse delta of a table one value wide is three times its values), plus its header
 * and metrics. A model blob holds at least the float32 values, so three times its size, plus 64 KiB for
 * headers, bounds every honest update; lossy encodings only make updates smaller.
 */
export function updateBytesBound(modelBlobBytes: number): number {
  return 3 * modelBlobBytes + 64 * 1024;
}
