// X25519 key pairs and the keys derived from them (HKDF-SHA256, RFC 5869). Every derived key is bound to
// the round's session id (the HKDF salt) and to the parties and purpose (the info), so no key serves two
// rounds, two pairs or two purposes. A device holds two key pairs per round, as in Bonawitz et al.: one
// agrees the pairwise mask seeds, the other encrypts the shares; they must differ, because the edge
// reconstructs the mask key of a device that drops out, and with it must not open that device's shares.

import { x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { RandomSource } from '../crypto-random.js';
import { SecureAggregationAbortError } from './secure-aggregation-errors.js';

export interface KeyPair {
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

export const KEY_BYTES = 32;
const encoder = new TextEncoder();

export function generateKeyPair(random: RandomSource): KeyPair {
  const secretKey = random.fill(new Uint8Array(KEY_BYTES));
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

/** The X25519 public key of a secret key (the edge checks a reconstructed key against the advertised one). */
export function publicKeyOf(secretKey: Uint8Array): Uint8Array {
  return x25519.getPublicKey(secretKey);
}

function info(purpose: string, ...parties: number[]): Uint8Array {
  const label = encoder.encode(purpose);
  const out = new Uint8Array(label.length + 4 * parties.length);
  out.set(label);
  const view = new DataView(out.buffer);
  parties.forEach((p, i) => view.setUint32(label.length + 4 * i, p, true));
  return out;
}

function agree(secretKey: Uint8Array, publicKey: Uint8Array, peer: number): Uint8Array {
  try {
    return x25519.getSharedSecret(secretKey, publicKey);
  } catch (cause) {
    // A low-order or malformed public key gives an all-zero secret; noble refuses it.
    throw new SecureAggregationAbortError('protocol_violation', `party ${peer}'s public key is invalid`, { cause });
  }
}

/** The seed of the mask that parties a and b share (the same from either side). */
export function pairwiseMaskKey(
  secretKey: Uint8Array,
  peerPublicKey: Uint8Array,
  sessionId: Uint8Array,
  self: number,
  peer: number,
): Uint8Array {
  const shared = agree(secretKey, peerPublicKey, peer);
  return hkdf(sha256, shared, sessionId, info('strata/secagg/mask', Math.min(self, peer), Math.max(self, peer)), KEY_BYTES);
}

/** The AEAD keys for shares between two parties, one per direction (each used once), from one agreement. */
export interface ShareKeyPair {
  readonly toPeer: Uint8Array;
  readonly fromPeer: Uint8Array;
}

export function shareEncryptionKeys(
  secretKey: Uint8Array,
  peerPublicKey: Uint8Array,
  sessionId: Uint8Array,
  self: number,
  peer: number,
): ShareKeyPair {
  const shared = agree(secretKey, peerPublicKey, peer);
  return {
    toPeer: hkdf(sha256, shared, sessionId, info('strata/secagg/share', self, peer), KEY_BYTES),
    fromPeer: hkdf(sha256, shared, sessionId, info('strata/secagg/share', peer, self), KEY_BYTES),
  };
}

/** The key of a party's self mask, from its seed. */
export function selfMaskKey(seed: Uint8Array, sessionId: Uint8Array, party: number): Uint8Array {
  return hkdf(sha256, seed, sessionId, info('strata/secagg/self', party), KEY_BYTES);
}

/** A hash commitment to a self-mask seed, sent before masking so that a wrongly reconstructed seed is caught. */
export function seedCommitment(seed: Uint8Array, sessionId: Uint8Array, party: number): Uint8Array {
  return hkdf(sha256, seed, sessionId, info('strata/secagg/commit', party), KEY_BYTES);
}

/** A session id for a round: SHA-256 of its label (e.g. `${roundId}/${region}/${iteration}`). */
export function sessionIdOf(label: string): Uint8Array {
  return sha256(encoder.encode(label));
}
