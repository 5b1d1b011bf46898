// How a viewing session's frames travel: colour as baseline JPEG (jpeg-js: pure JavaScript, already a
// dependency of the project, no native binaries), depth as 16-bit distances quantised over the scene's
// [near, far] range (0: nothing hit) and deflated. On fast links the colour may travel as 8-bit rgb, raw
// (rgb8) or deflated (rgb8-deflate). Lossy colour is what streaming needs (a 400x400 frame is
// 480 kB raw, tens of kB as JPEG); depth is kept near-lossless because warping errors grow with its error.

import { deflateSync, inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { encodeJpegReused } from './reused-jpeg-encoder.js';
import { ConfigError, DataError, depthToSteps, stepsToDepth, unitToByte, type ViewColorCodec } from '@strata/shared';

/** Encodes rgb floats in [0, 1] (row by row) as a JPEG of `quality` (1-100). */
export function encodeJpegFrame(rgb: Float32Array, width: number, height: number, quality: number): Uint8Array {
  const n = width * height;
  if (rgb.length !== 3 * n) throw new ConfigError(`jpeg frame: ${width}x${height} needs ${3 * n} values, got ${rgb.length}`);
  const data = Buffer.alloc(4 * n);
  for (let p = 0; p < n; p++) {
    data[4 * p] = Math.round(Math.min(1, Math.max(0, rgb[3 * p])) * 255);
    data[4 * p + 1] = Math.round(Math.min(1, Math.max(0, rgb[3 * p + 1])) * 255);
    data[4 * p + 2] = Math.round(Math.min(1, Math.max(0, rgb[3 * p + 2])) * 255);
    data[4 * p + 3] = 255;
  }
  return encodeJpegReused({ width, height, data }, quality);
}

/** Decodes a frame's JPEG to rgb floats in [0, 1]; a DataError when it is not one of the expected size. */
export function decodeJpegFrame(bytes: Uint8Array, width: number, height: number): Float32Array {
  let image: { width: number; height: number; data: Uint8Array };
  try {
    image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 16, maxMemoryUsageInMB: 128 });
  } catch (cause) {
    throw new DataError(`view frame: the colour is not a valid JPEG (${(cause as Error).message})`, { cause });
  }
  if (image.width !== width || image.height !== height)
    throw new DataError(`view frame: the JPEG is ${image.width}x${image.height}, the frame says ${width}x${height}`);
  const rgb = new Float32Array(3 * width * height);
  for (let p = 0; p < width * height; p++) {
    rgb[3 * p] = image.data[4 * p] / 255;
    rgb[3 * p + 1] = image.data[4 * p + 1] / 255;
    rgb[3 * p + 2] = image.data[4 * p + 2] / 255;
  }
  return rgb;
}

/** rgb floats in [0, 1] as 8-bit rgb, row by row (rounded; what both 8-bit codecs carry). */
function quantizeRgb8(rgb: Float32Array, width: number, height: number): Buffer {
  const n = width * height;
  if (rgb.length !== 3 * n) throw new ConfigError(`rgb frame: ${width}x${height} needs ${3 * n} values, got ${rgb.length}`);
  const bytes = Buffer.allocUnsafe(3 * n);
  for (let i = 0; i < 3 * n; i++) bytes[i] = unitToByte(rgb[i]);
  return bytes;
}

/** k / 255 for each byte k (as the float32 a division stores), and the same floats' bits as int32. */
const BYTE_TO_UNIT = Float32Array.from({ length: 256 }, (_, k) => k / 255);
const BYTE_TO_UNIT_BITS = new Int32Array(BYTE_TO_UNIT.buffer);

/** 8-bit rgb back to floats in [0, 1]; a DataError when `raw` is not a `width` x `height` frame. */
function rgb8ToFloats(raw: Uint8Array, width: number, height: number): Float32Array {
  const n = width * height;
  if (raw.length !== 3 * n) throw new DataError(`view frame: the colour holds ${raw.length} bytes, a ${width}x${height} frame ${3 * n}`);
  // The floats' bits copied as int32 (no float conversion on the way: ~30% cheaper, the same values); the
  // bytes read through a plain Uint8Array view (a Buffer's subclass reads were slower).
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.length);
  const bits = new Int32Array(3 * n);
  for (let i = 0; i < 3 * n; i++) bits[i] = BYTE_TO_UNIT_BITS[bytes[i]];
  return new Float32Array(bits.buffer);
}

