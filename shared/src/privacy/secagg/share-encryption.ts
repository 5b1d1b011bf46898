// The shares a device sends a neighbour through the edge, sealed with ChaCha20-Poly1305 (RFC 8439) under a
// key only the two of them can derive. The plaintext names sender and receiver, and the session id,
// sender and receiver are the associated data, so the edge can neither read, alter, swap nor replay a
// share. The nonce is zero: each directional key encrypts exactly one message.

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { SHARE_BYTES, shareFromBytes, shareToBytes, type SecretShare } from './shamir-secret-sharing.js';
import { SecureAggregationAbortError } from './secure-aggregation-errors.js';

const NONCE = new Uint8Array(12);
const HEADER_BYTES = 8;
const PLAINTEXT_BYTES = HEADER_BYTES + 2 * SHARE_BYTES;
/** Bytes of one sealed pair of shares: the plaintext and Poly1305's 16-byte tag. */
export const SEALED_SHARES_BYTES = PLAINTEXT_BYTES + 16;

/** What a device gives each neighbour: its shares of its mask key and of its self-mask seed. */
export interface SharePair {
  readonly maskKeyShare: SecretShare;
  readonly selfSeedShare: SecretShare;
}

function associatedData(sessionId: Uint8Array, sender: number, receiver: number): Uint8Array {
  const out = new Uint8Array(sessionId.length + HEADER_BYTES);
  out.set(sessionId);
  const view = new DataView(out.buffer);
  view.setUint32(sessionId.length, sender, true);
  view.setUint32(sessionId.length + 4, receiver, true);
  return out;
}

export function sealShares(key: Uint8Array, sessionId: Uint8Array, sender: number, receiver: number, pair: SharePair): Uint8Array {
  const plaintext = new Uint8Array(PLAINTEXT_BYTES);
  const view = new DataView(plaintext.buffer);
  view.setUint32(0, sender, true);
  view.setUint32(4, receiver, true);
  shareToBytes(pair.maskKeyShare, plaintext, HEADER_BYTES);
  shareToBytes(pair.selfSeedShare, plaintext, HEADER_BYTES + SHARE_BYTES);
  return chacha20poly1305(key, NONCE, associatedData(sessionId, sender, receiver)).encrypt(plaintext);
}

/** Opens what `sender` sealed for `receiver`; the shares are at the receiver's point x = receiver. */
export function openShares(key: Uint8Array, sessionId: Uint8Array, sender: number, receiver: number, sealed: Uint8Array): SharePair {
  let plaintext: Uint8Array;
  try {
    plaintext = chacha20poly1305(key, NONCE, associatedData(sessionId, sender, receiver)).decrypt(sealed);
  } catch (cause) {
    throw new SecureAggregationAbortError('decryption_failed', `shares from party ${sender} to party ${receiver} failed authentication`, {
      cause,
    });
  }
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  if (plaintext.length !== PLAINTEXT_BYTES || view.getUint32(0, true) !== sender || view.getUint32(4, true) !== receiver) {
    throw new SecureAggregationAbortError('decryption_failed', `shares from party ${sender} to party ${receiver} are addressed otherwise`);
  }
  return {
    maskKeyShare: shareFromBytes(receiver, plaintext, HEADER_BYTES),
    selfSeedShare: shareFromBytes(receiver, plaintext, HEADER_BYTES + SHARE_BYTES),
  };
}
