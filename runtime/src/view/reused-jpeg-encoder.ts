// jpeg-js's encoder, built once per quality and reused. `jpeg.encode` constructs a new JPEGEncoder on every
// call, and the constructor builds its Huffman, category and colour tables: ~90 CPU-ms on this machine,
// whatever the image size (an 8x8 image costs as much as most of a 400x400 one), which was most of every
// streamed frame's encode. The constructor is not exported, so the module's source is evaluated once with
// the constructor returned (jpeg-js 0.4.x, a self-contained CommonJS file that uses only `module` and
// `Buffer`); the encoder resets its per-image state on each encode, so the bytes are the ones `jpeg.encode`
// writes (a test checks it).

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface JpegEncoder {
  encode(image: { width: number; height: number; data: Uint8Array }, quality: number): Buffer;
}

type JpegEncoderConstructor = new (quality: number) => JpegEncoder;

let encoderClass: JpegEncoderConstructor | undefined;
const encoders = new Map<number, JpegEncoder>();

function encoderConstructor(): JpegEncoderConstructor {
  if (!encoderClass) {
    const path = createRequire(import.meta.url).resolve('jpeg-js/lib/encoder.js');
    const factory = new Function('module', 'Buffer', `${readFileSync(path, 'utf8')}\nreturn JPEGEncoder;`) as (
      module: { exports: unknown },
      buffer: typeof Buffer,
    ) => JpegEncoderConstructor;
    encoderClass = factory({ exports: {} }, Buffer);
  }
  return encoderClass;
}

/** The baseline JPEG of `image` (RGBA) at `quality` (1-100), what jpeg-js's `encode` returns. */
export function encodeJpegReused(image: { width: number; height: number; data: Uint8Array }, quality: number): Uint8Array {
  let encoder = encoders.get(quality);
  if (!encoder) {
    const Encoder = encoderConstructor();
    encoder = new Encoder(quality);
    encoders.set(quality, encoder);
  }
  return new Uint8Array(encoder.encode(image, quality));
}
