// A 32-bit checksum of a model's exact contents (tensor names, shapes and float bits), which a device
// compares with the one its edge sends so that a cache that drifted (a missed patch, corrupted memory) is
// caught and replaced instead of trained on. Not cryptographic: it guards against accidents, not peers.

import type { ModelParams } from '../fl/model.js';

const PRIME = 0x01000193;
const LANES = 4;

/** The checksum of `model`: equal models (bit for bit, same names and shapes) give equal checksums. */
export function modelChecksum(model: ModelParams): number {
  let h = 0x811c9dc5;
  for (const name of [...model.keys()].sort()) {
    const tensor = model.get(name)!;
    for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), PRIME);
    for (const d of tensor.shape) h = Math.imul(h ^ d, PRIME);
    h = Math.imul(h ^ wordsChecksum(new Uint32Array(tensor.values.buffer, tensor.values.byteOffset, tensor.values.length)), PRIME);
  }
  return h >>> 0;
}

/**
 * The checksum of 32-bit words (a model's float bits, a saved server state): FNV-style multiply-xor in four interleaved lanes, so consecutive words do not wait on
 * each other's multiplication (about four times faster than one chain), the lanes folded at the end.
 */
export function wordsChecksum(words: Uint32Array): number {
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  let c = 0x9e3779b9;
  let d = 0x85ebca6b;
  const n = words.length;
  const blocked = n - (n % LANES);
  for (let i = 0; i < blocked; i += LANES) {
    a = Math.imul(a ^ words[i], PRIME);
    b = Math.imul(b ^ words[i + 1], PRIME);
    c = Math.imul(c ^ words[i + 2], PRIME);
    d = Math.imul(d ^ words[i + 3], PRIME);
  }
  for (let i = blocked; i < n; i++) a = Math.imul(a ^ words[i], PRIME);
  return Math.imul(Math.imul(Math.imul(a ^ b, PRIME) ^ c, PRIME) ^ d, PRIME) ^ n;
}
