// Float32 arrays as base64 text (little-endian bytes), for views carried in JSON: a browser device's demo split
// or a user's file. Uses atob/btoa, which Node and browsers both have, so the same code runs in a page.

import { DataError } from '@strata/shared';

/** Characters btoa is given at a time (String.fromCharCode takes its bytes as arguments). */
const CHUNK = 0x8000;

export function float32ToBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  let text = '';
  for (let i = 0; i < bytes.length; i += CHUNK) text += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(text);
}

/** `count` floats from base64 `text`; a DataError naming `what` when it is not base64 of exactly that many. */
export function base64ToFloat32(text: string, count: number, what: string): Float32Array {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    throw new DataError(`${what}: not base64`);
  }
  if (binary.length !== 4 * count) throw new DataError(`${what}: ${binary.length} bytes, need ${4 * count} (${count} float32)`);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}
