// Reading captured images: PNG (pngjs) or JPEG (jpeg-js), told apart by their first bytes rather than their
// names, decoded to 8-bit RGBA; and writing JPEGs (the format converter's output). jpeg-js is pure
// JavaScript: the same bytes decode to the same pixels on every platform, which keeps a device's training
// data, and so the federated model, the same bit for bit wherever the device runs.

import { readFileSync } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { DataError } from '@strata/shared';
import type { RgbaImage } from './png-file.js';

/** Phone captures reach about 50 megapixels; jpeg-js's default limits (100 MP, 512 MB) are about that. */
const MAX_MEGAPIXELS = 200;
const MAX_MEMORY_MB = 4096;

/** Decodes a PNG or JPEG file to RGBA. `field` names where the path came from, for error messages. */
export function readImage(path: string, field: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${field}: cannot read image ${path} (${(cause as Error).message})`, { cause });
  }
  const isPng = bytes.length >= 8 && bytes.readUInt32BE(0) === 0x89504e47;
  const isJpeg = bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
  if (!isPng && !isJpeg) throw new DataError(`${field}: ${path} is neither a PNG nor a JPEG`);
  try {
    if (isPng) {
      const png = PNG.sync.read(bytes);
      return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
    }
    const img = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_MEGAPIXELS,
      maxMemoryUsageInMB: MAX_MEMORY_MB,
    });
    return { width: img.width, height: img.height, data: img.data };
  } catch (cause) {
    throw new DataError(`${field}: ${path} is not a valid ${isPng ? 'PNG' : 'JPEG'} (${(cause as Error).message})`, { cause });
  }
}

/** Encodes rgb floats in [0, 1] (row by row) as a baseline JPEG of the given quality (1 to 100). */
export function encodeRgbJpeg(rgb: Float32Array, width: number, height: number, quality: number): Buffer {
  const data = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) data[4 * p + c] = Math.round(Math.min(1, Math.max(0, rgb[3 * p + c])) * 255);
    data[4 * p + 3] = 255;
  }
  return jpeg.encode({ width, height, data }, quality).data;
}

/** An image file's pixel size from its header (PNG IHDR, or a JPEG start-of-frame), without decoding it. */
export function imageSize(path: string, field: string): { width: number; height: number } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${field}: cannot read image ${path} (${(cause as Error).message})`, { cause });
  }
  if (bytes.length >= 24 && bytes.readUInt32BE(0) === 0x89504e47) return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
    let i = 2;
    while (i + 9 < bytes.length) {
      if (bytes[i] !== 0xff) break;
      const marker = bytes[i + 1];
      if (marker === 0xff) {
        i++;
        continue;
      }
      const length = bytes.readUInt16BE(i + 2);
      // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC), carry the frame size.
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { width: bytes.readUInt16BE(i + 7), height: bytes.readUInt16BE(i + 5) };
      }
      i += 2 + length;
    }
    throw new DataError(`${field}: ${path} is a JPEG without a frame header`);
  }
  throw new DataError(`${field}: ${path} is neither a PNG nor a JPEG`);
}
