// Encodes a protobuf message into one exact-size frame, in two passes over the generated encoder: the first
// measures every nested message and plans padding, the second writes each byte once. Compared with
// protobufjs's own Writer (which grows its buffer by doubling, shifts every nested message when its length
// prefix needs more than one byte, and copies the result once more at the end) a tensor payload is copied
// exactly once, and every bytes field starts 4-byte aligned in the frame so the decoder can view it in place.
// A field holding DeferredBytes (deferred-bytes.ts) is produced in its place in the frame, not copied.

import protobuf from 'protobufjs/minimal.js';
import { StrataError } from '../errors.js';
import { DeferredBytes } from './deferred-bytes.js';
import { uninitializedBytes } from './uninitialized-bytes.js';

/** A generated `encode(message, writer)` function. */
export type MessageEncoder<T> = (message: T, writer: protobuf.Writer) => protobuf.Writer;

/** Field 15, wire type 2: the `padding` field that strata.proto reserves in every message with bytes. */
const PADDING_TAG = (15 << 3) | 2;
/** Total padding-field size (tag, length, zeros) that moves a payload starting at offset % 4 = i to 0. */
const PAD_FOR_OFFSET = [0, 3, 2, 5];
/** Room for the worst-case reservations of protobufjs's writer methods near the end of the buffer. */
const SLACK_BYTES = 1024;
const MAX_PLANNING_PASSES = 6;

/**
 * The encoding of `message` as a fresh Uint8Array starting at offset 0 of its own buffer, with every bytes
 * field's payload at an offset divisible by 4. Any protobuf decoder reads it; padding fields are ignored.
 */
export function writeFrame<T>(encode: MessageEncoder<T>, message: T): Uint8Array {
  const plan = measure(encode, message, true) ?? measure(encode, message, false);
  if (!plan) throw new StrataError('STRATA_ERR_INTERNAL', 'frame writer: no consistent layout for the message');
  const size = plan.position;
  const writer = new PlannedWriter(plan.lengths, plan.pads, size);
  encode(message, writer);
  if (writer.pos !== size) {
    throw new StrataError('STRATA_ERR_INTERNAL', `frame writer: wrote ${writer.pos} bytes, planned ${size}`);
  }
  return writer.buf.subarray(0, size);
}

/**
 * Lengths and padding depend on each other (padding changes lengths, the width of a length prefix moves
 * every later payload), so measuring repeats until the length prefixes it assumed are the ones it found.
 * Without alignment the lengths do not depend on positions and the second pass always agrees.
 */
function measure<T>(encode: MessageEncoder<T>, message: T, align: boolean): MeasuringWriter | undefined {
  let widths: number[] = [];
  for (let pass = 0; pass < MAX_PLANNING_PASSES; pass++) {
    const writer = new MeasuringWriter(widths, align);
    encode(message, writer);
    const found = writer.lengths.map(varintSize);
    if (found.every((w, i) => w === (widths[i] ?? 1))) return writer;
    widths = found;
  }
  return undefined;
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/**
 * Counts the frame's bytes without copying payloads: small fields go through the base writer into a small
 * buffer, while length prefixes, payloads and padding are only counted (`virtual`).
 */
class MeasuringWriter extends protobuf.Writer {
  /** Content length of every nested message, in the order the encoder opens them. */
  readonly lengths: number[] = [];
  /** Padding-field size placed before every bytes field, in the order the encoder writes them. */
  readonly pads: number[] = [];
  private virtual = 0;
  private tagEnd = -1;
  private readonly open: { index: number; contentStart: number }[] = [];

  constructor(
    private readonly widths: readonly number[],
    private readonly align: boolean,
  ) {
    super();
  }

  /** The frame offset the next byte would have. */
  get position(): number {
    return this.pos + this.virtual;
  }

  override uint32(value: number): this {
    super.uint32(value);
    this.tagEnd = this.position;
    return this;
  }

  override fork(): this {
    const index = this.lengths.length;
    this.lengths.push(0);
    this.virtual += this.widths[index] ?? 1;
    this.open.push({ index, contentStart: this.position });
    return this;
  }

  override ldelim(): this {
    const nested = this.open.pop();
    if (!nested) throw new StrataError('STRATA_ERR_INTERNAL', 'frame writer: ldelim without fork');
    this.lengths[nested.index] = this.position - nested.contentStart;
    return this;
  }

  override bytes(value: Uint8Array | string): this {
    const length = byteLength(value);
    let pad = 0;
    // Padding goes before the field's tag, so only a tag written just before the payload can be moved.
    if (this.align && length > 0 && this.tagEnd === this.position) {
      pad = PAD_FOR_OFFSET[(this.position + varintSize(length)) % 4];
    }
    this.pads.push(pad);
    this.virtual += pad + varintSize(length) + length;
    return this;
  }

  override raw(value: Uint8Array): this {
    this.virtual += value.length;
    return this;
  }
}

/** Writes the measured layout into one buffer of the final size. */
class PlannedWriter extends protobuf.Writer {
  private nextFork = 0;
  private nextBytes = 0;
  private tagStart = -1;
  private tagEnd = -1;
  private readonly ends: number[] = [];

  constructor(
    private readonly lengths: readonly number[],
    private readonly pads: readonly number[],
    size: number,
  ) {
    super();
    // Every byte of the frame gets written, so the buffer need not be zeroed first (a whole pass over
    // memory for a large frame); the slack past the frame is, so that no stale memory sits in its buffer.
    this.buf = uninitializedBytes(size + SLACK_BYTES);
    this.buf.fill(0, size);
  }

  override uint32(value: number): this {
    const start = this.pos;
    super.uint32(value);
    this.tagStart = start;
    this.tagEnd = this.pos;
    return this;
  }

  override fork(): this {
    const length = this.lengths[this.nextFork++];
    super.uint32(length);
    this.ends.push(this.pos + length);
    return this;
  }

  override ldelim(): this {
    const end = this.ends.pop();
    if (end !== this.pos) {
      throw new StrataError('STRATA_ERR_INTERNAL', `frame writer: nested message ends at ${this.pos}, planned ${end}`);
    }
    return this;
  }

  override bytes(value: Uint8Array | string): this {
    const pad = this.pads[this.nextBytes++];
    if (pad > 0 && this.tagEnd === this.pos) {
      const tag = this.buf.slice(this.tagStart, this.tagEnd);
      this.pos = this.tagStart;
      super.uint32(PADDING_TAG);
      super.uint32(pad - 2);
      super.raw(new Uint8Array(pad - 2));
      super.raw(tag);
    }
    if ((value as unknown) instanceof DeferredBytes) {
      const payload = value as unknown as DeferredBytes;
      super.uint32(payload.length);
      payload.write(this.buf.subarray(this.pos, this.pos + payload.length));
      this.pos += payload.length;
      return this;
    }
    super.bytes(value);
    return this;
  }
}

function byteLength(value: Uint8Array | string): number {
  if (typeof value === 'string') {
    throw new StrataError('STRATA_ERR_INTERNAL', 'frame writer: bytes fields must be Uint8Array, not base64 strings');
  }
  return value.length;
}
