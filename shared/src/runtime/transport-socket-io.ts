// The distributed implementation of transport.ts: an edge (or the coordinator) listens with socket.io, devices
// connect with socket.io-client over websockets only. A request is one `req` event whose acknowledgement
// carries the reply; frames larger than `chunkBytes` travel first as `part` events holding Chunk envelopes
// (wire/chunking.ts) and are reassembled under per-connection limits, so no single websocket message
// exceeds the server's maxHttpBufferSize and one peer cannot make the other end allocate without bound.
// A frame the server sends to many peers (an edge's round request) is split once: every peer gets the same
// chunk envelopes under one server-wide transfer id, which its `req` names. A reply's transfer id is its
// request id.
// It lives beside transport.ts rather than in it because it is a second concept (framing, limits, sessions)
// as long as the interface and the in-process network together; the contract tests keep the two in step.

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID, createHash, timingSafeEqual } from 'node:crypto';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { ConfigError, RoundTimeoutError, StrataError, WireFormatError } from '../errors.js';
import { ChunkAssembler, splitFrame } from '../wire/chunking.js';
import { decodeEnvelope } from '../wire/envelope-codec.js';
import { DEFAULT_WIRE_LIMITS } from '../wire/wire-limits.js';
import {
  compareIds, ConnectError, invalidTimeout, PeerDisconnectedError, PeerRequestError,
  type ClientConnection, type LinkStats, type NodeRole, type PeerConnection, type PeerInfo, type RequestHandler,
  type TransportClient, type TransportServer,
} from './transport.js';

/** Bounds that keep one connection from exhausting the memory at either end. */
export interface LinkLimits {
  /**
   * Frames up to this size travel as one websocket message, larger ones as chunks of at most this size.
   * Must not exceed the receiving server's maxHttpBufferSize. Default 4 MiB (on a server, its
   * maxHttpBufferSize if smaller): a frame that fits one message is used where it landed, where a chunked
   * one is copied again into its reassembled frame (for a 1M-parameter model that copy, with the garbage
   * collections it triggers, was about a third of a device's CPU per round); and a 4 MiB message keeps a
   * large model from holding up its connection's heartbeats for the whole transfer (3.4 s at 10 Mbit/s,
   * within socket.io's 20 s ping timeout).
   */
  readonly chunkBytes: number;
  /** Largest frame accepted, whole or reassembled (default DEFAULT_WIRE_LIMITS.maxFrameBytes, 256 MiB). */
  readonly maxFrameBytes: number;
  /** Bytes of chunked frames being received at once on one connection (default: maxFrameBytes). */
  readonly maxInFlightBytes: number;
  /** Requests outstanding at once on one connection, in either direction's bookkeeping (default 32). */
  readonly maxPendingRequests: number;
}

export const DEFAULT_LINK_LIMITS: LinkLimits = {
  chunkBytes: 4 * 1024 * 1024,
  maxFrameBytes: DEFAULT_WIRE_LIMITS.maxFrameBytes,
  maxInFlightBytes: DEFAULT_WIRE_LIMITS.maxFrameBytes,
  maxPendingRequests: 32,
};

/** What a device presents in its handshake, checked by `verify` before any of its messages is read. */
export interface HandshakeCredentials {
  readonly info: PeerInfo;
  readonly sessionId: string;
  readonly token: string | undefined;
  readonly remoteAddress: string;
}

export type HandshakeVerifier = (credentials: HandshakeCredentials) => boolean | Promise<boolean>;

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

export interface SocketIoClientOptions extends Partial<LinkLimits> {
  /** The tier's shared secret, or the device's own credential, sent in the handshake. */
  readonly token?: string;
  /**
   * Identifies this device's session across reconnections (default: a fresh UUID per connect() call). A
   * device that restarts and wants to resume its session passes the id it used before.
   */
  readonly sessionId?: string;
  readonly path?: string;
  /** How long connect() waits for the first connection (default 10 s). */
  readonly connectTimeoutMs?: number;
  /** First delay before reconnecting after a lost connection; it doubles up to `reconnectionDelayMaxMs`. */
  readonly reconnectionDelayMs?: number;
  readonly reconnectionDelayMaxMs?: number;
  /** Told each time the link is lost or re-established after connect() resolved (a device fails over on it). */
  readonly onConnectionChange?: (connected: boolean) => void;
}

