// The listening side of the distributed transport: an edge (or the coordinator) serves its devices with
// socket.io over websockets only, one session per device node id, every handshake authenticated before any
// of its messages is read. Frames larger than a chunk travel as `part` events and are reassembled under
// per-connection limits (link-limits.ts), so no websocket message exceeds maxHttpBufferSize and one peer
// cannot make the server allocate without bound. A frame sent to many peers is split once
// (outgoing-transfers.ts). The parts follow socket.io's own split: this server, each device's session
// (socket-io-peer.ts), and the device's end (socket-io-client.ts).

import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace } from 'socket.io';
import { compareIds, ConfigError, type LinkStats, type PeerConnection, type TransportServer } from '@strata/shared';
import { capConnections, type ConnectionCapOptions } from './connection-caps.js';
import { parseHandshake, refusal, sameSecret, type HandshakeVerifier } from './handshake.js';
import type { DeviceToServerEvents, ServerToDeviceEvents } from './link-events.js';
import { checkPositiveIntegers, resolveLimits, type LinkLimits } from './link-limits.js';
import { OutgoingTransfers } from './outgoing-transfers.js';
import { SocketIoPeer, type EdgeSocket, type ServerLink, type SocketData } from './socket-io-peer.js';

export interface SocketIoServerOptions extends Partial<LinkLimits>, ConnectionCapOptions {
  /** Interface to listen on (default 127.0.0.1). */
  readonly host?: string;
  /** Port to listen on (default 0: any free port; `address` tells which). */
  readonly port?: number;
  /** socket.io's HTTP path (default /socket.io); clients must use the same. */
  readonly path?: string;
  /**
   * Serve over TLS (`https://`, `wss://`) with this certificate chain and private key (PEM). Without it the
   * link is plain: fine on loopback and inside a private network, not across the internet.
   */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** The shared secret of the tier: a handshake must present it. */
  readonly token?: string;
  /** Decides on each handshake (after the token check, when both are set), e.g. a signed per-device token. */
  readonly verify?: HandshakeVerifier;
  /**
   * How often `verify` runs again on every open session (default 5 s), so that a credential revoked or
   * expired after its device connected ends that device's session instead of lasting until it disconnects.
   */
  readonly recheckMs?: number;
  /**
   * Largest websocket message accepted (default 8 MiB, well above the 1 MiB chunks so peers configured with
   * larger chunks still interoperate); a larger one closes that peer's connection before it is buffered.
   */
  readonly maxHttpBufferSize?: number;
  /** How long a disconnected device's session is kept for it to resume (default 60 s). */
  readonly sessionGraceMs?: number;
  /** How long a connected websocket has to complete its handshake (default 10 s). */
  readonly connectTimeoutMs?: number;
  /**
   * Events a device may send that answer nothing (parts of no outstanding request, unknown events) in a
   * 10 s window before its connection is closed as a flood (default 64).
   */
  readonly maxUnsolicitedEvents?: number;
  /** Told of each handshake, message or frame the server refuses, so daemons can count them. */
  readonly onRefusal?: (reason: TransportRefusal, detail: string) => void;
}

/** How long a connection has to complete its handshake unless connectTimeoutMs says otherwise. */
const DEFAULT_HANDSHAKE_MS = 10_000;
/** How often open sessions' credentials are checked again unless recheckMs says otherwise. */
const DEFAULT_RECHECK_MS = 5_000;

/**
 * Why the server refused something: `auth` wrong or missing credentials, `handshake` malformed handshake,
 * `duplicate` a second session for a node id that is connected, `connections` a TCP connection above a
 * cap, `oversized` a websocket message above maxHttpBufferSize or a frame above the link's limits (the
 * peer's connection is closed for the first), `malformed` a chunk or reply that does not decode, `flood`
 * a connection closed for sending too many events that answer nothing.
 */
