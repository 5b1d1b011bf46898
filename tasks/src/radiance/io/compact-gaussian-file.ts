// The compact file of a Gaussian cloud, for a device that downloads a model to render it itself (the voxel
// grid's .strc has the same purpose): each attribute quantised to what a render can tell apart, stored by
// attribute (all x, then all y, ...: columns of like numbers compress better than rows of mixed ones), and the
// body through brotli. Positions as uint16 in the cloud's bounding box (1/65535 of its extent), log-scales as
// float16, the rotation normalised (w >= 0, q and -q being one rotation) as int8, opacity as uint8, and the
// colour coefficients of the cloud's SH degree as int8 with a float32 scale per Gaussian.
//
// Layout: magic "STRG", format version, JSON length (uint32 each, little-endian), the JSON header, then the
// brotli-compressed body: positions (uint16, 3 columns), log-scales (float16, 3 columns), rotations (int8,
// 4 columns), opacities (uint8), colour scales (float32), colour values (int8, a Gaussian's coefficients in
// the cloud's row order); each section padded to 4 bytes.

import { promisify } from 'node:util';
import { brotliCompress, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { float32ToFloat16, quantizeInt8 } from '@strata/shared';
import {
  GAUSSIAN_LOG_SCALE,
  GAUSSIAN_OPACITY,
  GAUSSIAN_POSITION,
  GAUSSIAN_ROTATION,
  GAUSSIAN_SH,
  GAUSSIAN_STRIDE,
  sigmoid,
  type GaussianCloud,
} from '../model/gaussian-cloud.js';
import { encodeFileHeader } from './file-header.js';
import {
  COMPACT_GAUSSIAN_FORMAT_VERSION,
  COMPACT_GAUSSIAN_MAGIC,
  POSITION_STEPS,
  colourCount,
  decodeCompactGaussiansWith,
  sections,
  type CompactGaussianHeader,
  type CompactGaussians,
} from './compact-gaussian-decode.js';

export { COMPACT_GAUSSIAN_MAGIC, type CompactGaussians };

const brotliCompressAsync = promisify(brotliCompress);

/** The compact file of `cloud`; brotli runs on libuv's thread pool, not on the caller's thread. */
export async function encodeCompactGaussians(cloud: GaussianCloud, meta: Record<string, unknown> = {}): Promise<Uint8Array> {
  const { count, params, shDegree } = cloud;
  const colours = colourCount(shDegree);
  const min: [number, number, number] = count > 0 ? [Infinity, Infinity, Infinity] : [0, 0, 0];
  const max: [number, number, number] = count > 0 ? [-Infinity, -Infinity, -Infinity] : [0, 0, 0];
  for (let i = 0; i < count; i++) {
    for (let a = 0; a < 3; a++) {
      const x = params[i * GAUSSIAN_STRIDE + GAUSSIAN_POSITION + a];
      min[a] = Math.min(min[a], x);
      max[a] = Math.max(max[a], x);
    }
  }
  const at = sections(count, colours);
  const body = new Uint8Array(at.end);
  const positions = new Uint16Array(body.buffer, at.positions, 3 * count);
  const logScales = new Float32Array(3 * count);
  const rotations = new Int8Array(body.buffer, at.rotations, 4 * count);
  const opacities = new Uint8Array(body.buffer, at.opacities, count);
  const colour = new Float32Array(colours * count);
  for (let i = 0; i < count; i++) {
    const row = i * GAUSSIAN_STRIDE;
    for (let a = 0; a < 3; a++) {
      const extent = max[a] - min[a];
      const x = params[row + GAUSSIAN_POSITION + a];
      positions[a * count + i] = extent > 0 ? Math.round(((x - min[a]) / extent) * POSITION_STEPS) : 0;
      logScales[a * count + i] = params[row + GAUSSIAN_LOG_SCALE + a];
    }
    const q = params.subarray(row + GAUSSIAN_ROTATION, row + GAUSSIAN_ROTATION + 4);
    const norm = Math.hypot(q[0], q[1], q[2], q[3]) || 1;
    const sign = q[0] < 0 ? -1 : 1;
    for (let k = 0; k < 4; k++) rotations[k * count + i] = Math.round((127 * sign * q[k]) / norm);
    opacities[i] = Math.round(255 * sigmoid(params[row + GAUSSIAN_OPACITY]));
    colour.set(params.subarray(row + GAUSSIAN_SH, row + GAUSSIAN_SH + colours), i * colours);
  }
  new Uint16Array(body.buffer, at.logScales, 3 * count).set(float32ToFloat16(logScales));
  const quantized = quantizeInt8(colour, colours);
  new Float32Array(body.buffer, at.colourScales, count).set(quantized.scales.subarray(0, count));
  new Int8Array(body.buffer, at.colourValues, colours * count).set(quantized.values);
  const packed = await brotliCompressAsync(body, {
    params: { [zlib.BROTLI_PARAM_QUALITY]: 9, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length },
  });
  const header: CompactGaussianHeader = { count, shDegree, min, max, meta };
  return Buffer.concat([encodeFileHeader(COMPACT_GAUSSIAN_MAGIC, COMPACT_GAUSSIAN_FORMAT_VERSION, header), packed]);
}

/** Decodes a compact Gaussian file (`source` names it in error messages); throws DataError on a bad file. */
export function decodeCompactGaussians(bytes: Uint8Array, source: string): CompactGaussians {
  return decodeCompactGaussiansWith(bytes, source, (packed, maxLength) => brotliDecompressSync(packed, { maxOutputLength: maxLength }));
}
