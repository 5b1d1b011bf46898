// The handshake a device presents when it connects: who it says it is, its session, its credential.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { NodeRole, PeerInfo } from '@strata/shared';
import { describe, MAX_ID_LENGTH } from './link-events.js';

/** What a device presents in its handshake, checked by `verify` before any of its messages is read. */
export interface HandshakeCredentials {
  readonly info: PeerInfo;
  readonly sessionId: string;
  readonly token: string | undefined;
  readonly remoteAddress: string;
}

/** Accepts a handshake (true), refuses it (false), or refuses it saying why (a string, sent to the peer). */
export type HandshakeVerifier = (credentials: HandshakeCredentials) => boolean | string | Promise<boolean | string>;

const ROLES: readonly NodeRole[] = ['device', 'edge', 'coordinator'];
/** A shared token or a signed credential (a few hundred characters). */
const MAX_TOKEN_LENGTH = 4096;

export function parseHandshake(auth: unknown): { credentials: Omit<HandshakeCredentials, 'remoteAddress'> } | { problem: string } {
  if (typeof auth !== 'object' || auth === null) return { problem: 'no handshake credentials' };
  const fields = auth as Record<string, unknown>;
  const text = (key: string, optional: boolean, maxLength = MAX_ID_LENGTH): string | undefined | Error => {
    const value = fields[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
      return new Error(`${key} must be a string of 1 to ${maxLength} characters, got ${describe(value)}`);
    }
    return value;
  };
  const [nodeId, role, region, sessionId, token] = [
    text('nodeId', false),
    text('role', false),
    text('region', true),
    text('sessionId', false),
    text('token', true, MAX_TOKEN_LENGTH),
  ];
  for (const value of [nodeId, role, region, sessionId, token]) if (value instanceof Error) return { problem: value.message };
  if (!ROLES.includes(role as NodeRole)) return { problem: `role must be one of ${ROLES.join(', ')}, got ${role}` };
  const info: PeerInfo =
    region === undefined
      ? { nodeId: nodeId as string, role: role as NodeRole }
      : { nodeId: nodeId as string, role: role as NodeRole, region: region as string };
  return { credentials: { info, sessionId: sessionId as string, token: token as string | undefined } };
}

/** Compares secrets in constant time (by their digests, so unequal lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

export function refusal(
  code: 'STRATA_ERR_AUTH' | 'STRATA_ERR_HANDSHAKE' | 'STRATA_ERR_DUPLICATE_SESSION',
  message: string,
): Error & { data: { code: string } } {
  return Object.assign(new Error(message), { data: { code } });
}
