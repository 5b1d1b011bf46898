// The randomness every privacy mechanism draws from: a ChaCha20 keystream (RFC 8439) keyed with 32 bytes
// from the Web Crypto global's getRandomValues. ChaCha20 as a generator is what the Linux kernel and
// BoringSSL use: as unpredictable as its key, and fast in bulk, where getRandomValues gives at most
// 64 KiB a call and a model's worth of Gaussian noise needs megabytes. `fromSeed` gives a reproducible
// stream for tests and benches only: a mechanism seeded from a known value protects nothing.

import { chacha20 } from '@noble/ciphers/chacha.js';

/** Where key material, mask seeds and noise come from; CryptoRandom in production. */
export interface RandomSource {
  /** Fills `bytes` with uniformly random bytes and returns it. */
  fill(bytes: Uint8Array): Uint8Array;
}

const KEY_BYTES = 32;
const BLOCK_BYTES = 64;
const BUFFER_BYTES = 16 * 1024;
/** getRandomValues refuses more than this many bytes in one call. */
const MAX_ENTROPY_CALL = 65536;
/** ChaCha20's block counter is 32 bits: move to the next nonce before it would wrap. */
const BLOCKS_PER_NONCE = 2 ** 32 - BUFFER_BYTES / BLOCK_BYTES;

/** Bytes from the platform's cryptographic generator (crypto.getRandomValues, in browsers and Node 20). */
export function entropy(bytes: Uint8Array): Uint8Array {
  const webCrypto = globalThis.crypto;
  if (typeof webCrypto?.getRandomValues !== 'function') throw new Error('crypto.getRandomValues is not available on this platform');
  for (let at = 0; at < bytes.length; at += MAX_ENTROPY_CALL) {
    webCrypto.getRandomValues(bytes.subarray(at, Math.min(bytes.length, at + MAX_ENTROPY_CALL)));
  }
  return bytes;
}

export class CryptoRandom implements RandomSource {
  private readonly key: Uint8Array;
  private readonly nonce = new Uint8Array(12);
  private readonly zeros = new Uint8Array(BUFFER_BYTES);
  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private readonly words = new Uint32Array(this.buffer.buffer);
  private at = BUFFER_BYTES;
  private counter = 0;
  private spareNormal: number | undefined;

  private constructor(key: Uint8Array) {
    this.key = key;
  }

  /** A generator keyed from the platform's entropy: the one to use for anything that protects data. */
  static fromEntropy(): CryptoRandom {
    return new CryptoRandom(entropy(new Uint8Array(KEY_BYTES)));
  }

  /** A reproducible generator from a 32-byte seed (tests and benches). */
  static fromSeed(seed: Uint8Array): CryptoRandom {
    if (seed.length !== KEY_BYTES) throw new RangeError(`a CryptoRandom seed is ${KEY_BYTES} bytes, got ${seed.length}`);
    return new CryptoRandom(seed.slice());
  }

  fill(bytes: Uint8Array): Uint8Array {
    let written = 0;
    while (written < bytes.length) {
      if (this.at === BUFFER_BYTES) this.refill();
      const n = Math.min(bytes.length - written, BUFFER_BYTES - this.at);
      bytes.set(this.buffer.subarray(this.at, this.at + n), written);
      this.at += n;
      written += n;
    }
    return bytes;
  }

  /** A uniform unsigned 32-bit integer. */
  nextUint32(): number {
    if (this.at + 4 > BUFFER_BYTES) this.refill();
    // `at` stays a multiple of 4 unless fill() took an odd count; re-align by skipping to the next word.
    const word = Math.ceil(this.at / 4);
    if (word * 4 + 4 > BUFFER_BYTES) {
      this.refill();
      return this.nextUint32();
    }
    this.at = word * 4 + 4;
    return this.words[word];
  }

  /** Uniform in [0, 1) with 53 random bits (every double of the form k·2^-53). */
  nextDouble(): number {
    const high = this.nextUint32() >>> 5;
    const low = this.nextUint32() >>> 6;
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A standard normal (Box–Muller over 53-bit uniforms; the pair's second value is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== undefined) {
      const spare = this.spareNormal;
      this.spareNormal = undefined;
      return spare;
    }
    // 1 - u lies in (0, 1], so the logarithm is finite.
    const radius = Math.sqrt(-2 * Math.log(1 - this.nextDouble()));
    const angle = 2 * Math.PI * this.nextDouble();
    this.spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  private refill(): void {
    chacha20(this.key, this.nonce, this.zeros, this.buffer, this.counter);
    this.counter += BUFFER_BYTES / BLOCK_BYTES;
    if (this.counter >= BLOCKS_PER_NONCE) {
      this.counter = 0;
      for (let i = 0; i < this.nonce.length && ++this.nonce[i] === 0; i++);
    }
    this.at = 0;
  }
}
