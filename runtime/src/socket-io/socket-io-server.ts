// The listening side of the distributed transport: an edge (or the coordinator) serves its devices with
// socket.io over websockets only, one session per device node id, every handshake authenticated before any
// of its messages is read. Frames larger than a chunk travel as `part` events and are reassembled under
// per-connection limits (link-limits.ts), so no websocket message exceeds maxHttpBufferSize and one peer
// cannot make the server allocate without bound. A frame sent to many peers is split once
// (outgoing-transfers.ts). The parts follow socket.io's own split: this server, each device's session
// (socket-io-peer.ts), and the device's end (socket-io-client.ts).

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { compareIds, ConfigError, type LinkStats, type PeerConnection, type TransportServer } from '@strata/shared';
import { parseHandshake, refusal, sameSecret, type HandshakeVerifier } from './handshake.js';
import type { DeviceToServerEvents, ServerToDeviceEvents } from './link-events.js';
import { resolveLimits, type LinkLimits } from './link-limits.js';
import { OutgoingTransfers } from './outgoing-transfers.js';
import { SocketIoPeer, type EdgeSocket, type ServerLink, type SocketData } from './socket-io-peer.js';

export interface SocketIoServerOptions extends Partial<LinkLimits> {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port to listen on (default 0: any free port; `address` tells which). */
  readonly port?: number;
  /** socket.io's HTTP path (default /socket.io); clients must use the same. */
  readonly path?: string;
  /** The shared secret of the tier: a handshake must present it. */
  readonly token?: string;
  /** Decides on each handshake (after the token check, when both are set), e.g. a signed per-device token. */
  readonly verify?: HandshakeVerifier;
  /**
   * Largest websocket message accepted (default 8 MiB, well above the 1 MiB chunks so peers configured with
   * larger chunks still interoperate); a larger one closes that peer's connection before it is buffered.
   */
  readonly maxHttpBufferSize?: number;
  /** How long a disconnected device's session is kept for it to resume (default 60 s). */
  readonly sessionGraceMs?: number;
  /** How long a connected websocket has to complete its handshake (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** Told of each handshake, message or frame the server refuses, so daemons can count them. */
  readonly onRefusal?: (reason: TransportRefusal, detail: string) => void;
}

/**
 * Why the server refused something: `auth` wrong or missing credentials, `handshake` malformed handshake,
 * `oversized` a websocket message above maxHttpBufferSize or a frame above the link's limits (the peer's
 * connection is closed for the first), `malformed` a chunk or reply that does not decode.
 */
export type TransportRefusal = 'auth' | 'handshake' | 'oversized' | 'malformed';

/** The listening side: one socket.io server, one session per device node id. */
export class SocketIoTransportServer implements TransportServer {
  private readonly link: ServerLink;
  private readonly sessions = new Map<string, SocketIoPeer>();
  private readonly listeners: ((peer: PeerConnection, event: 'connect' | 'disconnect') => void)[] = [];
  private sorted: PeerConnection[] | undefined;
  private closing: Promise<void> | undefined;

