// A device's end of a socket.io link: connects to a SocketIoTransportServer over websockets only, answers its
// requests with a handler, and reconnects under the same session when the link drops.

import { io, type Socket as ClientSocket } from 'socket.io-client';
import {
  ConfigError,
  ConnectError,
  WireFormatError,
  type ClientConnection,
  type PeerInfo,
  type RequestHandler,
  type TransportClient,
} from '@strata/shared';
import { ChunkReceiver } from './chunk-receiver.js';
import {
  describe,
  errorReply,
  receivedBinary,
  type DeviceToServerEvents,
  type ReplyPacket,
  type ServerToDeviceEvents,
} from './link-events.js';
import { checkWholeFrame, resolveLimits, type LinkLimits } from './link-limits.js';
import { sendFrame } from './outgoing-transfers.js';
import { AuthenticationError, LinkLimitError } from './transport-errors.js';

export interface SocketIoClientOptions extends Partial<LinkLimits> {
  /** The tier's shared secret, or the device's own credential, sent in the handshake. */
  readonly token?: string;
  /**
   * Identifies this device's session across reconnections (default: a fresh UUID per connect() call). A
   * device that restarts and wants to resume its session passes the id it used before.
   */
  readonly sessionId?: string;
  readonly path?: string;
  /** Certificates (PEM) to trust for an `https://` server besides the system's: a private CA or a self-signed one. */
  readonly ca?: string;
  /** How long connect() waits for the first connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** First delay before reconnecting after a lost connection; it doubles up to `reconnectionDelayMaxMs`. */
  readonly reconnectionDelayMs?: number;
  readonly reconnectionDelayMaxMs?: number;
  /** Told each time the link is lost or re-established after connect() resolved (a device fails over on it). */
  readonly onConnectionChange?: (connected: boolean) => void;
}

type DeviceSocket = ClientSocket<ServerToDeviceEvents, DeviceToServerEvents>;

/** A device's end: answers the server's requests with `handler`, reconnecting (same session) when the link drops. */
class SocketIoClientConnection implements ClientConnection {
  private readonly chunks: ChunkReceiver;
  private active = 0;

  constructor(
    private readonly socket: DeviceSocket,
    private readonly handler: RequestHandler,
    private readonly limits: LinkLimits,
    private readonly nodeId: string,
  ) {
    this.chunks = new ChunkReceiver(limits, 'the server');
    socket.on('part', (transferId, chunk) => {
      try {
        this.chunks.add(transferId, chunk);
      } catch {
        // Kept by the receiver: the request it belongs to is answered with the reason when it arrives.
      }
    });
    socket.on('req', (requestId, frame, ack) => this.onRequest(requestId, frame, ack));
    socket.on('disconnect', () => this.chunks.clear());
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  async close(): Promise<void> {
    this.socket.disconnect();
    this.chunks.clear();
  }

  private onRequest(requestId: unknown, body: unknown, ack: unknown): void {
    if (typeof ack !== 'function') return; // nothing can be answered
    // An answer is only sent on the connection the request came on: after a reconnection socket.io-client
    // would send it on the new one, where its acknowledgement id means another request.
    const epoch = this.socket.id;
    const answer = (reply: ReplyPacket): void => {
      if (this.socket.connected && this.socket.id === epoch) (ack as (reply: ReplyPacket) => void)(reply);
    };
    if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId)) {
      answer(errorReply(new WireFormatError(`request id must be an integer, got ${describe(requestId)}`)));
      return;
    }
    if (this.active >= this.limits.maxPendingRequests) {
      if (typeof body === 'number') this.chunks.abort(body);
      answer(
        errorReply(
          new LinkLimitError(
            `${this.nodeId} is already handling ${this.active} requests (maxPendingRequests ${this.limits.maxPendingRequests})`,
          ),
        ),
      );
      return;
    }
    let frame: Uint8Array;
    try {
      const binary = receivedBinary(body);
      if (typeof body === 'number' && Number.isSafeInteger(body)) frame = this.chunks.take(body);
      else if (binary) {
        checkWholeFrame(binary, this.limits, `request ${requestId} from the server`);
        frame = binary;
      } else throw new WireFormatError(`request ${requestId} frame must be binary or a transfer id, got ${describe(body)}`);
    } catch (error) {
      answer(errorReply(error));
      return;
    }
    this.active++;
    // A handler that throws (even synchronously) or returns garbage becomes an error reply: never a crash.
    Promise.resolve()
      .then(() => this.handler(frame))
      .then((reply: unknown) => {
        if (!(reply instanceof Uint8Array)) throw new WireFormatError(`handler returned ${describe(reply)}, not a Uint8Array`);
        if (reply.byteLength > this.limits.maxFrameBytes) {
          throw new WireFormatError(`reply of ${reply.byteLength} bytes is larger than maxFrameBytes ${this.limits.maxFrameBytes}`);
        }
        if (!this.socket.connected || this.socket.id !== epoch) return;
        const emitPart = (id: number, chunk: Uint8Array): void => {
          this.socket.emit('part', id, chunk);
        };
        const inline = sendFrame(emitPart, requestId, reply, this.limits.chunkBytes, this.nodeId);
        answer(inline === null ? { chunked: true } : { frame: inline });
      })
      .catch((error: unknown) => answer(errorReply(error)))
      .finally(() => {
        this.active--;
      });
  }
}

