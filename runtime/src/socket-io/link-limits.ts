// Bounds that keep one socket.io connection from exhausting the memory at either end, and their defaults.

import { ConfigError, DEFAULT_WIRE_LIMITS, WireFormatError } from '@strata/shared';
import { LinkLimitError } from './transport-errors.js';

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

export function resolveLimits(overrides: Partial<LinkLimits>, maxHttpBufferSize?: number): LinkLimits {
  const limits: LinkLimits = {
    chunkBytes: overrides.chunkBytes ?? Math.min(DEFAULT_LINK_LIMITS.chunkBytes, maxHttpBufferSize ?? Infinity),
    maxFrameBytes: overrides.maxFrameBytes ?? DEFAULT_LINK_LIMITS.maxFrameBytes,
    maxInFlightBytes: overrides.maxInFlightBytes ?? overrides.maxFrameBytes ?? DEFAULT_LINK_LIMITS.maxInFlightBytes,
    maxPendingRequests: overrides.maxPendingRequests ?? DEFAULT_LINK_LIMITS.maxPendingRequests,
  };
  checkPositiveIntegers({ ...limits, maxHttpBufferSize });
  // A chunk is an Envelope of about 60 bytes around its data, and it must also leave room for its data.
  if (limits.chunkBytes < 1024)
    throw new ConfigError(`socket.io transport option chunkBytes must be at least 1024, got ${limits.chunkBytes}`);
  if (maxHttpBufferSize !== undefined && limits.chunkBytes > maxHttpBufferSize) {
    throw new ConfigError(`socket.io transport option chunkBytes ${limits.chunkBytes} exceeds maxHttpBufferSize ${maxHttpBufferSize}`);
  }
  return limits;
}

/** Throws ConfigError naming the first transport option that is set and not a positive integer. */
export function checkPositiveIntegers(options: Readonly<Record<string, number | undefined>>): void {
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value <= 0)) {
      throw new ConfigError(`socket.io transport option ${key} must be a positive integer, got ${value}`);
    }
  }
}

/**
 * Refuses a frame that arrived in one message but is larger than the link's maxFrameBytes (a chunked one is
 * refused by its declared size before it is buffered), with the same wording.
 */
export function checkWholeFrame(frame: Uint8Array, limits: LinkLimits, what: string): void {
  if (frame.byteLength <= limits.maxFrameBytes) return;
  const reason = `it declares ${frame.byteLength} bytes, more than maxFrameBytes ${limits.maxFrameBytes}`;
  throw new WireFormatError(`${what} refused: ${reason}`, { cause: new LinkLimitError(reason) });
}