/** The handshake refused the credentials (missing, wrong, or rejected by the server's verifier). */
export class AuthenticationError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_AUTH', message);
  }
}

/** A request would break a per-connection limit (too many outstanding requests). */
export class LinkLimitError extends StrataError {
  constructor(message: string) {
    super('STRATA_ERR_LINK_LIMIT', message);
  }
}

/** The device's reply: the frame itself, a note that it came as `part` events, or its handler's error. */
type ReplyPacket =
  | { readonly frame: Uint8Array }
  | { readonly chunked: true }
  | { readonly error: { readonly code: string; readonly message: string } };

interface ServerToDeviceEvents {
  /** A chunk of the frame of transfer `transferId`, which a later `req` names. */
  part: (transferId: number, chunk: Uint8Array) => void;
  /** A request: its frame, or the id of the transfer whose `part` events carried it. */
  req: (requestId: number, frame: Uint8Array | number, ack: (reply: ReplyPacket) => void) => void;
}

interface DeviceToServerEvents {
  part: (requestId: number, chunk: Uint8Array) => void;
}

interface SocketData {
  info: PeerInfo;
  sessionId: string;
}

type EdgeSocket = ServerSocket<DeviceToServerEvents, ServerToDeviceEvents, Record<string, never>, SocketData>;
type DeviceSocket = ClientSocket<ServerToDeviceEvents, DeviceToServerEvents>;

const ROLES: readonly NodeRole[] = ['device', 'edge', 'coordinator'];
const MAX_ID_LENGTH = 256;
/** Error messages crossing the link are cut to this length: a peer's error must not be a memory attack. */
const MAX_ERROR_MESSAGE = 2000;

function resolveLimits(overrides: Partial<LinkLimits>, maxHttpBufferSize?: number): LinkLimits {
  const limits: LinkLimits = {
    chunkBytes: overrides.chunkBytes ?? Math.min(DEFAULT_LINK_LIMITS.chunkBytes, maxHttpBufferSize ?? Infinity),
    maxFrameBytes: overrides.maxFrameBytes ?? DEFAULT_LINK_LIMITS.maxFrameBytes,
    maxInFlightBytes: overrides.maxInFlightBytes ?? overrides.maxFrameBytes ?? DEFAULT_LINK_LIMITS.maxInFlightBytes,
    maxPendingRequests: overrides.maxPendingRequests ?? DEFAULT_LINK_LIMITS.maxPendingRequests,
  };
  for (const [key, value] of Object.entries({ ...limits, maxHttpBufferSize })) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new ConfigError(`socket.io transport option ${key} must be a positive integer, got ${value}`);
    }
  }
  // A chunk is an Envelope of about 60 bytes around its data, and it must also leave room for its data.
  if (limits.chunkBytes < 1024) throw new ConfigError(`socket.io transport option chunkBytes must be at least 1024, got ${limits.chunkBytes}`);
  if (maxHttpBufferSize !== undefined && limits.chunkBytes > maxHttpBufferSize) {
    throw new ConfigError(`socket.io transport option chunkBytes ${limits.chunkBytes} exceeds maxHttpBufferSize ${maxHttpBufferSize}`);
  }
  return limits;
}

/**
 * Refuses a frame that arrived in one message but is larger than the link's maxFrameBytes (a chunked one is
 * refused by its declared size before it is buffered), with the same wording.
 */
function checkWholeFrame(frame: Uint8Array, limits: LinkLimits, what: string): void {
  if (frame.byteLength <= limits.maxFrameBytes) return;
  const reason = `it declares ${frame.byteLength} bytes, more than maxFrameBytes ${limits.maxFrameBytes}`;
  throw new WireFormatError(`${what} refused: ${reason}`, { cause: new LinkLimitError(reason) });
}

