// Frames larger than a link's frame limit (socket.io's maxHttpBufferSize) travel as a numbered series of
// Chunk envelopes and are put back together at the other end. The receiver bounds its memory: a transfer
// may not declare more than maxTransferBytes, nor receive more than it declared, and only a few transfers
// are kept open at once (use one ChunkAssembler per connection).

import { ConfigError, WireFormatError } from '../errors.js';
import { encodeEnvelope, PROTOCOL_VERSION } from './envelope-codec.js';
import type { strata } from './generated/strata.js';
import { uninitializedBytes } from './uninitialized-bytes.js';

export interface SplitOptions {
  /** Largest chunk frame to produce, in bytes. */
  readonly maxFrameBytes: number;
  /** Identifies the transfer at the receiver; unique per sender and connection. */
  readonly transferId: number;
  readonly sender?: string;
}

export interface ChunkAssemblerLimits {
  /** Largest frame a transfer may declare (bytes); larger ones are rejected before anything is buffered. */
  readonly maxTransferBytes: number;
  /** Transfers buffered at once; starting one more drops the one that has waited longest since its last chunk. */
  readonly maxOpenTransfers: number;
}

const DEFAULT_ASSEMBLER_LIMITS: ChunkAssemblerLimits = { maxTransferBytes: 256 * 1024 * 1024, maxOpenTransfers: 4 };
const EMPTY = new Uint8Array(0);
const MAX_UINT32 = 0xffffffff;

/** Splits an encoded frame into chunk envelope frames of at most `maxFrameBytes` bytes each (at least one). */
export function splitFrame(frame: Uint8Array, options: SplitOptions): Uint8Array[] {
  const { maxFrameBytes, transferId, sender = '' } = options;
  // The largest envelope around an empty chunk, with every varint at its widest: what remains is payload.
  const overhead =
    encodeEnvelope({
      protocol: PROTOCOL_VERSION,
      sender,
      chunk: { transferId, index: MAX_UINT32, count: MAX_UINT32, totalBytes: frame.byteLength, data: EMPTY },
    }).byteLength +
    1 +
    5 +
    5 +
    4; // data tag, data length, padding field, chunk length growing to 5 bytes
  const payload = maxFrameBytes - overhead;
  if (!Number.isSafeInteger(maxFrameBytes) || payload < 1) {
    throw new ConfigError(`maxFrameBytes ${maxFrameBytes} leaves no room for chunk data (envelope overhead ${overhead} bytes)`);
  }
  const count = Math.max(1, Math.ceil(frame.byteLength / payload));
  if (count > MAX_UINT32) throw new ConfigError(`frame of ${frame.byteLength} bytes needs ${count} chunks, more than 2^32 - 1`);
  const frames: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const data = frame.subarray(index * payload, Math.min(frame.byteLength, (index + 1) * payload));
    frames.push(
      encodeEnvelope({
        protocol: PROTOCOL_VERSION,
        sender,
        chunk: { transferId, index, count, totalBytes: frame.byteLength, data },
      }),
    );
  }
  return frames;
}

interface Transfer {
  readonly count: number;
  readonly totalBytes: number;
  /** The whole frame, allocated from total_bytes when the first chunk arrives; chunks are copied in. */
  readonly frame: Uint8Array;
  /** Chunks 0 .. next - 1 are in `frame`, filling its first `filled` bytes. */
  next: number;
  filled: number;
  /** Chunks that arrived ahead of their turn, until the ones before them are in. */
  readonly early: Map<number, Uint8Array>;
  receivedBytes: number;
}

/** Copies the transfer's next chunk into its frame. Callers checked that the bytes received fit total_bytes. */
function place(transfer: Transfer, data: Uint8Array): void {
  transfer.frame.set(data, transfer.filled);
  transfer.filled += data.byteLength;
  transfer.next++;
}

/** Puts chunked frames back together, one transfer id at a time, checking every chunk against its transfer. */
export class ChunkAssembler {
  private readonly limits: ChunkAssemblerLimits;
  private readonly transfers = new Map<number, Transfer>();

