// Little-endian byte views of typed arrays, both ways. On the (usual) little-endian host, encoding views
// the array's own bytes and decoding views the frame's bytes in place when they are aligned; otherwise the
// bytes are copied (and swapped on a big-endian host), so callers never see the difference.

import { WireFormatError } from '../errors.js';

/** Whether this host stores multi-byte numbers little-endian (checked once). */
export const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

type WordArray = Float32Array | Uint32Array | Uint16Array | Int8Array;

/** The little-endian bytes of `array`: a view of its own memory on a little-endian host. */
export function littleEndianBytes(array: WordArray): Uint8Array {
  const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  if (LITTLE_ENDIAN_HOST || array.BYTES_PER_ELEMENT === 1) return bytes;
  const copy = bytes.slice();
  swapBytes(copy, array.BYTES_PER_ELEMENT);
  return copy;
}

/** `bytes` as float32 values; a view over the same memory when it is 4-byte aligned (zero-copy). */
export function float32View(bytes: Uint8Array, field: string): Float32Array {
  const n = wordCount(bytes, 4, field);
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Float32Array(n);
  copyWords(bytes, out);
  return out;
}

/** `bytes` as uint32 values; a view over the same memory when it is 4-byte aligned (zero-copy). */
export function uint32View(bytes: Uint8Array, field: string): Uint32Array {
  const n = wordCount(bytes, 4, field);
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 4 === 0) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Uint32Array(n);
  copyWords(bytes, out);
  return out;
}

/** `bytes` as uint16 values; a view over the same memory when it is 2-byte aligned (zero-copy). */
export function uint16View(bytes: Uint8Array, field: string): Uint16Array {
  const n = wordCount(bytes, 2, field);
  if (LITTLE_ENDIAN_HOST && bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  const out = new Uint16Array(n);
  copyWords(bytes, out);
  return out;
}

/** `bytes` as int8 values, always a view (single bytes have neither alignment nor byte order). */
export function int8View(bytes: Uint8Array): Int8Array {
  return new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reverses the byte order of every `width`-byte word of `bytes` in place. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

function wordCount(bytes: Uint8Array, width: number, field: string): number {
  if (bytes.byteLength % width !== 0) {
    throw new WireFormatError(`${field}: ${bytes.byteLength} bytes is not a whole number of ${width}-byte values`);
  }
  return bytes.byteLength / width;
}

function copyWords(bytes: Uint8Array, out: Float32Array | Uint32Array | Uint16Array): void {
  const target = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  target.set(bytes);
  if (!LITTLE_ENDIAN_HOST) swapBytes(target, out.BYTES_PER_ELEMENT);
}
