// The server's side of one device's session: requests to the device and their replies. The object outlives
// the device's sockets: a device that reconnects with the same session id is the same PeerConnection.

import type { Socket as ServerSocket } from 'socket.io';
import {
  invalidTimeout,
  PeerDisconnectedError,
  PeerRequestError,
  RoundTimeoutError,
  WireFormatError,
  type LinkStats,
  type PeerConnection,
  type PeerInfo,
} from '@strata/shared';
import { ChunkReceiver } from './chunk-receiver.js';
import {
  outgoingBytes,
  describe,
  MAX_ERROR_MESSAGE,
  MAX_ID_LENGTH,
  receivedFrame,
  type DeviceToServerEvents,
  type ServerToDeviceEvents,
} from './link-events.js';
import { checkWholeFrame, type LinkLimits } from './link-limits.js';
import type { OutgoingTransfers } from './outgoing-transfers.js';
import { LinkLimitError } from './transport-errors.js';
import type { TransportRefusal } from './socket-io-server.js';
import type { HandshakeCredentials } from './handshake.js';

export interface SocketData {
  info: PeerInfo;
  sessionId: string;
  /** What the socket's handshake presented, kept so the server can check it again later (a revoked credential). */
  credentials: HandshakeCredentials;
}

export type EdgeSocket = ServerSocket<DeviceToServerEvents, ServerToDeviceEvents, Record<string, never>, SocketData>;

export interface ServerLink {
  readonly limits: LinkLimits;
  readonly counters: LinkStats;
  readonly outgoing: OutgoingTransfers;
  readonly refuse: (reason: TransportRefusal, detail: string) => void;
  /** Events answering nothing a connection may send in a 10 s window before it is closed as a flood. */
  readonly maxUnsolicitedEvents: number;
}

const FLOOD_WINDOW_MS = 10_000;

/**
 * One device's session at the server. The object outlives the device's sockets: a device that reconnects
 * with the same session id is the same PeerConnection, now writing to its new socket.
 */
export class SocketIoPeer implements PeerConnection {
  private socket: EdgeSocket | undefined;
  private nextRequestId = 0;
  /** Outstanding requests by id: each entry fails its request. */
  private readonly pending = new Map<number, (error: Error) => void>();
  private readonly chunks: ChunkReceiver;
  graceTimer: NodeJS.Timeout | undefined;
  /** What the device's latest handshake presented (the server checks it again while the session lasts). */
  credentials: HandshakeCredentials | undefined;

  constructor(
    public info: PeerInfo,
    readonly sessionId: string,
    private readonly link: ServerLink,
  ) {
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
    let windowStart = Date.now();
    let unsolicited = 0;
    const answeringNothing = (what: string): void => {
      const now = Date.now();
      if (now - windowStart > FLOOD_WINDOW_MS) [windowStart, unsolicited] = [now, 0];
      if (++unsolicited <= this.link.maxUnsolicitedEvents) return;
      this.link.refuse(
        'flood',
        `${info.nodeId} sent more than ${this.link.maxUnsolicitedEvents} events answering nothing in 10 s (last: ${what}); closing its connection`,
      );
      socket.disconnect(true);
    };
    socket.onAny((event: string) => {
      if (event !== 'part') answeringNothing(`unknown event ${describe(event)}`);
    });
    socket.on('part', (requestId, chunk) => {
      // Only replies to our own outstanding requests are buffered: late or unsolicited parts are dropped.
      if (this.socket !== socket) return;
      if (!this.pending.has(requestId)) return answeringNothing(`part of request ${describe(requestId)}`);
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
      return Promise.reject(
        new WireFormatError(`frame of ${frame.byteLength} bytes for ${nodeId} is larger than maxFrameBytes ${limits.maxFrameBytes}`),
      );
    }
    if (this.pending.size >= limits.maxPendingRequests) {
      return Promise.reject(
        new LinkLimitError(
          `${this.pending.size} requests to ${nodeId} are outstanding already (maxPendingRequests ${limits.maxPendingRequests})`,
        ),
      );
    }
    const requestId = ++this.nextRequestId;
    counters.bytesDown += frame.byteLength;
    return new Promise<Uint8Array>((resolve, reject) => {
      // The timer is ours rather than socket.io's timeout(): the server keeps those running after a
      // disconnect, which would hold a closing process open for up to timeoutMs.
      const timer = setTimeout(
        () => settle(new RoundTimeoutError(`request ${requestId} to ${nodeId} timed out after ${timeoutMs} ms`)),
        timeoutMs,
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
      let body: Uint8Array | number;
      if (frame.byteLength <= limits.chunkBytes) {
        body = outgoingBytes(frame);
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
          nodeId,
          typeof code === 'string' ? code.slice(0, MAX_ID_LENGTH) : undefined,
          String(message).slice(0, MAX_ERROR_MESSAGE),
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
