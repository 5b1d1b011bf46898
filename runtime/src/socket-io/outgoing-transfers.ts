// A frame the server sends to many peers (an edge's round request) is split into chunks once.

import { splitFrame } from '@strata/shared';
import { outgoingBytes } from './link-events.js';

/** A frame split into chunk envelopes once, for every peer it is sent to. */
export interface SplitTransfer {
  readonly transferId: number;
  readonly parts: readonly Uint8Array[];
}

/**
 * Sends `frame` for request `requestId`: returns it to travel inside the next event when it fits one
 * message, otherwise emits it as `part` events now and returns null.
 */
export function sendFrame(
  emitPart: (requestId: number, chunk: Uint8Array) => void,
  requestId: number,
  frame: Uint8Array,
  chunkBytes: number,
  sender: string,
): Uint8Array | null {
  if (frame.byteLength <= chunkBytes) return outgoingBytes(frame);
  for (const chunk of splitFrame(frame, { maxFrameBytes: chunkBytes, transferId: requestId, sender }))
    emitPart(requestId, outgoingBytes(chunk));
  return null;
}

/**
 * The server's outgoing frames larger than a chunk, each split once however many peers it goes to. Keyed by
 * the frame itself (frames are never mutated once sent), so the chunks live as long as the caller holds the
 * frame. Transfer ids are unique across the server, so a peer never confuses two frames' chunks.
 */
export class OutgoingTransfers {
  private readonly split = new WeakMap<Uint8Array, SplitTransfer>();
  private nextTransferId = 0;

  constructor(
    private readonly chunkBytes: number,
    private readonly sender: string,
  ) {}

  /** The chunks of `frame` (split on first use). */
  of(frame: Uint8Array): SplitTransfer {
    let transfer = this.split.get(frame);
    if (!transfer) {
      const transferId = ++this.nextTransferId;
      const parts = splitFrame(frame, { maxFrameBytes: this.chunkBytes, transferId, sender: this.sender }).map(outgoingBytes);
      transfer = { transferId, parts };
      this.split.set(frame, transfer);
    }
    return transfer;
  }
}