/** Connects devices to a SocketIoTransportServer. */
export class SocketIoTransportClient implements TransportClient {
  private readonly limits: LinkLimits;

  constructor(private readonly options: SocketIoClientOptions = {}) {
    this.limits = resolveLimits(options);
    for (const key of ['connectTimeoutMs', 'reconnectionDelayMs', 'reconnectionDelayMaxMs'] as const) {
      const value = options[key];
      if (value !== undefined && (!Number.isFinite(value) || value <= 0))
        throw new ConfigError(`${key} must be a positive number, got ${value}`);
    }
  }

  /**
   * Resolves once the server accepted the handshake; rejects with AuthenticationError when it refused the
   * credentials and ConnectError when it cannot be reached. Once connected, a lost link is re-established
   * on its own (with backoff) under the same session, until close().
   */
  connect(address: string, info: PeerInfo, handler: RequestHandler): Promise<ClientConnection> {
    const { token, path } = this.options;
    const sessionId = this.options.sessionId ?? crypto.randomUUID();
    const auth: Record<string, string> = { nodeId: info.nodeId, role: info.role, sessionId };
    if (info.region !== undefined) auth.region = info.region;
    if (token !== undefined) auth.token = token;
    const socket: DeviceSocket = io(address, {
      path,
      auth,
      transports: ['websocket'],
      forceNew: true,
      timeout: this.options.connectTimeoutMs ?? 10_000,
      reconnectionDelay: this.options.reconnectionDelayMs ?? 500,
      reconnectionDelayMax: this.options.reconnectionDelayMaxMs ?? 5000,
      ...(this.options.ca === undefined ? {} : { ca: this.options.ca }),
    });
    // Listening before the first packet can arrive: the server may send a request as soon as it sees us.
    const connection = new SocketIoClientConnection(socket, handler, this.limits, info.nodeId);
    return new Promise((resolve, reject) => {
      const onConnect = (): void => {
        socket.off('connect_error', onError);
        const observer = this.options.onConnectionChange;
        if (observer) {
          socket.on('disconnect', () => observer(false));
          socket.on('connect', () => observer(true));
        }
        resolve(connection);
      };
      const onError = (error: Error & { data?: { code?: unknown }; description?: unknown }): void => {
        socket.off('connect', onConnect);
        socket.disconnect();
        const code = error.data?.code;
        if (code === 'STRATA_ERR_AUTH') reject(new AuthenticationError(`connection to ${address} refused: ${error.message}`));
        else if (code === 'STRATA_ERR_HANDSHAKE' || code === 'STRATA_ERR_DUPLICATE_SESSION')
          reject(new ConnectError(`connection to ${address} refused: ${error.message}`));
        else reject(new ConnectError(`cannot connect to ${address}: ${connectFailure(error)}`, { cause: error }));
      };
      socket.once('connect', onConnect);
      socket.once('connect_error', onError);
    });
  }
}

/** The most telling message in socket.io-client's connect_error, which wraps the network error. */
function connectFailure(error: Error & { description?: unknown }): string {
  const description = error.description as { message?: unknown; error?: { message?: unknown } } | undefined;
  const inner = description?.error?.message ?? description?.message;
  return typeof inner === 'string' && inner.length > 0 ? `${error.message} (${inner})` : error.message;
}
