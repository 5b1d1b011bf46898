// Masks: a 32-byte key expanded with ChaCha20 (RFC 8439, zero nonce: every mask key is used once) into
// uniform 32-bit words, added to or subtracted from a vector modulo 2^32. Uint32Array stores wrap modulo 2^32
// by themselves, and a uniform word added to any word gives a uniform word.

import { chacha20 } from '@noble/ciphers/chacha.js';
import { LITTLE_ENDIAN_HOST } from '../../wire/byte-order.js';

const CHUNK_WORDS = 16 * 1024;
const NONCE = new Uint8Array(12);
const ZEROS = new Uint8Array(4 * CHUNK_WORDS);

/** Adds (sign +1) or subtracts (sign -1) the mask expanded from `key` to `words`, in place. */
export function applyMask(words: Uint32Array, key: Uint8Array, sign: 1 | -1): Uint32Array {
  const stream = new Uint32Array(CHUNK_WORDS);
  const streamBytes = new Uint8Array(stream.buffer);
  for (let start = 0, block = 0; start < words.length; start += CHUNK_WORDS, block += (4 * CHUNK_WORDS) / 64) {
    const n = Math.min(CHUNK_WORDS, words.length - start);
    chacha20(key, NONCE, ZEROS.subarray(0, 4 * n), streamBytes.subarray(0, 4 * n), block);
    // The keystream's words are little-endian; on a big-endian host read them so (never in practice).
    if (!LITTLE_ENDIAN_HOST) {
      const view = new DataView(stream.buffer);
      for (let i = 0; i < n; i++) stream[i] = view.getUint32(4 * i, true);
    }
    if (sign === 1) for (let i = 0; i < n; i++) words[start + i] += stream[i];
    else for (let i = 0; i < n; i++) words[start + i] -= stream[i];
  }
  return words;
}