export type TransportRefusal = 'auth' | 'handshake' | 'duplicate' | 'connections' | 'oversized' | 'malformed' | 'flood';

/** The listening side: one socket.io server, one session per device node id. */
export class SocketIoTransportServer implements TransportServer {
  private readonly link: ServerLink;
  private readonly configuredLimits: LinkLimits;
  private readonly sessions = new Map<string, SocketIoPeer>();
  private readonly listeners: ((peer: PeerConnection, event: 'connect' | 'disconnect') => void)[] = [];
  private sorted: PeerConnection[] | undefined;
  private closing: Promise<void> | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;

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
    const maxUnsolicitedEvents = options.maxUnsolicitedEvents ?? 64;
    checkPositiveIntegers({ maxUnsolicitedEvents, recheckMs: options.recheckMs });
    const host = options.host ?? '127.0.0.1';
    const handshakeMs = options.connectTimeoutMs ?? DEFAULT_HANDSHAKE_MS;
    const notFound = (_request: unknown, response: { writeHead(status: number): { end(): void } }): void => response.writeHead(404).end();
    const http: HttpServer = options.tls
      ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, notFound)
      : createServer(notFound);
    const server = new Server<DeviceToServerEvents, ServerToDeviceEvents, Record<string, never>, SocketData>(http, {
      path: options.path,
      transports: ['websocket'],
      perMessageDeflate: false, // tensors barely compress, and deflate costs CPU and a zlib context per peer
      maxHttpBufferSize,
      connectTimeout: handshakeMs,
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
    const address = `${options.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    return new SocketIoTransportServer(server, http, address, limits, options, sessionGraceMs, maxUnsolicitedEvents);
  }

  private constructor(
    private readonly io: Server<DeviceToServerEvents, ServerToDeviceEvents, Record<string, never>, SocketData>,
    private readonly http: HttpServer,
    readonly address: string,
    limits: LinkLimits,
    options: SocketIoServerOptions,
    private readonly sessionGraceMs: number,
    maxUnsolicitedEvents: number,
  ) {
    const refuse = (reason: TransportRefusal, detail: string): void => {
      try {
        options.onRefusal?.(reason, detail);
      } catch {
        // An observer's failure must not become the peer's problem (nor crash the server).
      }
    };
    capConnections(http, options, options.connectTimeoutMs ?? DEFAULT_HANDSHAKE_MS, (detail) => refuse('connections', detail));
    this.link = {
      limits: { ...limits },
      counters: { bytesDown: 0, bytesUp: 0 },
      outgoing: new OutgoingTransfers(limits.chunkBytes, address),
      refuse,
      maxUnsolicitedEvents,
    };
    this.configuredLimits = limits;
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
      // A second session for a connected id is refused, not the first one kicked: otherwise whoever holds
      // a credential for an id could keep its owner off the network. A restarted device whose old socket
      // the server has not yet seen die is refused until it has (its link retries).
      const existing = this.sessions.get(who);
      if (existing?.connected && existing.sessionId !== credentials.sessionId) {
        const message = `${who} is already connected in another session`;
        refuse('duplicate', message);
        return next(refusal('STRATA_ERR_DUPLICATE_SESSION', message));
      }
      if (options.token !== undefined) {
        if (credentials.token === undefined) return deny(next, 'STRATA_ERR_AUTH', `missing token for ${who}`);
        if (!sameSecret(credentials.token, options.token)) return deny(next, 'STRATA_ERR_AUTH', `invalid token for ${who}`);
      }
      Promise.resolve()
        .then(() => options.verify?.(credentials) ?? true)
        .then(
          (accepted) => {
            if (typeof accepted === 'string') return deny(next, 'STRATA_ERR_AUTH', `credentials of ${who} refused: ${accepted}`);
            if (!accepted) return deny(next, 'STRATA_ERR_AUTH', `credentials of ${who} rejected by the server's verifier`);
            socket.data = { info: credentials.info, sessionId: credentials.sessionId, credentials };
            next();
          },
          (error: unknown) =>
            deny(next, 'STRATA_ERR_AUTH', `verifier failed for ${who}: ${error instanceof Error ? error.message : String(error)}`),
        );
    });
    io.on('connection', (socket) => this.onConnection(socket));
    const verify = options.verify;
    if (verify) {
      let checking = false; // a slow verifier store must not pile checks up
      this.recheckTimer = setInterval(() => {
        if (checking) return;
        checking = true;
        void this.recheckSessions(verify).finally(() => {
          checking = false;
        });
      }, options.recheckMs ?? DEFAULT_RECHECK_MS);
      this.recheckTimer.unref();
    }
  }

  /**
   * Runs the handshake verifier again on each session's credentials and ends, for good, the sessions it now
   * refuses (counted as `auth`): their devices are disconnected and cannot resume.
   */
  private async recheckSessions(verify: HandshakeVerifier): Promise<void> {
    for (const peer of [...this.sessions.values()]) {
      const { credentials } = peer;
      if (!credentials) continue;
      let verdict: boolean | string;
      try {
        verdict = await verify(credentials);
      } catch {
        continue; // the verifier's store is unreachable: keep the session, the next check decides
      }
      if (verdict === true || this.sessions.get(peer.info.nodeId) !== peer) continue;
      this.link.refuse(
        'auth',
        `${peer.info.nodeId}: session ended, credentials no longer accepted: ${verdict || 'rejected by the verifier'}`,
      );
      this.endSession(peer);
    }
  }

  /**
   * Bounds the frames devices may send back, from what the work needs (an update is at most a few times
   * the model it was trained on), within the configured maxFrameBytes and maxInFlightBytes.
   */
  limitReplyBytes(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new ConfigError(`reply limit must be a positive integer, got ${bytes}`);
    const limits = this.link.limits as { -readonly [K in keyof LinkLimits]: LinkLimits[K] };
    limits.maxFrameBytes = Math.min(this.configuredLimits.maxFrameBytes, bytes);
    limits.maxInFlightBytes = Math.min(this.configuredLimits.maxInFlightBytes, 2 * bytes);
  }

  /**
   * Another socket.io namespace on the same server and port (e.g. `/view` for viewing sessions): it shares the
   * devices' link (websocket only, connection caps, message size limit) but not the transport's handshake;
   * whoever serves it authenticates its connections with its own middleware.
   */
  namespace(path: string): Namespace {
    if (!path.startsWith('/') || path === '/')
      throw new ConfigError(`namespace ${JSON.stringify(path)} must start with / and not be the transport's own`);
    return this.io.of(path) as unknown as Namespace;
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
      clearInterval(this.recheckTimer);
      for (const peer of [...this.sessions.values()]) this.endSession(peer);
      const closed = this.io.close(); // also closes the HTTP server, once its connections end
      this.http.closeAllConnections(); // including idle ones that never completed a handshake
      await closed;
      if (this.http.listening) await new Promise((resolve) => this.http.close(resolve));
    })();
    return this.closing;
  }

  private onConnection(socket: EdgeSocket): void {
    if (this.closing) {
      socket.disconnect();
      return;
    }
    const { info, sessionId, credentials } = socket.data;
    let peer = this.sessions.get(info.nodeId);
    if (peer && peer.sessionId !== sessionId) {
      // The same node id with a new session while the old one waits to resume (a connected one was refused
      // at the handshake): the device restarted. The old session ends for good; its holders see a dead
      // PeerConnection.
      this.endSession(peer);
      peer = undefined;
    }
    if (peer?.connected) this.dropSocket(peer); // the device reconnected before its old socket was seen to die
    if (!peer) {
      peer = new SocketIoPeer(info, sessionId, this.link);
      this.sessions.set(info.nodeId, peer);
    }
    const session = peer;
    session.credentials = credentials;
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
