// The entropy stage of every link: a frame regrouped into byte planes (byte-planes.ts) and passed through the
// platform's coder (entropy-codecs.ts) travels as a Compressed envelope around it. Compress a frame once and
// send the result to every receiver (the downlink's shared frames are compressed where they are built). Frames
// too small to gain, and frames the coder does not shrink, travel as they are; receivers read both
// (decodeEnvelope).

import { toBytePlanes } from './byte-planes.js';
import { entropyCodec, type EntropyCoding } from './entropy-codecs.js';
import { encodeEnvelope } from './envelope-codec.js';
import { strata } from './generated/strata.js';

/**
 * Frames shorter than this travel as they are: a brotli stream and the envelope around it cost tens of bytes,
 * and control frames (requests without patches, Resync, evaluation sums) gain nothing worth a coder's call.
 */
export const MIN_COMPRESSED_FRAME_BYTES = 512;

/** `frame` compressed with `coding` when the platform can and it is smaller so; else `frame` itself. */
export function compressFrame(frame: Uint8Array, coding: EntropyCoding): Uint8Array {
  if (frame.byteLength < MIN_COMPRESSED_FRAME_BYTES) return frame;
  const compress = entropyCodec(coding)?.compress;
  if (!compress) return frame;
  const data = compress(toBytePlanes(frame));
  // The envelope adds a few bytes of tags, lengths and padding: keep the frame when it would not be smaller.
  if (data.byteLength + 16 >= frame.byteLength) return frame;
  return encodeEnvelope({ compressed: { codec: strata.Compressed.Codec.BROTLI_BYTE_PLANES, rawBytes: frame.byteLength, data } });
}