/**
 * A frame that arrived in one message, as a plain Uint8Array over the same memory: nothing else writes to a
 * received websocket message once it is delivered, so it is not copied (a whole frame per request or reply);
 * not a Buffer, whose slice() shares memory where Uint8Array's copies. A message that filled its own socket
 * reads starts its own buffer, so its payloads stay aligned for zero-copy decoding; a small one may be a view
 * into a read buffer, and the decoder copies what is not aligned.
 */
function receivedFrame(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A frame split into chunk envelopes once, for every peer it is sent to. */
interface SplitTransfer {
  readonly transferId: number;
  readonly parts: readonly Buffer[];
}

/**
 * Sends `frame` for request `requestId`: returns it to travel inside the next event when it fits one
 * message, otherwise emits it as `part` events now and returns null.
 */
function sendFrame(
  emitPart: (requestId: number, chunk: Uint8Array) => void, requestId: number, frame: Uint8Array, chunkBytes: number, sender: string,
): Buffer | null {
  if (frame.byteLength <= chunkBytes) return asBuffer(frame);
  for (const chunk of splitFrame(frame, { maxFrameBytes: chunkBytes, transferId: requestId, sender })) emitPart(requestId, asBuffer(chunk));
  return null;
}

/**
 * The server's outgoing frames larger than a chunk, each split once however many peers it goes to. Keyed by
 * the frame itself (frames are never mutated once sent), so the chunks live as long as the caller holds the
 * frame. Transfer ids are unique across the server, so a peer never confuses two frames' chunks.
 */
class OutgoingTransfers {
  private readonly split = new WeakMap<Uint8Array, SplitTransfer>();
  private nextTransferId = 0;

  constructor(private readonly chunkBytes: number, private readonly sender: string) {}

  /** The chunks of `frame` (split on first use). */
  of(frame: Uint8Array): SplitTransfer {
    let transfer = this.split.get(frame);
    if (!transfer) {
      const transferId = ++this.nextTransferId;
      const parts = splitFrame(frame, { maxFrameBytes: this.chunkBytes, transferId, sender: this.sender }).map(asBuffer);
      transfer = { transferId, parts };
      this.split.set(frame, transfer);
    }
    return transfer;
  }
}

function errorReply(error: unknown): ReplyPacket {
  const message = error instanceof Error ? error.message : String(error);
  return {
    error: {
      code: error instanceof StrataError ? error.code : 'STRATA_ERR_HANDLER',
      message: message.slice(0, MAX_ERROR_MESSAGE),
    },
  };
}

function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}

/**
 * The chunked frames arriving on one connection, keyed by transfer id (a reply's is its request id). It
 * bounds what the peer can make it hold: each frame's declared size, the sum of declared sizes, and the
 * number of transfers at once. A broken transfer is dropped and the reason kept (briefly) for the request
 * it belongs to.
 */
class ChunkReceiver {
  private readonly assembler: ChunkAssembler;
  private readonly declared = new Map<number, number>();
  private readonly complete = new Map<number, Uint8Array>();
  private readonly refused = new Map<number, string>();
  private bytes = 0;

  constructor(private readonly limits: LinkLimits, private readonly peer: string) {
    // The transfer count is bounded here, so the assembler never has to evict one behind our back.
    this.assembler = new ChunkAssembler({ maxTransferBytes: limits.maxFrameBytes, maxOpenTransfers: limits.maxPendingRequests + 1 });
  }

