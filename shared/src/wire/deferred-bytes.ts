// A bytes field whose payload is produced straight into the frame: the frame writer (frame-writer.ts) only
// needs the field's length to lay the frame out, then hands the payload's final place in the frame to
// `write`, so a tensor's float16 or int8 payload is computed once into the frame instead of into an array of
// its own that the writer then copies. A message holding one must go straight to writeFrame: it is no
// Uint8Array, and any other encoder would write zeros for it.

export class DeferredBytes {
  private writtenBytes: Uint8Array | undefined;

  constructor(
    /** The payload's size in bytes. */
    readonly length: number,
    private readonly produce: (target: Uint8Array) => void,
  ) {}

  /** Fills `target` (`length` bytes of the frame) with the payload; called once, by the frame writer. */
  write(target: Uint8Array): void {
    if (target.length !== this.length) throw new RangeError(`deferred bytes: target of ${target.length} bytes for ${this.length}`);
    this.produce(target);
    this.writtenBytes = target;
  }

  /** The payload as written into the frame (a view of it), or undefined before the frame writer got to it. */
  get written(): Uint8Array | undefined {
    return this.writtenBytes;
  }
}

/** `payload` typed as the Uint8Array of the message field it stands in for (see the top of this file). */
export function deferredField(payload: DeferredBytes): Uint8Array {
  return payload as unknown as Uint8Array;
}

/** The bytes `field` holds once the frame is written: a DeferredBytes' view of the frame, or `field` itself. */
export function writtenBytes(field: Uint8Array | null | undefined): Uint8Array | null | undefined {
  if (!((field as unknown) instanceof DeferredBytes)) return field;
  const written = (field as unknown as DeferredBytes).written;
  if (!written) throw new RangeError('deferred bytes: read before the frame writer wrote them');
  return written;
}
