// The data-plane link between tiers (edge <-> devices): request/response of encoded Envelope frames, with a
// timeout on every request and byte counters. Two implementations fit this interface: the in-process network
// below (the embedded default) and socket.io (transport-socket-io.ts, the distributed runtime); both pass
// shared/src/testing/transport-contract.ts. A failed request is not retried here: retrying is the caller's
// decision (a round has a deadline and a quorum, and a resent model costs bandwidth).

import { ConfigError, RoundTimeoutError, StrataError } from '../errors.js';

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
  constructor(readonly nodeId: string, readonly remoteCode: string | undefined, remoteMessage: string, options?: { cause?: unknown }) {
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

/**
 * The embedded transport: servers and clients in one process, frames passed by reference (never mutated by
 * either side) and counted as if they had crossed a wire.
 */
export class InProcessNetwork implements TransportClient {
  private readonly servers = new Map<string, InProcessServer>();

  listen(address: string): InProcessServer {
    if (this.servers.has(address)) throw new StrataError('STRATA_ERR_ADDRESS_IN_USE', `address ${address} is in use`);
    const server = new InProcessServer(address, () => this.servers.delete(address));
    this.servers.set(address, server);
    return server;
  }

  async connect(address: string, info: PeerInfo, handler: RequestHandler): Promise<ClientConnection> {
    const server = this.servers.get(address);
    if (!server) throw new ConnectError(`no server listening at ${address}`);
    return server.accept(info, handler);
  }
}

class InProcessPeer implements PeerConnection, ClientConnection {
  connected = true;
  private readonly inFlight = new Set<(error: Error) => void>();

  constructor(
    readonly info: PeerInfo,
    private readonly handler: RequestHandler,
    private readonly server: InProcessServer,
  ) {}

  request(frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const invalid = invalidTimeout(timeoutMs);
    if (invalid) return Promise.reject(invalid);
    if (!this.connected) return Promise.reject(new PeerDisconnectedError(this.info.nodeId));
    this.server.counters.bytesDown += frame.byteLength;
    return new Promise<Uint8Array>((resolve, reject) => {
      const fail = (error: Error): void => {
        clearTimeout(timer);
        this.inFlight.delete(fail);
        reject(error);
      };
      const timer = setTimeout(
        () => fail(new RoundTimeoutError(`request to ${this.info.nodeId} timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.inFlight.add(fail);
      // Answer on a later tick, as a real link would: the caller never runs inside the peer's handler, and a
      // handler that throws synchronously becomes an error reply like any other.
      setImmediate(() => {
        Promise.resolve().then(() => this.handler(frame)).then(
          (reply) => {
            if (!this.inFlight.has(fail)) return; // timed out or disconnected: the late reply is dropped
            clearTimeout(timer);
            this.inFlight.delete(fail);
            this.server.counters.bytesUp += reply.byteLength;
            resolve(reply);
          },
          (error: unknown) => fail(peerRequestError(this.info.nodeId, error)),
        );
      });
    });
  }

  async close(): Promise<void> {
    if (!this.connected) return;
    this.connected = false;
    for (const fail of [...this.inFlight]) fail(new PeerDisconnectedError(this.info.nodeId));
    this.server.remove(this);
  }
}

export class InProcessServer implements TransportServer {
  readonly counters: LinkStats = { bytesDown: 0, bytesUp: 0 };
  private readonly connected = new Map<string, InProcessPeer>();
  private readonly listeners: ((peer: PeerConnection, event: 'connect' | 'disconnect') => void)[] = [];
  private sorted: PeerConnection[] | undefined;

  constructor(readonly address: string, private readonly onClose: () => void) {}

  accept(info: PeerInfo, handler: RequestHandler): InProcessPeer {
    const previous = this.connected.get(info.nodeId);
    if (previous) void previous.close();
    const peer = new InProcessPeer(info, handler, this);
    this.connected.set(info.nodeId, peer);
    this.sorted = undefined;
    for (const listener of this.listeners) listener(peer, 'connect');
    return peer;
  }

  remove(peer: InProcessPeer): void {
    if (this.connected.get(peer.info.nodeId) !== peer) return;
    this.connected.delete(peer.info.nodeId);
    this.sorted = undefined;
    for (const listener of this.listeners) listener(peer, 'disconnect');
  }

  peers(): PeerConnection[] {
    this.sorted ??= [...this.connected.values()].sort((a, b) => compareIds(a.info.nodeId, b.info.nodeId));
    return this.sorted;
  }

  onPeerChange(listener: (peer: PeerConnection, event: 'connect' | 'disconnect') => void): void {
    this.listeners.push(listener);
  }

  stats(): LinkStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    for (const peer of [...this.connected.values()]) await peer.close();
    this.onClose();
  }
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