  /**
   * Adds one `part`; throws WireFormatError (and drops the transfer, ignoring its later parts) when it is
   * malformed or breaks a limit.
   */
  add(transferId: number, part: unknown): void {
    if (this.refused.has(transferId)) return; // the rest of a refused transfer
    try {
      if (!(part instanceof Uint8Array)) throw new WireFormatError(`chunk must be binary, got ${describe(part)}`);
      const chunk = decodeEnvelope(part, { maxFrameBytes: this.limits.maxFrameBytes }).chunk;
      if (!chunk) throw new WireFormatError('part event does not hold a chunk envelope');
      if (chunk.transferId !== transferId) throw new WireFormatError(`chunk of transfer ${chunk.transferId} sent as part of transfer ${transferId}`);
      if (!this.declared.has(transferId)) this.open(transferId, Number(chunk.totalBytes));
      const frame = this.assembler.add(chunk);
      if (frame) this.complete.set(transferId, frame);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.abort(transferId);
      this.refused.set(transferId, reason);
      if (this.refused.size > this.limits.maxPendingRequests) this.refused.delete(this.refused.keys().next().value as number);
      throw new WireFormatError(`frame of transfer ${transferId} from ${this.peer} refused: ${reason}`, { cause: error });
    }
  }

  /** The reassembled frame of `transferId`, which must be complete; it is no longer counted once taken. */
  take(transferId: number): Uint8Array {
    const frame = this.complete.get(transferId);
    const reason = this.refused.get(transferId);
    this.abort(transferId);
    this.refused.delete(transferId);
    if (frame) return frame;
    if (reason) throw new WireFormatError(`frame of transfer ${transferId} from ${this.peer} refused: ${reason}`);
    throw new WireFormatError(`transfer ${transferId} from ${this.peer} ended before all of its chunks arrived`);
  }

  abort(transferId: number): void {
    const size = this.declared.get(transferId);
    if (size === undefined) return;
    this.declared.delete(transferId);
    this.complete.delete(transferId);
    this.assembler.abort(transferId);
    this.bytes -= size;
  }

  clear(): void {
    for (const transferId of [...this.declared.keys()]) this.abort(transferId);
    this.refused.clear();
  }

  private open(transferId: number, totalBytes: number): void {
    const { maxFrameBytes, maxInFlightBytes, maxPendingRequests } = this.limits;
    if (totalBytes > maxFrameBytes) throw new LinkLimitError(`it declares ${totalBytes} bytes, more than maxFrameBytes ${maxFrameBytes}`);
    if (this.bytes + totalBytes > maxInFlightBytes) {
      throw new LinkLimitError(`its ${totalBytes} bytes would put ${this.bytes + totalBytes} bytes in flight, more than maxInFlightBytes ${maxInFlightBytes}`);
    }
    if (this.declared.size >= maxPendingRequests) throw new LinkLimitError(`${this.declared.size} transfers are already open (maxPendingRequests ${maxPendingRequests})`);
    this.declared.set(transferId, totalBytes);
    this.bytes += totalBytes;
  }
}

function parseHandshake(auth: unknown): { credentials: Omit<HandshakeCredentials, 'remoteAddress'> } | { problem: string } {
  if (typeof auth !== 'object' || auth === null) return { problem: 'no handshake credentials' };
  const fields = auth as Record<string, unknown>;
  const text = (key: string, optional: boolean): string | undefined | Error => {
    const value = fields[key];
    if (value === undefined && optional) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
      return new Error(`${key} must be a string of 1 to ${MAX_ID_LENGTH} characters, got ${describe(value)}`);
    }
    return value;
  };
  const [nodeId, role, region, sessionId, token] = [
    text('nodeId', false), text('role', false), text('region', true), text('sessionId', false), text('token', true),
  ];
  for (const value of [nodeId, role, region, sessionId, token]) if (value instanceof Error) return { problem: value.message };
  if (!ROLES.includes(role as NodeRole)) return { problem: `role must be one of ${ROLES.join(', ')}, got ${role}` };
  const info: PeerInfo = region === undefined
    ? { nodeId: nodeId as string, role: role as NodeRole }
    : { nodeId: nodeId as string, role: role as NodeRole, region: region as string };
  return { credentials: { info, sessionId: sessionId as string, token: token as string | undefined } };
}

/** Compares secrets in constant time (by their digests, so unequal lengths leak nothing either). */
export function sameSecret(a: string, b: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}

