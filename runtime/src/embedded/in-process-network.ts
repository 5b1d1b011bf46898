// The embedded transport: servers and clients in one process.

import {
  compareIds,
  ConnectError,
  invalidTimeout,
  peerRequestError,
  PeerDisconnectedError,
  RoundTimeoutError,
  StrataError,
  type ClientConnection,
  type LinkStats,
  type PeerConnection,
  type PeerInfo,
  type RequestHandler,
  type TransportClient,
  type TransportServer,
} from '@strata/shared';

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
        Promise.resolve()
          .then(() => this.handler(frame))
          .then(
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

  constructor(
    readonly address: string,
    private readonly onClose: () => void,
  ) {}

  accept(info: PeerInfo, handler: RequestHandler): InProcessPeer {
    const previous = this.connected.get(info.nodeId);
    // A second session for a connected id is refused, not the first one kicked (as on socket.io).
    if (previous?.connected) throw new ConnectError(`${info.nodeId} is already connected in another session`);
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
