// What travels on a socket.io link: the typed events, the reply packet, and the helpers both ends use to
// send and receive frames. A request is one `req` event whose acknowledgement carries the reply; frames
// larger than a chunk travel first as `part` events holding Chunk envelopes.

import { StrataError } from '@strata/shared';

/** The device's reply: the frame itself, a note that it came as `part` events, or its handler's error. */
export type ReplyPacket =
  | { readonly frame: Uint8Array }
  | { readonly chunked: true }
  | { readonly error: { readonly code: string; readonly message: string } };

export interface ServerToDeviceEvents {
  /** A chunk of the frame of transfer `transferId`, which a later `req` names. */
  part: (transferId: number, chunk: Uint8Array) => void;
  /** A request: its frame, or the id of the transfer whose `part` events carried it. */
  req: (requestId: number, frame: Uint8Array | number, ack: (reply: ReplyPacket) => void) => void;
}

export interface DeviceToServerEvents {
  part: (requestId: number, chunk: Uint8Array) => void;
}

export const MAX_ID_LENGTH = 256;
/** Error messages crossing the link are cut to this length: a peer's error must not be a memory attack. */
export const MAX_ERROR_MESSAGE = 2000;

/**
 * A frame that arrived in one message, as a plain Uint8Array over the same memory: nothing else writes to a
 * received websocket message once it is delivered, so it is not copied (a whole frame per request or reply);
 * not a Buffer, whose slice() shares memory where Uint8Array's copies. A message that filled its own socket
 * reads starts its own buffer, so its payloads stay aligned for zero-copy decoding; a small one may be a view
 * into a read buffer, and the decoder copies what is not aligned.
 */
export function receivedFrame(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The binary payload of a received event as a frame, or undefined when it is not binary: Node's socket.io
 * delivers a Buffer, a browser's (a browser device) an ArrayBuffer.
 */
export function receivedBinary(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return receivedFrame(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  return undefined;
}

/** Bytes as the link sends them: a Buffer over the same memory in Node; in a browser, which has no Buffer, as they are. */
export function outgoingBytes(bytes: Uint8Array): Uint8Array {
  if (typeof Buffer === 'undefined') return bytes;
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function errorReply(error: unknown): ReplyPacket {
  const message = error instanceof Error ? error.message : String(error);
  return {
    error: {
      code: error instanceof StrataError ? error.code : 'STRATA_ERR_HANDLER',
      message: message.slice(0, MAX_ERROR_MESSAGE),
    },
  };
}

export function describe(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