function refusal(code: 'STRATA_ERR_AUTH' | 'STRATA_ERR_HANDSHAKE', message: string): Error & { data: { code: string } } {
  return Object.assign(new Error(message), { data: { code } });
}

interface ServerLink {
  readonly limits: LinkLimits;
  readonly counters: LinkStats;
  readonly outgoing: OutgoingTransfers;
  readonly refuse: (reason: TransportRefusal, detail: string) => void;
}

/**
 * One device's session at the server. The object outlives the device's sockets: a device that reconnects
 * with the same session id is the same PeerConnection, now writing to its new socket.
 */
class SocketIoPeer implements PeerConnection {
  private socket: EdgeSocket | undefined;
  private nextRequestId = 0;
  /** Outstanding requests by id: each entry fails its request. */
  private readonly pending = new Map<number, (error: Error) => void>();
  private readonly chunks: ChunkReceiver;
  graceTimer: NodeJS.Timeout | undefined;

  constructor(public info: PeerInfo, readonly sessionId: string, private readonly link: ServerLink) {
    this.chunks = new ChunkReceiver(link.limits, info.nodeId);
  }

  get connected(): boolean {
    return this.socket?.connected === true;
  }

  owns(socket: EdgeSocket): boolean {
    return this.socket === socket;
  }