  constructor(limits: Partial<ChunkAssemblerLimits> = {}) {
    this.limits = { ...DEFAULT_ASSEMBLER_LIMITS, ...limits };
    for (const [key, value] of Object.entries(this.limits)) {
      if (!Number.isSafeInteger(value) || value <= 0)
        throw new ConfigError(`chunk assembler ${key} must be a positive integer, got ${value}`);
    }
  }

  /**
   * Adds one chunk (from a decoded envelope). Returns the whole frame (a fresh buffer) when this chunk
   * completes its transfer, otherwise undefined. A chunk inconsistent with its transfer throws
   * WireFormatError and drops the transfer.
   */
  add(chunk: strata.IChunk): Uint8Array | undefined {
    const id = chunk.transferId ?? 0;
    const index = chunk.index ?? 0;
    const count = chunk.count ?? 0;
    const totalBytes = chunk.totalBytes ?? 0;
    const data = chunk.data ?? EMPTY;
    const where = `chunk ${index} of transfer ${id}`;
    if (typeof id !== 'number') throw new WireFormatError(`${where}: transfer_id must be a number, got ${typeof id}`);
    let transfer = this.transfers.get(id);
    if (!transfer) {
      if (totalBytes > this.limits.maxTransferBytes) {
        throw new WireFormatError(`${where}: total_bytes ${totalBytes} is larger than the limit ${this.limits.maxTransferBytes}`);
      }
      if (count < 1 || count > Math.max(1, totalBytes)) {
        throw new WireFormatError(`${where}: count ${count} is impossible for total_bytes ${totalBytes}`);
      }
      // Every byte is written before the frame is returned, and a dropped transfer's frame is never read.
      transfer = { count, totalBytes, frame: uninitializedBytes(totalBytes), next: 0, filled: 0, early: new Map(), receivedBytes: 0 };
      if (this.transfers.size >= this.limits.maxOpenTransfers) this.transfers.delete(this.transfers.keys().next().value as number);
    } else {
      // Re-inserted below, so the map's order stays least recently updated first.
      this.transfers.delete(id);
      if (count !== transfer.count) this.fail(id, `${where}: count ${count} differs from the transfer's ${transfer.count}`);
      if (totalBytes !== transfer.totalBytes) {
        this.fail(id, `${where}: total_bytes ${totalBytes} differs from the transfer's ${transfer.totalBytes}`);
      }
    }
    if (index >= transfer.count) this.fail(id, `${where}: index ${index} out of range for count ${transfer.count}`);
    if (index < transfer.next || transfer.early.has(index)) this.fail(id, `${where}: index ${index} received twice`);
    if (transfer.receivedBytes + data.byteLength > transfer.totalBytes) {
      this.fail(id, `${where}: ${transfer.receivedBytes + data.byteLength} bytes received, more than total_bytes ${transfer.totalBytes}`);
    }
    transfer.receivedBytes += data.byteLength;
    // Chunks come in order on a socket: each is copied into place at once, so the frame is the only copy kept.
    if (index === transfer.next) {
      place(transfer, data);
      for (let early = transfer.early.get(transfer.next); early; early = transfer.early.get(transfer.next)) {
        transfer.early.delete(transfer.next);
        place(transfer, early);
      }
    } else {
      transfer.early.set(index, data);
    }
    if (transfer.next < transfer.count) {
      this.transfers.set(id, transfer);
      return undefined;
    }
    if (transfer.receivedBytes !== transfer.totalBytes) {
      this.fail(id, `transfer ${id}: ${transfer.receivedBytes} bytes received in all chunks, total_bytes says ${transfer.totalBytes}`);
    }
    return transfer.frame;
  }

  /** Drops a transfer (its sender gave up or disconnected). */
  abort(transferId: number): void {
    this.transfers.delete(transferId);
  }

  /** Number of transfers waiting for chunks. */
  get openTransfers(): number {
    return this.transfers.size;
  }

  private fail(transferId: number, message: string): never {
    this.transfers.delete(transferId);
    throw new WireFormatError(message);
  }
}
