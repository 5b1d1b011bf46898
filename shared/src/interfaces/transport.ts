// The data-plane link between tiers (edge <-> devices): request/response of encoded Envelope frames, with a
// timeout on every request and byte counters. Two implementations fit this interface: the in-process network
// (@strata/runtime embedded/, the embedded default) and socket.io (socket-io/, the distributed runtime); both
// pass @strata/runtime/testing's transport contract. A failed request is not retried here: retrying is the caller's
// decision (a round has a deadline and a quorum, and a resent model costs bandwidth).

import { ConfigError, StrataError } from '../errors.js';

export type NodeRole = 'device' | 'edge' | 'coordinator';

export interface PeerInfo {
  readonly nodeId: string;
  readonly role: NodeRole;
  readonly region?: string;
}

/** Answers one request frame with one reply frame. Throwing sends an error reply (a PeerRequestError). */
export type RequestHandler = (frame: Uint8Array) => Promise<Uint8Array>;

/** The server's view of one connected peer. */
export interface PeerConnection {
  readonly info: PeerInfo;
  readonly connected: boolean;
  /**
   * Sends `frame` and resolves with the reply; rejects with RoundTimeoutError after `timeoutMs`, with
   * PeerDisconnectedError when the peer goes away first, with PeerRequestError when its handler failed.
   */
  request(frame: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
}

export interface LinkStats {
  /** Bytes sent from the server to its peers (down the hierarchy). */
  bytesDown: number;
  /** Bytes received by the server from its peers (up the hierarchy). */
  bytesUp: number;
}

/** The listening side of a tier link (an edge serving its devices). */
export interface TransportServer {
  readonly address: string;
  /** Connected peers, ordered by node id (so selection is deterministic). */
  peers(): PeerConnection[];
  onPeerChange(listener: (peer: PeerConnection, event: 'connect' | 'disconnect') => void): void;
  stats(): LinkStats;
  /**
   * Bounds the size of what peers may send back (a transport that buffers bytes enforces it before it
   * holds them); the edge sets it from the model it is about to send.
   */
  limitReplyBytes?(bytes: number): void;
  close(): Promise<void>;
}

/** The connecting side (a device connecting to its edge). */
export interface ClientConnection {
  readonly connected: boolean;
  close(): Promise<void>;
}

export interface TransportClient {
  connect(address: string, info: PeerInfo, handler: RequestHandler): Promise<ClientConnection>;
}

/** The peer went away before answering. */
export class PeerDisconnectedError extends StrataError {
  constructor(nodeId: string) {
    super('STRATA_ERR_PEER_DISCONNECTED', `peer ${nodeId} disconnected before answering`);
  }
}

/** The peer's handler failed; `remoteCode` is the StrataError code it threw, if it threw one. */
export class PeerRequestError extends StrataError {
  constructor(
    readonly nodeId: string,
    readonly remoteCode: string | undefined,
    remoteMessage: string,
    options?: { cause?: unknown },
  ) {
    super('STRATA_ERR_PEER_REQUEST', `peer ${nodeId} failed the request: ${remoteMessage}`, options);
  }
}

/** No connection could be made (nobody listening, network error, or the server refused the handshake). */
export class ConnectError extends StrataError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('STRATA_ERR_CONNECT', message, options);
  }
}

/** The error for a request timeout that is not a positive number, shared so that every implementation refuses the same values. */
export function invalidTimeout(timeoutMs: number): ConfigError | undefined {
  if (Number.isFinite(timeoutMs) && timeoutMs > 0) return undefined;
  return new ConfigError(`request timeoutMs must be a positive number, got ${timeoutMs}`);
}

/** The error a failed handler becomes at the requesting end. */
export function peerRequestError(nodeId: string, error: unknown): PeerRequestError {
  const code = error instanceof StrataError ? error.code : undefined;
  return new PeerRequestError(nodeId, code, error instanceof Error ? error.message : String(error), { cause: error });
}

/** Orders node ids naturally (device-2 before device-10). */
export function compareIds(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
