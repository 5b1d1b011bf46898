// Memory for a frame that is written in full before anyone reads it, so zeroing it first would be a wasted
// pass over a large buffer. Node's Buffer.allocUnsafeSlow skips the zeroing and returns memory of its own
// (offset 0, so payloads the encoder aligned stay aligned); a browser has no such call and gets zeroed
// memory. The core reaches Buffer through globalThis so that it imports nothing from Node.

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
