// Byte planes (Blosc's "shuffle"): a frame's bytes regrouped by their position modulo 4, so that the first
// bytes of every float32 lie together, then the second, and so on. Tensor payloads start 4-byte aligned in a
// frame (frame-writer.ts), so each plane holds one byte of every value: exponents and high mantissa bytes
// repeat and an entropy coder finds them (brotli: float32 updates 1.10x -> 1.20x, int8 ones 2.0x -> 2.3x,
// docs/decisions.md "entropy stage"). The trailing length % 4 bytes stay where they are.

/** `bytes` as four planes (a fresh array of the same length). */
export function toBytePlanes(bytes: Uint8Array): Uint8Array {
  const n = bytes.byteLength;
  const words = n >>> 2;
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < words; i++, j += 4) {
    out[i] = bytes[j];
    out[words + i] = bytes[j + 1];
    out[2 * words + i] = bytes[j + 2];
    out[3 * words + i] = bytes[j + 3];
  }
  out.set(bytes.subarray(4 * words), 4 * words);
  return out;
}

/** The inverse of toBytePlanes (a fresh array, so its tensor payloads are aligned for viewing in place). */
export function fromBytePlanes(planes: Uint8Array): Uint8Array {
  const n = planes.byteLength;
  const words = n >>> 2;
  const out = new Uint8Array(n);
  for (let i = 0, j = 0; i < words; i++, j += 4) {
    out[j] = planes[i];
    out[j + 1] = planes[words + i];
    out[j + 2] = planes[2 * words + i];
    out[j + 3] = planes[3 * words + i];
  }
  out.set(planes.subarray(4 * words), 4 * words);
  return out;
}
