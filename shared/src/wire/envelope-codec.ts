// Frames on every link: one protobuf Envelope per binary frame. Decoding checks the frame's size before
// reading it, turns protobufjs's decode errors into WireFormatError, and insists on a known protocol
// version and a body, so that a daemon can reject a bad frame from a peer and go on. A Compressed envelope is
// expanded (bounded by the same maxFrameBytes, entropy-codecs.ts) and the frame inside decoded in its place.

import { WireFormatError } from '../errors.js';
import { fromBytePlanes } from './byte-planes.js';
import { expandFrame } from './entropy-codecs.js';
import { writeFrame } from './frame-writer.js';
import { strata } from './generated/strata.js';
import { wireLimits, type WireLimits } from './wire-limits.js';

/** The wire protocol version this code speaks; frames of another version are rejected. */
export const PROTOCOL_VERSION = 1;

export type EnvelopeBody = NonNullable<strata.Envelope['body']>;

/** A decoded envelope: its body is one of the oneof's messages, and 64-bit fields are plain numbers. */
export type DecodedEnvelope = strata.Envelope & { readonly body: EnvelopeBody };

const BODIES: readonly EnvelopeBody[] = [
  'roundRequest',
  'update',
  'chunk',
  'model',
  'resync',
  'secaggAdvertiseKeys',
  'secaggRoster',
  'secaggShareKeys',
  'secaggShareDelivery',
  'secaggMaskedInput',
  'secaggUnmaskRequest',
  'secaggUnmaskResponse',
  'modelPatch',
  'compressed',
];

/**
 * Encodes one envelope as a frame (a fresh Uint8Array, tensor payloads 4-byte aligned). `protocol` defaults
 * to PROTOCOL_VERSION.
 */
export function encodeEnvelope(envelope: strata.Envelope.$Shape): Uint8Array {
  const fields = envelope as strata.Envelope.$Properties;
  if (!BODIES.some((body) => fields[body] != null)) throw new WireFormatError('envelope to encode has no body');
  return writeFrame(strata.Envelope.encode, { ...envelope, protocol: envelope.protocol ?? PROTOCOL_VERSION });
}

/**
 * Decodes and checks one frame, expanding a compressed one (whose expansion must fit `maxFrameBytes` too).
 * Tensor payloads inside stay views of `frame` (or of its expansion; decode them with decodeModel /
 * decodeUpdate); do not reuse `frame`'s memory while they are in use.
 */
export function decodeEnvelope(frame: Uint8Array, limits: Partial<WireLimits> = {}): DecodedEnvelope {
  const { maxFrameBytes } = wireLimits(limits);
  const envelope = decodeOneEnvelope(frame, maxFrameBytes);
  if (envelope.body !== 'compressed') return envelope;
  const inner = decodeOneEnvelope(expandedFrame(envelope.compressed!, maxFrameBytes, frame.byteLength), maxFrameBytes);
  if (inner.body === 'compressed') throw new WireFormatError('a compressed frame holds another compressed frame');
  return inner;
}

function expandedFrame(compressed: strata.ICompressed, maxFrameBytes: number, frameBytes: number): Uint8Array {
  const rawBytes = compressed.rawBytes ?? 0;
  if (rawBytes <= 0) throw new WireFormatError(`compressed frame of ${frameBytes} bytes declares no expanded size`);
  if (compressed.codec !== strata.Compressed.Codec.BROTLI_BYTE_PLANES) {
    throw new WireFormatError(`compressed frame of ${frameBytes} bytes uses unknown codec ${compressed.codec}`);
  }
  return fromBytePlanes(expandFrame('brotli', compressed.data ?? new Uint8Array(0), rawBytes, maxFrameBytes, frameBytes));
}

function decodeOneEnvelope(frame: Uint8Array, maxFrameBytes: number): DecodedEnvelope {
  if (!(frame instanceof Uint8Array)) throw new WireFormatError(`frame must be a Uint8Array, got ${typeName(frame)}`);
  if (frame.byteLength > maxFrameBytes) {
    throw new WireFormatError(`frame of ${frame.byteLength} bytes is larger than the maximum of ${maxFrameBytes} bytes`);
  }
  if (frame.byteLength === 0) throw new WireFormatError('frame is empty');
  let envelope: strata.Envelope;
  try {
    envelope = strata.Envelope.decode(frame);
  } catch (error) {
    throw new WireFormatError(`malformed frame (${frame.byteLength} bytes): ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  if (envelope.protocol !== PROTOCOL_VERSION) {
    throw new WireFormatError(`envelope protocol ${envelope.protocol} is not the supported version ${PROTOCOL_VERSION}`);
  }
  const body = envelope.body;
  if (body === undefined) throw new WireFormatError('envelope has no body');
  if (envelope.chunk) {
    envelope.chunk.transferId = safeInteger(envelope.chunk.transferId, 'chunk transfer_id');
    envelope.chunk.totalBytes = safeInteger(envelope.chunk.totalBytes, 'chunk total_bytes');
  }
  const kind = envelope.roundRequest?.kind;
  if (kind != null && strata.RoundRequest.Kind[kind] === undefined) throw new WireFormatError(`round_request kind ${kind} is unknown`);
  return envelope as DecodedEnvelope;
}

/**
 * protobufjs decodes uint64 fields as Long objects when the `long` package is installed, whatever the
 * generated types say; the rest of Strata works with numbers, which hold every id it issues.
 */
function safeInteger(value: unknown, field: string): number {
  if (value == null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'object' && 'low' in value && 'high' in value) {
    const { low, high } = value as { low: number; high: number };
    const n = (high >>> 0) * 2 ** 32 + (low >>> 0);
    if (!Number.isSafeInteger(n)) throw new WireFormatError(`${field} ${n} is larger than 2^53`);
    return n;
  }
  throw new WireFormatError(`${field} has an unexpected value ${String(value)}`);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : typeof value === 'object' ? (value.constructor?.name ?? 'object') : typeof value;
}
