// Shamir t-of-n secret sharing of 32-byte secrets (a mask seed, an X25519 secret key) over the prime field
// GF(p), p = 2^26 - 5. The secret is cut into eleven 24-bit limbs, each shared with its own random
// polynomial of degree t - 1: every limb is a field element, so each is perfectly hidden from t - 1 shares,
// and the limbs' polynomials are independent. A field this small keeps every product below 2^53, exact in
// a double, so interpolation runs on plain numbers: an edge reconstructs a secret per device per round, and
// BigInt arithmetic in a 255-bit field was about 2 µs a multiplication here, too slow for t² of them.

import type { RandomSource } from '../crypto-random.js';

export const SHAMIR_PRIME = 67108859;
export const SECRET_BYTES = 32;
const LIMB_BYTES = 3;
export const SECRET_LIMBS = Math.ceil(SECRET_BYTES / LIMB_BYTES);
/** A share on the wire: one 32-bit little-endian word per limb. */
export const SHARE_BYTES = 4 * SECRET_LIMBS;

/** One party's share of one secret: the evaluations at x of the limbs' polynomials. */
export interface SecretShare {
  readonly x: number;
  readonly limbs: Uint32Array;
}

const mulMod = (a: number, b: number): number => (a * b) % SHAMIR_PRIME;

function powMod(base: number, exponent: number): number {
  let result = 1;
  let b = base % SHAMIR_PRIME;
  for (let e = exponent; e > 0; e = Math.floor(e / 2)) {
    if (e % 2 === 1) result = mulMod(result, b);
    b = mulMod(b, b);
  }
  return result;
}

const invMod = (a: number): number => powMod(a, SHAMIR_PRIME - 2);

function randomFieldElement(random: RandomSource, scratch: Uint32Array): number {
  const bytes = new Uint8Array(scratch.buffer, scratch.byteOffset, 4);
  for (;;) {
    random.fill(bytes);
    const candidate = scratch[0] >>> 6;
    if (candidate < SHAMIR_PRIME) return candidate;
  }
}

function checkPoint(x: number): void {
  if (!(Number.isInteger(x) && x >= 1 && x < SHAMIR_PRIME)) {
    throw new RangeError(`share point must be an integer in [1, ${SHAMIR_PRIME}), got ${x}`);
  }
}

/** Shares `secret` (32 bytes) at the points `xs` (distinct, nonzero) so that any `threshold` of them recover it. */
export function shareSecret(secret: Uint8Array, xs: readonly number[], threshold: number, random: RandomSource): SecretShare[] {
  if (secret.length !== SECRET_BYTES) throw new RangeError(`a shared secret is ${SECRET_BYTES} bytes, got ${secret.length}`);
  if (!(Number.isInteger(threshold) && threshold >= 1 && threshold <= xs.length)) {
    throw new RangeError(`threshold must be in [1, ${xs.length}] for ${xs.length} shares, got ${threshold}`);
  }
  if (new Set(xs).size !== xs.length) throw new RangeError('share points must be distinct');
  xs.forEach(checkPoint);
  const scratch = new Uint32Array(1);
  const shares = xs.map((x) => ({ x, limbs: new Uint32Array(SECRET_LIMBS) }));
  const coefficients = new Float64Array(threshold);
  for (let limb = 0; limb < SECRET_LIMBS; limb++) {
    let value = 0;
    for (let b = 0; b < LIMB_BYTES && limb * LIMB_BYTES + b < SECRET_BYTES; b++) value |= secret[limb * LIMB_BYTES + b] << (8 * b);
    coefficients[0] = value;
    for (let c = 1; c < threshold; c++) coefficients[c] = randomFieldElement(random, scratch);
    for (const share of shares) {
      // Horner's rule from the highest coefficient.
      let y = 0;
      for (let c = threshold - 1; c >= 0; c--) y = (mulMod(y, share.x) + coefficients[c]) % SHAMIR_PRIME;
      share.limbs[limb] = y;
    }
  }
  return shares;
}

/**
 * The secret from exactly `threshold` of its shares (the first ones given), by Lagrange interpolation at 0.
 * Wrong shares give a wrong secret, not an error: callers check the result against a commitment.
 */
export function reconstructSecret(shares: readonly SecretShare[], threshold: number): Uint8Array {
  if (shares.length < threshold) throw new RangeError(`${shares.length} shares given, ${threshold} needed`);
  const used = shares.slice(0, threshold);
  const xs = used.map((s) => s.x);
  xs.forEach(checkPoint);
  if (new Set(xs).size !== xs.length) throw new RangeError('shares must be at distinct points');
  // λ_j = Π_{m≠j} x_m / (x_m - x_j)
  const lambdas = xs.map((xj, j) => {
    let numerator = 1;
    let denominator = 1;
    for (let m = 0; m < xs.length; m++) {
      if (m === j) continue;
      numerator = mulMod(numerator, xs[m]);
      denominator = mulMod(denominator, (xs[m] - xj + SHAMIR_PRIME) % SHAMIR_PRIME);
    }
    return mulMod(numerator, invMod(denominator));
  });
  const secret = new Uint8Array(SECRET_BYTES);
  for (let limb = 0; limb < SECRET_LIMBS; limb++) {
    let value = 0;
    for (let j = 0; j < used.length; j++) value = (value + mulMod(lambdas[j], used[j].limbs[limb] % SHAMIR_PRIME)) % SHAMIR_PRIME;
    for (let b = 0; b < LIMB_BYTES && limb * LIMB_BYTES + b < SECRET_BYTES; b++) secret[limb * LIMB_BYTES + b] = (value >>> (8 * b)) & 0xff;
  }
  return secret;
}

/** A share's limbs as SHARE_BYTES little-endian bytes. */
export function shareToBytes(share: SecretShare, out = new Uint8Array(SHARE_BYTES), offset = 0): Uint8Array {
  const view = new DataView(out.buffer, out.byteOffset + offset, SHARE_BYTES);
  for (let i = 0; i < SECRET_LIMBS; i++) view.setUint32(4 * i, share.limbs[i], true);
  return out;
}

/** The share at `x` read from SHARE_BYTES bytes. */
export function shareFromBytes(x: number, bytes: Uint8Array, offset = 0): SecretShare {
  if (bytes.length - offset < SHARE_BYTES) throw new RangeError(`a share is ${SHARE_BYTES} bytes, got ${bytes.length - offset}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, SHARE_BYTES);
  return { x, limbs: Uint32Array.from({ length: SECRET_LIMBS }, (_, i) => view.getUint32(4 * i, true)) };
}
