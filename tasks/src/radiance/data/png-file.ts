// PNG reading and writing through pngjs, with failures reported as DataErrors that name the file.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PNG } from 'pngjs';
import { DataError } from '@strata/shared';

export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  /** 8-bit RGBA, straight alpha, row by row. */
  readonly data: Uint8Array;
}

/** Decodes a PNG file to 8-bit RGBA. `field` names where the path came from, for error messages. */
export function readPng(path: string, field: string): RgbaImage {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    throw new DataError(`${field}: cannot read image ${path} (${(cause as Error).message})`, { cause });
  }
  try {
    const png = PNG.sync.read(bytes);
    return { width: png.width, height: png.height, data: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.length) };
  } catch (cause) {
    throw new DataError(`${field}: ${path} is not a valid PNG (${(cause as Error).message})`, { cause });
  }
}

/** Encodes rgb floats in [0, 1] (row by row) as an opaque 8-bit PNG. */
export function encodeRgbPng(rgb: Float32Array, width: number, height: number): Buffer {
  const png = new PNG({ width, height });
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) png.data[4 * p + c] = Math.round(Math.min(1, Math.max(0, rgb[3 * p + c])) * 255);
    png.data[4 * p + 3] = 255;
  }
  return PNG.sync.write(png);
}

export function writeRgbPng(path: string, rgb: Float32Array, width: number, height: number): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, encodeRgbPng(rgb, width, height));
}
