// The entropy coders a frame may pass through (the Compressed envelope, frame-compression.ts). Shared code runs
// in browsers too and imports no Node built-in, so the platform registers its coders: Node's runtime registers
// brotli from node:zlib (both directions), the browser device a JavaScript brotli decoder only. A frame is
// compressed only where the sender has a compressor; every receiver with a decoder reads both kinds.

import { WireFormatError } from '../errors.js';

/** The coders a link may use; `none` sends frames as they are. */
export const ENTROPY_CODINGS = ['brotli', 'none'] as const;
export type EntropyCoding = (typeof ENTROPY_CODINGS)[number];

export interface EntropyCodec {
  /** Compresses one frame (absent where the platform only decodes). */
  compress?(bytes: Uint8Array): Uint8Array;
  /**
   * Expands `bytes`, allocating at most `maxBytes`: throws (anything) rather than produce more, so that a
   * small hostile frame cannot make the receiver allocate without bound.
   */
  decompress(bytes: Uint8Array, maxBytes: number): Uint8Array;
}

const codecs = new Map<Exclude<EntropyCoding, 'none'>, EntropyCodec>();

/** Makes `codec` the platform's coder for `coding` (the last registration wins). */
export function registerEntropyCodec(coding: Exclude<EntropyCoding, 'none'>, codec: EntropyCodec): void {
  codecs.set(coding, codec);
}

/** The platform's coder for `coding`, if one is registered. */
export function entropyCodec(coding: EntropyCoding): EntropyCodec | undefined {
  return coding === 'none' ? undefined : codecs.get(coding);
}

/** A compressed frame that would expand past the receiver's maxFrameBytes, or that lies about its size. */
export class DecompressionBombError extends WireFormatError {}

/**
 * The frame inside a Compressed envelope of `frameBytes` bytes: `data` expanded by `coding`'s decoder, which
 * may produce at most min(rawBytes, maxFrameBytes) bytes, and must produce exactly `rawBytes`.
 */
export function expandFrame(
  coding: EntropyCoding,
  data: Uint8Array,
  rawBytes: number,
  maxFrameBytes: number,
  frameBytes: number,
): Uint8Array {
  const codec = entropyCodec(coding);
  if (!codec) throw new WireFormatError(`frame compressed with ${coding}, which this process cannot decode`);
  if (rawBytes > maxFrameBytes) {
    throw new DecompressionBombError(
      `compressed frame of ${frameBytes} bytes declares ${rawBytes} bytes expanded, more than maxFrameBytes ${maxFrameBytes} (a decompression bomb): refused`,
    );
  }
  let expanded: Uint8Array;
  try {
    expanded = codec.decompress(data, rawBytes);
  } catch (error) {
    throw new DecompressionBombError(
      `compressed frame of ${frameBytes} bytes does not expand to its declared ${rawBytes} bytes within that bound ` +
        `(a decompression bomb or a damaged frame): ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  if (expanded.byteLength !== rawBytes) {
    throw new DecompressionBombError(
      `compressed frame of ${frameBytes} bytes expands to ${expanded.byteLength} bytes, not its declared ${rawBytes}`,
    );
  }
  return expanded;
}
