// Reassembles the chunked frames arriving on one connection, within the link's limits.

import { ChunkAssembler, decodeEnvelope, WireFormatError } from '@strata/shared';
import { describe, receivedBinary } from './link-events.js';
import type { LinkLimits } from './link-limits.js';
import { LinkLimitError } from './transport-errors.js';

/** Room for a chunk's envelope (ids, indices, sizes) around its data. */
const CHUNK_ENVELOPE_BYTES = 1024;

/**
 * The chunked frames arriving on one connection, keyed by transfer id (a reply's is its request id). It
 * bounds what the peer can make it hold: each frame's declared size, the sum of declared sizes, and the
 * number of transfers at once. A broken transfer is dropped and the reason kept (briefly) for the request
 * it belongs to.
 */
export class ChunkReceiver {
  private readonly assembler: ChunkAssembler;
  private readonly declared = new Map<number, number>();
  private readonly complete = new Map<number, Uint8Array>();
  private readonly refused = new Map<number, string>();
  private bytes = 0;

  constructor(
    private readonly limits: LinkLimits,
    private readonly peer: string,
  ) {
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
      const bytes = receivedBinary(part);
      if (!bytes) throw new WireFormatError(`chunk must be binary, got ${describe(part)}`);
      // A chunk carries part of a frame: larger than the largest frame (plus its envelope), it is an oversized
      // frame whatever it declares.
      const largestChunk = this.limits.maxFrameBytes + CHUNK_ENVELOPE_BYTES;
      if (bytes.byteLength > largestChunk) {
        throw new LinkLimitError(`a chunk of ${bytes.byteLength} bytes is larger than maxFrameBytes ${this.limits.maxFrameBytes}`);
      }
      const chunk = decodeEnvelope(bytes, { maxFrameBytes: largestChunk }).chunk;
      if (!chunk) throw new WireFormatError('part event does not hold a chunk envelope');
      if (chunk.transferId !== transferId)
        throw new WireFormatError(`chunk of transfer ${chunk.transferId} sent as part of transfer ${transferId}`);
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
      throw new LinkLimitError(
        `its ${totalBytes} bytes would put ${this.bytes + totalBytes} bytes in flight, more than maxInFlightBytes ${maxInFlightBytes}`,
      );
    }
    if (this.declared.size >= maxPendingRequests)
      throw new LinkLimitError(`${this.declared.size} transfers are already open (maxPendingRequests ${maxPendingRequests})`);
    this.declared.set(transferId, totalBytes);
    this.bytes += totalBytes;
  }
}