  /** Starts listening; `address` then says where (a URL a SocketIoTransportClient can connect to). */
  static async listen(options: SocketIoServerOptions): Promise<SocketIoTransportServer> {
    const maxHttpBufferSize = options.maxHttpBufferSize ?? 8 * 1024 * 1024;
    const limits = resolveLimits(options, maxHttpBufferSize);
    if (options.token === undefined && options.verify === undefined) {
      throw new ConfigError('SocketIoTransportServer needs `token` or `verify`: every handshake is authenticated');
    }
    if (options.token !== undefined && options.token.length === 0)
      throw new ConfigError('SocketIoTransportServer option token must not be empty');
    const sessionGraceMs = options.sessionGraceMs ?? 60_000;
    if (!Number.isFinite(sessionGraceMs) || sessionGraceMs < 0)
      throw new ConfigError(`sessionGraceMs must be a non-negative number, got ${sessionGraceMs}`);
    const host = options.host ?? '127.0.0.1';
    const http = createServer((_request, response) => response.writeHead(404).end());
    const server = new Server<DeviceToServerEvents, ServerToDeviceEvents, Record<string, never>, SocketData>(http, {
      path: options.path,
      transports: ['websocket'],
      perMessageDeflate: false, // tensors barely compress, and deflate costs CPU and a zlib context per peer
      maxHttpBufferSize,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      serveClient: false,
    });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(options.port ?? 0, host, () => {
        http.off('error', reject);
        resolve();
      });
    });
    const { port } = http.address() as AddressInfo;
    const address = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new SocketIoTransportServer(server, http, address, limits, options, sessionGraceMs);
  }

  private constructor(
    private readonly io: Server<DeviceToServerEvents, ServerToDeviceEvents, Record<string, never>, SocketData>,
    private readonly http: HttpServer,
    readonly address: string,
    limits: LinkLimits,
    options: SocketIoServerOptions,
    private readonly sessionGraceMs: number,
  ) {
    const refuse = (reason: TransportRefusal, detail: string): void => {
      try {
        options.onRefusal?.(reason, detail);
      } catch {
        // An observer's failure must not become the peer's problem (nor crash the server).
      }
    };
    this.link = { limits, counters: { bytesDown: 0, bytesUp: 0 }, outgoing: new OutgoingTransfers(limits.chunkBytes, address), refuse };
    const deny = (next: (error?: Error) => void, code: 'STRATA_ERR_AUTH' | 'STRATA_ERR_HANDSHAKE', message: string): void => {
      refuse(code === 'STRATA_ERR_AUTH' ? 'auth' : 'handshake', message);
      next(refusal(code, message));
    };
    // Runs before socket.io reads any event of the connection: no listener exists until it calls next().
    io.use((socket, next) => {
      const parsed = parseHandshake(socket.handshake.auth);
      if ('problem' in parsed) return deny(next, 'STRATA_ERR_HANDSHAKE', `malformed handshake: ${parsed.problem}`);
      const credentials = { ...parsed.credentials, remoteAddress: socket.handshake.address };
      const who = credentials.info.nodeId;
      if (options.token !== undefined) {
        if (credentials.token === undefined) return deny(next, 'STRATA_ERR_AUTH', `missing token for ${who}`);
        if (!sameSecret(credentials.token, options.token)) return deny(next, 'STRATA_ERR_AUTH', `invalid token for ${who}`);
      }
      Promise.resolve()
        .then(() => options.verify?.(credentials) ?? true)
        .then(
          (accepted) => {
            if (!accepted) return deny(next, 'STRATA_ERR_AUTH', `credentials of ${who} rejected by the server's verifier`);
            socket.data = { info: credentials.info, sessionId: credentials.sessionId };
            next();
          },
          (error: unknown) =>
            deny(next, 'STRATA_ERR_AUTH', `verifier failed for ${who}: ${error instanceof Error ? error.message : String(error)}`),
        );
    });
    io.on('connection', (socket) => this.onConnection(socket));
  }

  peers(): PeerConnection[] {
    this.sorted ??= [...this.sessions.values()].filter((p) => p.connected).sort((a, b) => compareIds(a.info.nodeId, b.info.nodeId));
    return this.sorted;
  }

  onPeerChange(listener: (peer: PeerConnection, event: 'connect' | 'disconnect') => void): void {
    this.listeners.push(listener);
  }

  stats(): LinkStats {
    return { ...this.link.counters };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const peer of [...this.sessions.values()]) this.endSession(peer);
      await this.io.close(); // also closes the HTTP server
      if (this.http.listening) await new Promise((resolve) => this.http.close(resolve));
    })();
    return this.closing;
  }

  private onConnection(socket: EdgeSocket): void {
    if (this.closing) {
      socket.disconnect();
      return;
    }
    const { info, sessionId } = socket.data;
    let peer = this.sessions.get(info.nodeId);
    if (peer && peer.sessionId !== sessionId) {
      // The same node id with a new session: the device restarted (or a duplicate took its id). The old
      // session ends for good; its holders see a dead PeerConnection.
      this.endSession(peer);
      peer = undefined;
    }
    if (peer?.connected) this.dropSocket(peer); // the device reconnected before its old socket was seen to die
    if (!peer) {
      peer = new SocketIoPeer(info, sessionId, this.link);
      this.sessions.set(info.nodeId, peer);
    }
    const session = peer;
    session.attach(socket, info);
    socket.on('disconnect', (_reason, description) => {
      // ws closes the connection of a peer whose message exceeds maxHttpBufferSize before buffering it;
      // engine.io reports it as a transport error whose description carries ws's message.
      if (description instanceof Error && /max payload size exceeded/i.test(description.message)) {
        this.link.refuse('oversized', `${info.nodeId}: ${description.message}`);
      }
      if (!session.owns(socket)) return;
      session.detach();
      this.changed(session, 'disconnect');
      session.graceTimer = setTimeout(() => {
        if (this.sessions.get(session.info.nodeId) === session && !session.connected) this.sessions.delete(session.info.nodeId);
      }, this.sessionGraceMs);
      session.graceTimer.unref();
    });
    this.changed(session, 'connect');
  }

  /** Disconnects the peer's current socket, failing its requests; the session stays open to resume. */
  private dropSocket(peer: SocketIoPeer): void {
    const socket = peer.detach();
    this.changed(peer, 'disconnect');
    socket?.disconnect();
  }

  private endSession(peer: SocketIoPeer): void {
    clearTimeout(peer.graceTimer);
    if (peer.connected) this.dropSocket(peer);
    else peer.detach();
    if (this.sessions.get(peer.info.nodeId) === peer) this.sessions.delete(peer.info.nodeId);
  }

  private changed(peer: SocketIoPeer, event: 'connect' | 'disconnect'): void {
    this.sorted = undefined;
    for (const listener of this.listeners) listener(peer, event);
  }
}
