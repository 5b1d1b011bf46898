// Checks a node's credential in its handshake: signed by a trusted issuer key, not expired, not revoked,
// and naming the id, role and region the node claims (an edge accepts only devices of its region).

import type { HandshakeCredentials, HandshakeVerifier } from '../socket-io/handshake.js';
import { readCredential, signedBy } from './credential.js';
import type { TrustedKeys } from './issuer-keys.js';

/** Whether a credential id has been revoked (a Redis set in the distributed runtime). */
export interface RevocationList {
  isRevoked(jti: string): Promise<boolean>;
}

export interface CredentialVerifierOptions {
  readonly keys: TrustedKeys;
  /** The edge's region: a device credential must name it. */
  readonly region?: string;
  readonly revocations?: RevocationList;
  readonly now?: () => number;
}

/** The reason a credential does not let its holder connect as it claims, or undefined when it does. */
export async function credentialProblem(
  credentials: HandshakeCredentials,
  options: CredentialVerifierOptions,
): Promise<string | undefined> {
  const { info, token } = credentials;
  if (token === undefined) return 'no credential';
  let read: ReturnType<typeof readCredential>;
  try {
    read = readCredential(token);
  } catch (error) {
    return (error as Error).message;
  }
  const { claims, body, signature } = read;
  const key = options.keys.get(claims.kid);
  if (!key) return `credential signed by unknown issuer key ${claims.kid}`;
  if (!signedBy(key, body, signature)) return 'credential signature does not verify';
  if (claims.exp !== undefined && claims.exp * 1000 <= (options.now ?? Date.now)()) return `credential ${claims.jti} expired`;
  if (claims.id !== info.nodeId) return `credential is for ${claims.id}, not ${info.nodeId}`;
  if (claims.role !== info.role) return `credential is for a ${claims.role}, not a ${info.role}`;
  if (options.region !== undefined && claims.region !== options.region) {
    return `credential is for region ${claims.region ?? '(none)'}, this edge serves ${options.region}`;
  }
  if (info.region !== undefined && claims.region !== undefined && info.region !== claims.region) {
    return `credential is for region ${claims.region}, not ${info.region}`;
  }
  if (await options.revocations?.isRevoked(claims.jti)) return `credential ${claims.jti} is revoked`;
  return undefined;
}

/** What is wrong with a device credential presented as a bearer token (remote rendering), if anything. */
export async function bearerProblem(token: string, options: CredentialVerifierOptions): Promise<string | undefined> {
  let nodeId: string;
  try {
    nodeId = readCredential(token).claims.id;
  } catch (error) {
    return (error as Error).message;
  }
  return credentialProblem({ info: { nodeId, role: 'device' }, token, sessionId: 'http', remoteAddress: '' }, options);
}

/** A handshake verifier that refuses a connection saying what is wrong with its credential. */
export function credentialVerifier(options: CredentialVerifierOptions): HandshakeVerifier {
  return async (credentials) => (await credentialProblem(credentials, options)) ?? true;
}
