// Memory for a frame or a codec's output that is written in full before anyone reads it, so zeroing it first
// would be a wasted pass over a large buffer. Node's Buffer.allocUnsafeSlow skips the zeroing and returns
// memory of its own (offset 0, so payloads the encoder aligned stay aligned; large blocks come back from
// malloc's free lists, where a zeroed ArrayBuffer of the same size costs a page fault and a zeroing pass per
// page: 1-2x the time of copying the values). A browser has no such call and gets zeroed memory. The core
// reaches Buffer through globalThis so that it imports nothing from Node.

interface UnsafeAllocator {
  allocUnsafeSlow(size: number): Uint8Array;
}

const nodeBuffer = (globalThis as { Buffer?: UnsafeAllocator }).Buffer;

/** `size` bytes at offset 0 of an ArrayBuffer of their own, possibly holding stale data until written. */
export function uninitializedBytes(size: number): Uint8Array {
  if (!nodeBuffer) return new Uint8Array(size);
  const buffer = nodeBuffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

type TypedArrayOf<T> = { new (buffer: ArrayBuffer, byteOffset: number, length: number): T; readonly BYTES_PER_ELEMENT: number };

/** A typed array of `length` elements over uninitializedBytes: the caller writes every element. */
export function uninitializedArray<T>(type: TypedArrayOf<T>, length: number): T {
  const bytes = uninitializedBytes(length * type.BYTES_PER_ELEMENT);
  return new type(bytes.buffer as ArrayBuffer, bytes.byteOffset, length);
}
