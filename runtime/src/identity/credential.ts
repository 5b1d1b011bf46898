// A node's credential: who it is (id, role, region), signed with Ed25519 by an issuer key the operator holds.
// The token is `strata1.<claims>.<signature>` (base64url), small enough for a socket.io handshake and a
// browser's storage; verifying it needs only the issuer's public key.

import { createHash, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ConfigError } from '@strata/shared';

const PREFIX = 'strata1';

export const credentialClaimsSchema = z
  .object({
    /** The node id the credential lets its holder act as. */
    id: z.string().min(1).max(256),
    role: z.enum(['device', 'edge', 'coordinator']),
    /** A device's region: an edge accepts only devices of its own. */
    region: z.string().min(1).max(256).optional(),
    /** The credential's own id, which revocation names. */
    jti: z.string().min(1).max(64),
    /** Issued and expiry times, seconds since the epoch. */
    iat: z.number().int().nonnegative(),
    exp: z.number().int().positive().optional(),
    /** The issuer key that signed it (keyId of its public key). */
    kid: z.string().min(1).max(64),
  })
  .strict();

export type CredentialClaims = z.infer<typeof credentialClaimsSchema>;

/** The id of an issuer key: the first 16 hex digits of the SHA-256 of its public key (DER). */
export function keyId(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex')
    .slice(0, 16);
}

export interface CredentialRequest {
  readonly id: string;
  readonly role: CredentialClaims['role'];
  readonly region?: string;
  /** Seconds the credential is valid for (default: no expiry; revocation ends it). */
  readonly ttlSeconds?: number;
  readonly now?: number;
}

/** Signs a credential with the issuer's private key (Ed25519). */
export function issueCredential(
  privateKey: KeyObject,
  publicKey: KeyObject,
  request: CredentialRequest,
): { token: string; claims: CredentialClaims } {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new ConfigError(`issuer key must be Ed25519, got ${privateKey.asymmetricKeyType}`);
  const iat = Math.floor((request.now ?? Date.now()) / 1000);
  const claims = credentialClaimsSchema.parse({
    id: request.id,
    role: request.role,
    ...(request.region === undefined ? {} : { region: request.region }),
    jti: randomUUID(),
    iat,
    ...(request.ttlSeconds === undefined ? {} : { exp: iat + request.ttlSeconds }),
    kid: keyId(publicKey),
  });
  const body = `${PREFIX}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign(null, Buffer.from(body), privateKey).toString('base64url');
  return { token: `${body}.${signature}`, claims };
}

/** The claims of a token, unverified (to inspect it or to find its key); throws naming what is malformed. */
export function readCredential(token: string): { claims: CredentialClaims; body: string; signature: Buffer } {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== PREFIX) throw new ConfigError(`not a Strata credential (expected ${PREFIX}.<claims>.<signature>)`);
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new ConfigError('credential claims are not base64url JSON');
  }
  const parsed = credentialClaimsSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(`credential claim ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return { claims: parsed.data, body: `${parts[0]}.${parts[1]}`, signature: Buffer.from(parts[2], 'base64url') };
}

/** Whether `signature` over `body` is the issuer's (Ed25519). */
export function signedBy(publicKey: KeyObject, body: string, signature: Buffer): boolean {
  return verify(null, Buffer.from(body), publicKey, signature);
}