/**
 * rgb floats in [0, 1] as raw 8-bit rgb (the colour codec for the fastest links: no compression to pay for on
 * either end; 3 bytes a pixel, 480 kB a 400x400 frame).
 */
export function encodeRgb8Frame(rgb: Float32Array, width: number, height: number): Uint8Array {
  const bytes = quantizeRgb8(rgb, width, height);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** The inverse of encodeRgb8Frame; a DataError when the bytes are not exactly a `width` x `height` frame. */
export function decodeRgb8Frame(bytes: Uint8Array, width: number, height: number): Float32Array {
  return rgb8ToFloats(bytes, width, height);
}

/** rgb floats in [0, 1] as 8-bit rgb deflated at level 1 (the colour codec for fast links: cheap to encode). */
export function encodeRgbDeflateFrame(rgb: Float32Array, width: number, height: number): Uint8Array {
  return new Uint8Array(deflateSync(quantizeRgb8(rgb, width, height), { level: 1 }));
}

/** The inverse of encodeRgbDeflateFrame; a DataError when the bytes do not hold a `width` x `height` frame. */
export function decodeRgbDeflateFrame(bytes: Uint8Array, width: number, height: number): Float32Array {
  let raw: Buffer;
  try {
    raw = inflateSync(bytes, { maxOutputLength: 3 * width * height + 1 });
  } catch (cause) {
    throw new DataError(`view frame: the colour does not inflate (${(cause as Error).message})`, { cause });
  }
  return rgb8ToFloats(raw, width, height);
}

/**
 * A frame's colour in the session's codec. `rgb8`: the same colour as 8-bit rgb already (ViewFrame.rgb8, what
 * the splat render workers write beside the floats): the 8-bit codecs take it instead of quantising `rgb` (raw
 * rgb8 copies it: the renderer may reuse its buffer while the copy is still being sent).
 */
export function encodeColorFrame(
  codec: ViewColorCodec,
  rgb: Float32Array,
  width: number,
  height: number,
  jpegQuality: number,
  rgb8?: Uint8Array,
): Uint8Array {
  if (codec === 'jpeg') return encodeJpegFrame(rgb, width, height, jpegQuality);
  if (rgb8) {
    if (rgb8.length !== 3 * width * height)
      throw new ConfigError(`rgb frame: ${width}x${height} needs ${3 * width * height} bytes, got ${rgb8.length}`);
    return codec === 'rgb8' ? new Uint8Array(rgb8) : new Uint8Array(deflateSync(rgb8, { level: 1 }));
  }
  return codec === 'rgb8' ? encodeRgb8Frame(rgb, width, height) : encodeRgbDeflateFrame(rgb, width, height);
}

/** Depth (0: empty, else a distance in [near, far]) as deflated little-endian 16-bit steps. */
export function encodeDepthFrame(depth: Float32Array, near: number, far: number): Uint8Array {
  return new Uint8Array(deflateSync(depthToSteps(depth, near, far), { level: 1 }));
}

/** The inverse of encodeDepthFrame; a DataError when the bytes do not hold `pixels` depths. */
export function decodeDepthFrame(bytes: Uint8Array, pixels: number, near: number, far: number): Float32Array {
  let raw: Buffer;
  try {
    raw = inflateSync(bytes, { maxOutputLength: 2 * pixels + 1 });
  } catch (cause) {
    throw new DataError(`view frame: the depth does not inflate (${(cause as Error).message})`, { cause });
  }
  return stepsToDepth(raw, pixels, near, far);
}

/** The decoders a Node device plays a viewing session with (device-client's ViewFrameDecoder). */
export const nodeViewFrameDecoder = {
  color: (bytes: Uint8Array, width: number, height: number, codec: ViewColorCodec = 'jpeg') =>
    codec === 'jpeg'
      ? decodeJpegFrame(bytes, width, height)
      : codec === 'rgb8'
        ? decodeRgb8Frame(bytes, width, height)
        : decodeRgbDeflateFrame(bytes, width, height),
  depth: decodeDepthFrame,
} as const;
