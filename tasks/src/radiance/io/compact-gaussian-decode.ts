// Reading the compact Gaussian file (compact-gaussian-file.ts writes it and says why it is laid out so), apart
// from its writer and from node:zlib so that a browser page bundles it: the brotli decoder is the caller's.

import { DataError, dequantizeInt8, float16ToFloat32 } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  GaussianCloud,
  logit,
} from '../model/gaussian-cloud.js';
import { pad4 } from './compact-model-decode.js';
import { decodeFileHeader } from './file-header.js';

export const COMPACT_GAUSSIAN_MAGIC = 0x47525453; // "STRG" little-endian
export const COMPACT_GAUSSIAN_FORMAT_VERSION = 1;

export interface CompactGaussianHeader {
  count: number;
  shDegree: number;
  /** The positions' bounding box: uint16 0 and 65535 stand for min and max on each axis. */
  min: [number, number, number];
  max: [number, number, number];
  meta: Record<string, unknown>;
}

export const POSITION_STEPS = 65535;

/** Byte offsets of the body's sections for `count` Gaussians with `colours` coefficients each. */
export function sections(count: number, colours: number) {
  const positions = 0;
  const logScales = positions + pad4(2 * 3 * count);
  const rotations = logScales + pad4(2 * 3 * count);
  const opacities = rotations + pad4(4 * count);
  const colourScales = opacities + pad4(count);
  const colourValues = colourScales + 4 * count;
  const end = colourValues + pad4(colours * count);
  return { positions, logScales, rotations, opacities, colourScales, colourValues, end };
}

/** The number of colour coefficients (3 channels) a cloud of degree `shDegree` renders with. */
export const colourCount = (shDegree: number): number => 3 * (shDegree + 1) ** 2;

/** A decoded compact file: the Gaussians, and what its writer noted (the task, the scene's depth range, ...). */
export interface CompactGaussians {
  readonly cloud: GaussianCloud;
  readonly meta: Record<string, unknown>;
}

/**
 * Decodes a compact Gaussian file, its body inflated by `decompress` (brotli, at most `maxLength` bytes: node:zlib
 * in Node, a JavaScript decoder in a browser); `source` names it in error messages; throws DataError on a bad file.
 */
export function decodeCompactGaussiansWith(
  bytes: Uint8Array,
  source: string,
  decompress: (packed: Uint8Array, maxLength: number) => Uint8Array,
): CompactGaussians {
  const { header, bodyOffset } = decodeFileHeader<CompactGaussianHeader>(bytes, source, {
    magic: COMPACT_GAUSSIAN_MAGIC,
    version: COMPACT_GAUSSIAN_FORMAT_VERSION,
    what: 'compact Gaussian model',
  });
  const { count, shDegree, min, max } = header;
  if (!Number.isInteger(count) || count < 0 || count > 2 ** 26) {
    throw new DataError(`${source}: header count ${count} is not an integer in [0, 2^26]`);
  }
  if (!Number.isInteger(shDegree) || shDegree < 0 || shDegree > 3) {
    throw new DataError(`${source}: header shDegree ${shDegree} is not an integer in [0, 3]`);
  }
  const box = [min, max];
  if (box.some((v) => !Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isFinite(x))) || min.some((x, a) => x > max[a])) {
    throw new DataError(`${source}: header bounding box ${JSON.stringify(box)} is not two finite points with min <= max`);
  }
  const colours = colourCount(shDegree);
  const at = sections(count, colours);
  let body: Uint8Array;
  try {
    body = decompress(bytes.subarray(bodyOffset), Math.max(1, at.end));
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new DataError(`${source}: body holds more than the ${at.end} bytes expected for ${count} Gaussians`, { cause });
    }
    throw new DataError(`${source}: body cannot be decompressed (${(cause as Error).message})`, { cause });
  }
  if (body.length !== at.end) throw new DataError(`${source}: body holds ${body.length} bytes, expected ${at.end} for ${count} Gaussians`);
  // A fresh, aligned copy: brotli's output may sit at any offset of a pooled allocation.
  const aligned = new Uint8Array(body).buffer;
  const positions = new Uint16Array(aligned, at.positions, 3 * count);
  const logScales = float16ToFloat32(new Uint16Array(aligned, at.logScales, 3 * count));
  const rotations = new Int8Array(aligned, at.rotations, 4 * count);
  const opacities = new Uint8Array(aligned, at.opacities, count);
  const scales = new Float32Array(aligned, at.colourScales, count);
  const colour = dequantizeInt8(new Int8Array(aligned, at.colourValues, colours * count), scales, colours);
  const params = new Float32Array(count * GAUSSIAN_STRIDE);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      params[row + GAUSSIAN_POSITION + a] = min[a] + (positions[a * count + i] / POSITION_STEPS) * (max[a] - min[a]);
      const logScale = logScales[a * count + i];
      if (!Number.isFinite(logScale)) throw new DataError(`${source}: Gaussian ${i} has log-scale ${logScale}`);
      params[row + GAUSSIAN_LOG_SCALE + a] = logScale;
    }
    let squares = 0;
    for (let k = 0; k < 4; k++) {
      const r = rotations[k * count + i];
      params[row + GAUSSIAN_ROTATION + k] = r / 127;
      squares += r * r;
    }
    if (squares === 0) throw new DataError(`${source}: Gaussian ${i} has a zero rotation quaternion`);
    // Opacity 0 and 1 have no logit: half a step inside keeps the decoded value finite and within rounding.
    params[row + GAUSSIAN_OPACITY] = logit(Math.min(254.5, Math.max(0.5, opacities[i])) / 255);
    if (!Number.isFinite(scales[i]) || scales[i] < 0) throw new DataError(`${source}: Gaussian ${i} has colour scale ${scales[i]}`);
    params.set(colour.subarray(i * colours, (i + 1) * colours), row + GAUSSIAN_SH);
  }
  return { cloud: new GaussianCloud(count, params, shDegree), meta: header.meta ?? {} };
}