  attach(socket: EdgeSocket, info: PeerInfo): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.info = info;
    this.socket = socket;
    socket.on('part', (requestId, chunk) => {
      // Only replies to our own outstanding requests are buffered: late or unsolicited parts are dropped.
      if (this.socket !== socket || !this.pending.has(requestId)) return;
      try {
        this.chunks.add(requestId, chunk);
      } catch (error) {
        const failure = error as Error;
        this.link.refuse(failure.cause instanceof LinkLimitError ? 'oversized' : 'malformed', failure.message);
        this.pending.get(requestId)?.(failure);
      }
    });
  }

  /** Forgets the socket and fails what was sent on it; returns the socket, if there was one. */
  detach(): EdgeSocket | undefined {
    const socket = this.socket;
    this.socket = undefined;
    this.chunks.clear();
    for (const fail of [...this.pending.values()]) fail(new PeerDisconnectedError(this.info.nodeId));
    return socket;
  }

  request(frame: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const { limits, counters, outgoing } = this.link;
    const nodeId = this.info.nodeId;
    const socket = this.socket;
    const invalid = invalidTimeout(timeoutMs);
    if (invalid) return Promise.reject(invalid);
    if (!socket?.connected) return Promise.reject(new PeerDisconnectedError(nodeId));
    if (frame.byteLength > limits.maxFrameBytes) {
      return Promise.reject(new WireFormatError(`frame of ${frame.byteLength} bytes for ${nodeId} is larger than maxFrameBytes ${limits.maxFrameBytes}`));
    }
    if (this.pending.size >= limits.maxPendingRequests) {
      return Promise.reject(new LinkLimitError(`${this.pending.size} requests to ${nodeId} are outstanding already (maxPendingRequests ${limits.maxPendingRequests})`));
    }
    const requestId = ++this.nextRequestId;
    counters.bytesDown += frame.byteLength;
    return new Promise<Uint8Array>((resolve, reject) => {
      // The timer is ours rather than socket.io's timeout(): the server keeps those running after a
      // disconnect, which would hold a closing process open for up to timeoutMs.
      const timer = setTimeout(
        () => settle(new RoundTimeoutError(`request ${requestId} to ${nodeId} timed out after ${timeoutMs} ms`)), timeoutMs,
      );
      const settle = (outcome: Uint8Array | Error): void => {
        if (!this.pending.delete(requestId)) return; // already failed (disconnect, timeout) or answered
        clearTimeout(timer);
        this.chunks.abort(requestId);
        if (outcome instanceof Error) {
          reject(outcome);
        } else {
          counters.bytesUp += outcome.byteLength;
          resolve(outcome);
        }
      };
      this.pending.set(requestId, settle);
      let body: Buffer | number;
      if (frame.byteLength <= limits.chunkBytes) {
        body = asBuffer(frame);
      } else {
        const { transferId, parts } = outgoing.of(frame);
        for (const part of parts) socket.emit('part', transferId, part);
        body = transferId;
      }
      socket.emit('req', requestId, body, (reply) => {
        // socket.io's server handles an acknowledgement as soon as it is decoded but dispatches events on
        // process.nextTick, so the last `part` events decoded just before this ack may not have run yet.
        setImmediate(() => {
          if (!this.pending.has(requestId)) return; // a late reply: the request has timed out
          try {
            settle(this.readReply(requestId, reply));
          } catch (failure) {
            if (failure instanceof WireFormatError) {
              this.link.refuse(failure.cause instanceof LinkLimitError ? 'oversized' : 'malformed', failure.message);
            }
            settle(failure as Error);
          }
        });
      });
    });
  }

  private readReply(requestId: number, reply: unknown): Uint8Array {
    const nodeId = this.info.nodeId;
    if (typeof reply === 'object' && reply !== null) {
      const packet = reply as Record<string, unknown>;
      if (typeof packet.error === 'object' && packet.error !== null) {
        const { code, message } = packet.error as Record<string, unknown>;
        throw new PeerRequestError(
          nodeId, typeof code === 'string' ? code.slice(0, MAX_ID_LENGTH) : undefined, String(message).slice(0, MAX_ERROR_MESSAGE),
        );
      }
      if (packet.frame instanceof Uint8Array) {
        checkWholeFrame(packet.frame, this.link.limits, `reply to request ${requestId} from ${nodeId}`);
        return receivedFrame(packet.frame);
      }
      if (packet.chunked === true) return this.chunks.take(requestId);
    }
    throw new WireFormatError(`malformed reply to request ${requestId} from ${nodeId}: ${describe(reply)}`);
  }
}

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
    if (options.token !== undefined && options.token.length === 0) throw new ConfigError('SocketIoTransportServer option token must not be empty');
    const sessionGraceMs = options.sessionGraceMs ?? 60_000;
    if (!Number.isFinite(sessionGraceMs) || sessionGraceMs < 0) throw new ConfigError(`sessionGraceMs must be a non-negative number, got ${sessionGraceMs}`);
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
    const deny = (
      next: (error?: Error) => void, code: 'STRATA_ERR_AUTH' | 'STRATA_ERR_HANDSHAKE', message: string,
    ): void => {
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
          (error: unknown) => deny(next, 'STRATA_ERR_AUTH', `verifier failed for ${who}: ${error instanceof Error ? error.message : String(error)}`),
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
    socket.on('disconnect', (reason, description) => {
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
      answer(errorReply(new LinkLimitError(`${this.nodeId} is already handling ${this.active} requests (maxPendingRequests ${this.limits.maxPendingRequests})`)));
      return;
    }
    let frame: Uint8Array;
    try {
      if (typeof body === 'number' && Number.isSafeInteger(body)) frame = this.chunks.take(body);
      else if (body instanceof Uint8Array) {
        checkWholeFrame(body, this.limits, `request ${requestId} from the server`);
        frame = receivedFrame(body);
      }
      else throw new WireFormatError(`request ${requestId} frame must be binary or a transfer id, got ${describe(body)}`);
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
      if (value !== undefined && (!Number.isFinite(value) || value <= 0)) throw new ConfigError(`${key} must be a positive number, got ${value}`);
    }
  }

  /**
   * Resolves once the server accepted the handshake; rejects with AuthenticationError when it refused the
   * credentials and ConnectError when it cannot be reached. Once connected, a lost link is re-established
   * on its own (with backoff) under the same session, until close().
   */
  connect(address: string, info: PeerInfo, handler: RequestHandler): Promise<ClientConnection> {
    const { token, path } = this.options;
    const sessionId = this.options.sessionId ?? randomUUID();
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
        else if (code === 'STRATA_ERR_HANDSHAKE') reject(new ConnectError(`connection to ${address} refused: ${error.message}`));
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
